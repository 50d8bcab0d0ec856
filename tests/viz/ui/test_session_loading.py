"""Scenario switching in the app's Session runs on a background thread: the current World keeps
stepping while the new one is built, the swap happens on the main thread in `tick`, errors keep
the current scenario, a second request supersedes the first (whose World is closed), and
`wait=True` / `wait_loaded` give the old synchronous behaviour. No window, no GL.

Fake Worlds (a few lines each) keep these fast; one test builds real sim Worlds on the loader
thread while the main thread steps another, as the app does.
"""
from __future__ import annotations

import argparse
import threading
import time

import numpy as np
import pytest

from sim import commands as cmd
from sim.clock import SimClock, TripSchedule
from sim.errors import UserError
from sim.timeline import Timeline
from viz.ui.loader import LOADER_THREAD
from viz.ui.session import Session


class FakeSnapshot:
    def __init__(self, world):
        self.world = world
        self.sim_time_s = world.sim_time_s
        self.selected = -1
        self.totals = {}
        self.round_trips = ()
        self.station_names = ()
        self.sat_names = ()
        self.training = ()
        self.observation = None
        self.clock = world.clock.view()
        self.model_busy = False


class FakeWorld:
    """The SimWorld protocol (sim/interface.py) in a few lines: a real clock, no satellites."""

    def __init__(self, name: str):
        self.name = name
        self.title = name
        self.model_loaded = False
        self.sim_time_s = 0.0
        self.clock = SimClock()
        self.closed = False
        self.steps = 0
        self.commands = []
        self.built_on = threading.current_thread().name

    def apply(self, command):
        self.commands.append(command)
        if isinstance(command, cmd.SetWarp):
            self.clock.warp = command.warp
        return self.snapshot()

    def advance(self, dt_wall_s: float):
        assert not self.closed, f"{self.name} stepped after close"
        self.steps += 1
        self.sim_time_s += self.clock.decide(dt_wall_s, self.sim_time_s, TripSchedule()).dt_sim_s
        return self.snapshot()

    def snapshot(self):
        return FakeSnapshot(self)

    def timeline(self):
        return Timeline()

    def load_model(self) -> None:
        self.model_loaded = True

    def close(self) -> None:
        self.closed = True


class Factory:
    """world_factory(args): FakeWorlds; a name in `gates` blocks until its Event is set, a
    name in `errors` raises that exception."""

    def __init__(self):
        self.gates: dict[str, threading.Event] = {}
        self.errors: dict[str, BaseException] = {}
        self.built: list[FakeWorld] = []
        self.started: dict[str, threading.Event] = {}

    def __call__(self, args, **options):
        name = str(args.scenario)
        self.started.setdefault(name, threading.Event()).set()
        if name in self.gates:
            assert self.gates[name].wait(10), f"gate for {name} never opened"
        if name in self.errors:
            raise self.errors[name]
        world = FakeWorld(name)
        self.built.append(world)
        return world


def make_session(factory: Factory, name: str = "first") -> Session:
    """A Session on FakeWorlds (the factory takes the keyword options the app passes)."""
    return Session(argparse.Namespace(scenario=name, at=None, seed=None), factory)


def tick_until(session: Session, predicate, timeout: float = 5.0) -> int:
    """Tick like the window does until `predicate()`; returns the ticks it took."""
    deadline = time.monotonic() + timeout
    ticks = 0
    while not predicate():
        assert time.monotonic() < deadline, "timed out ticking"
        session.tick(1 / 30)
        ticks += 1
        time.sleep(0.002)
    return ticks


def messages(session: Session) -> list[str]:
    return [m[1] for m in session.messages]


def test_main_thread_keeps_ticking_while_the_new_world_builds():
    factory = Factory()
    session = make_session(factory)
    first = session.world
    gate = factory.gates["big"] = threading.Event()
    loaded = []
    assert session.switch_scenario("big", on_loaded=lambda: loaded.append(session.world))
    assert factory.started["big"].wait(5)
    assert session.loading and session.loading_name == "big"
    # The build blocks on the gate; the current world keeps stepping, nothing is swapped.
    t0 = first.sim_time_s
    for _ in range(20):
        session.tick(1 / 30, exact=True)  # exactly one step per tick
    assert first.steps >= 20 and first.sim_time_s > t0
    assert session.world is first and session.scenario_name == "first" and session.loading
    assert not first.closed and not loaded
    assert [t.name for t in threading.enumerate()].count(LOADER_THREAD) == 1
    gate.set()
    # Built on the loader thread, but installed only by a tick on the main thread.
    assert session.loader.pending.done.wait(5)  # built and handed over by the loader thread
    assert factory.built[-1].name == "big" and session.world is first
    session.tick(1 / 30)
    assert session.world.name == "big" and session.scenario_name == "big"
    assert session.world.built_on == LOADER_THREAD
    assert first.closed and not session.loading
    assert loaded == [session.world]
    assert messages(session)[-1] == "Loaded big"
    assert session.snapshot.world is session.world
    # The presenter's warp goes to the new world (on the main thread, at the swap).
    assert any(type(c).__name__ == "SetWarp" for c in session.world.commands)
    session.close()
    assert session.world.closed


@pytest.mark.parametrize("error, text", [
    (UserError("bad.toml: shells[0].planes: expected an integer"), "bad.toml"),
    (OSError(2, "No such file or directory", "missing.toml"), "missing.toml"),
    (ZeroDivisionError("float division by zero"), "ZeroDivisionError: float division by zero"),
])
def test_a_failed_build_keeps_the_current_world_and_says_why(error, text):
    factory = Factory()
    session = make_session(factory)
    first = session.world
    factory.errors["bad"] = error
    assert session.switch_scenario("bad")
    tick_until(session, lambda: not session.loading)
    assert session.world is first and not first.closed and session.scenario_name == "first"
    last = session.messages[-1]
    assert last[2] == "error" and last[1].startswith("Scenario not loaded: ") and text in last[1]
    assert "\n" not in last[1]
    session.tick(1 / 30)  # still alive and stepping
    assert not first.closed


def test_a_second_request_supersedes_the_first_and_its_world_is_closed():
    factory = Factory()
    session = make_session(factory)
    first = session.world
    slow = factory.gates["slow"] = threading.Event()
    session.switch_scenario("slow")
    assert factory.started["slow"].wait(5)
    session.switch_scenario("quick")
    assert session.loading_name == "quick"
    assert any("Loading quick instead of slow" in m for m in messages(session))
    tick_until(session, lambda: not session.loading)
    assert session.world.name == "quick" and first.closed
    slow.set()  # the superseded build finishes later: closed by its thread, never installed
    deadline = time.monotonic() + 5
    while not any(w.name == "slow" and w.closed for w in factory.built):
        assert time.monotonic() < deadline, "the superseded world was not closed"
        time.sleep(0.005)
    for _ in range(5):
        session.tick(1 / 30)
    assert session.world.name == "quick" and not session.world.closed
    assert messages(session)[-1] == "Loaded quick"


def test_wait_and_reset_are_synchronous_when_asked():
    factory = Factory()
    session = make_session(factory)
    first = session.world
    assert session.switch_scenario("second", wait=True) is True
    assert session.world.name == "second" and first.closed and not session.loading
    factory.errors["bad"] = UserError("nope")
    assert session.switch_scenario("bad", wait=True) is False
    assert session.world.name == "second" and "nope" in messages(session)[-1]
    second = session.world
    assert session.reset(wait=True) is True
    assert session.world is not second and session.world.name == "second" and second.closed
    # Without wait: returns at once; wait_loaded finishes the job (with a timeout).
    gate = factory.gates["gated"] = threading.Event()
    assert session.switch_scenario("gated")
    assert session.wait_loaded(0.05) is False and session.loading
    gate.set()
    assert session.wait_loaded(5) is True
    assert session.world.name == "gated" and not session.loading


def test_close_while_loading_closes_the_world_being_built():
    factory = Factory()
    session = make_session(factory)
    gate = factory.gates["late"] = threading.Event()
    session.switch_scenario("late")
    assert factory.started["late"].wait(5)
    session.close()
    gate.set()
    deadline = time.monotonic() + 5
    while not any(w.name == "late" and w.closed for w in factory.built):
        assert time.monotonic() < deadline, "the world built after close() was not closed"
        time.sleep(0.005)


def test_swap_waits_for_the_onboard_model_loader_instead_of_blocking_the_frame():
    factory = Factory()
    session = make_session(factory)
    release = threading.Event()
    session.model_loader._thread = threading.Thread(target=release.wait, args=(10,), daemon=True)
    session.model_loader._thread.start()
    session.switch_scenario("next")
    for _ in range(10):
        t = time.perf_counter()
        session.tick(1 / 30)
        assert time.perf_counter() - t < 0.5  # never joins a running model loader
        time.sleep(0.01)
    assert session.world.name == "first" and session.loading
    release.set()
    tick_until(session, lambda: not session.loading)
    assert session.world.name == "next"


def test_real_worlds_build_on_the_loader_thread_while_another_steps():
    """The sim's World: skyfield's cached timescale and ephemeris are shared between the
    world stepping on the main thread and the one being built; each GeometryModel has its own
    EarthFrames cache. The new world must match one built on the main thread."""
    from sim.cli import world_from_args

    session = Session(argparse.Namespace(scenario="grid-2028", at=None, seed=None),
                      world_from_args)
    try:
        for name in ("starlink-shell1", "cluster-2025", "network-2035"):
            assert session.switch_scenario(name)
            ticks = tick_until(session, lambda: not session.loading, timeout=60)
            assert ticks >= 1
            assert session.scenario_name == name, messages(session)
            reference = world_from_args(argparse.Namespace(scenario=name, at=None, seed=None))
            try:
                snap = session.world.snapshot()
                ref = reference.snapshot()
                assert snap.n_sats == ref.n_sats
                # the session's world has stepped a little since; positions differ by < 1 s
                assert np.allclose(np.linalg.norm(snap.positions_km, axis=1),
                                   np.linalg.norm(ref.positions_km, axis=1), atol=20.0)
            finally:
                reference.close()
    finally:
        session.close()


def test_switching_the_onboard_model_loads_it_on_a_thread(tmp_path):
    """The model picker: SetModel puts another checkpoint folder on board, the Session loads
    it on the model-loader thread (the frame keeps ticking), a prompt then uses it; a folder
    that is not a checkpoint is refused with one message and the model stays."""
    from sim.cli import world_from_args
    from tests.sim.onboard.conftest import write_model_dir

    tiny = str(write_model_dir(tmp_path / "tiny"))
    session = Session(argparse.Namespace(scenario="network-2035", at=None, seed=None),
                      world_from_args, model_catalog=lambda: [("shipped", ""), ("tiny", tiny)])
    try:
        assert [path for _, path in session.model_choices()] == ["", tiny]
        assert session.switch_model(tiny)
        tick_until(session, lambda: not session.model_loading, timeout=30)
        assert session.world.model_loaded and session.snapshot.onboard_model == tiny
        assert not session.switch_model(str(tmp_path / "nothing-here"))
        assert "no config.json" in messages(session)[-1]
        assert session.snapshot.onboard_model == tiny
        session.switch_scenario("cluster-2025", wait=True)  # the choice outlives a switch
        assert session.snapshot.onboard_model == tiny
    finally:
        session.close()


def test_a_script_keeps_its_own_clock_and_gives_back_the_presenters_choice():
    factory = Factory()
    session = make_session(factory)
    session.set_fast_forward(False)
    assert session.play_script(restart=False)
    assert cmd.SetClock(preset="scripted") in session.world.commands
    session.set_fast_forward(True)  # chosen while the script plays: applied after it
    assert session.world.commands[-1] != cmd.SetClock(fast_forward_waits=True)
    session.tick(1 / 30, exact=True)  # an empty script ends at once
    assert session.script is None
    assert session.world.commands[-1] == cmd.SetClock(preset="live", fast_forward_waits=True)


def test_plot_history_samples_totals_and_the_first_training_job():
    import types

    from viz.ui.history import PlotHistory

    history = PlotHistory(every_s=0.0)
    job = types.SimpleNamespace(figures={"step_s": 8.7, "communication_s": 8.2})
    history.sample({"requests_per_s": 50.0}, (job,))
    history.sample({}, ())  # no job (yet): zeros, so the series stay aligned
    assert list(history.series("rate")) == [50.0, 0.0]
    assert list(history.series("train_step")) == [8.7, 0.0]
    assert list(history.series("train_comm")) == [8.2, 0.0]
