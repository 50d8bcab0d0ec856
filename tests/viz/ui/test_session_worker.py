"""The Session with the sim stepping on its own, in a thread (sim/runner.py) or a child
process (sim/worker_process.py): the frame takes the latest Snapshot without stepping, moves
it on to its own time, and recording holds the worker to exact steps."""
import argparse
import time

import pytest

from sim.cli import scenario_size, world_from_args
from sim.errors import UserError
from sim.runner import MAX_STEP_WALL_S, SimRunner
from sim.worker_process import SimProcess
from viz.ui.session import Session

WORKERS = {"thread": SimRunner, "process": SimProcess}


def session_on(scenario: str = "cluster-2025", **options) -> Session:
    return Session(argparse.Namespace(scenario=scenario, at=None, seed=None), world_from_args,
                   warp=100.0, **options)


def tick_for(session: Session, seconds: float) -> int:
    end, new = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        new += session.tick(1 / 60)
        time.sleep(1 / 60)
    return new


def worker_alive(runner) -> bool:
    return runner._thread.is_alive() if isinstance(runner, SimRunner) else \
        runner._process.is_alive()


@pytest.mark.parametrize("worker", sorted(WORKERS))
def test_the_frame_takes_snapshots_it_did_not_step(worker):
    session = session_on(sim_worker=worker)
    try:
        runner = session.runner
        assert isinstance(runner, WORKERS[worker])
        start = session.snapshot.sim_time_s
        assert tick_for(session, 1.0) >= 3  # new Snapshots arrived while the frames ticked
        assert runner.steps >= 3 and session.snapshot.sim_time_s > start + 20.0
        ahead = session.ahead_s(time.perf_counter())
        assert 0.0 < ahead <= 100.0 * MAX_STEP_WALL_S
        session.select(4)
        tick_for(session, 0.2)
        assert session.snapshot.selected == 4
        assert session.world.find_satellite("XS-05") == 4
        # asked every frame by the panel: the process answers it once
        assert session.world.timeline() is session.world.timeline()
        assert f"Sim in its own {worker}" in session.sim_notes(ahead)[-1]
    finally:
        session.close()
    assert not worker_alive(runner)


@pytest.mark.parametrize("worker", sorted(WORKERS))
def test_recording_holds_the_worker_and_steps_exactly(worker):
    session = session_on(sim_worker=worker)
    try:
        tick_for(session, 0.3)
        session.tick(0.02, exact=True)  # holds the worker (after the step under way)
        before = session.snapshot.sim_time_s
        for _ in range(5):
            session.tick(0.02, exact=True)
        assert session.snapshot.sim_time_s - before == pytest.approx(5 * 0.02 * 100.0)
        assert session.ahead_s(time.perf_counter() + 1.0) == 0.0  # held: drawn as stepped
        tick_for(session, 0.3)  # live again: free running
        assert session.runner.free_running
    finally:
        session.close()


@pytest.mark.parametrize("worker", sorted(WORKERS))
def test_a_switched_scenario_gets_its_own_worker(worker):
    session = session_on(sim_worker=worker)
    try:
        old = session.runner
        assert session.switch_scenario("grid-2028", wait=True)
        assert isinstance(session.world, WORKERS[worker]) and session.world is not old
        assert not worker_alive(old)
        assert session.snapshot.n_sats == 32
    finally:
        session.close()


def test_a_bad_scenario_in_a_process_is_one_message():
    session = session_on(sim_worker="process")
    try:
        assert not session.switch_scenario("no-such-scenario", wait=True)
        assert "unknown scenario 'no-such-scenario'" in session.messages[-1][1]
        assert session.snapshot.n_sats == 12  # the current scenario stays
    finally:
        session.close()


def test_auto_chooses_by_the_scenario_size_and_bad_modes_are_refused():
    small = session_on(sim_worker="auto", scenario_size=scenario_size)
    try:
        assert small.runner is None and small.ahead_s(time.perf_counter()) == 0.0
        args = argparse.Namespace(scenario="filing-1m", at=None, seed=None)
        assert small._worker_for(args) == "process"
    finally:
        small.close()
    with pytest.raises(UserError, match="--sim-worker must be one of auto, process, thread, off"):
        session_on(sim_worker="sometimes")


def test_a_prompt_in_a_process_gets_its_answer(model_dir):
    session = Session(argparse.Namespace(scenario="network-2035", at=None, seed=None),
                      world_from_args, model_dir=model_dir, warp=1000.0, sim_worker="process")
    try:
        session.select(5)
        session.prepare_model()  # the model loads in the child, off its stepping loop
        assert session.ask("Speak of the sea below.", max_tokens=12)
        end = time.monotonic() + 60
        while not (session.snapshot.round_trips and session.snapshot.round_trips[-1].done):
            assert time.monotonic() < end, session.messages
            session.tick(1 / 30)
            time.sleep(1 / 30)
        trip = session.snapshot.round_trips[-1]
        assert trip.sat == 5 and not trip.error and trip.tokens == 12 and trip.reply
        assert session.world.model_loaded
    finally:
        session.close()


def test_the_panel_is_told_when_ground_links_are_capped():
    import dataclasses

    session = session_on(sim_worker="off")
    try:
        assert session.sim_notes(0.0) == []  # 12 satellites: nothing bounded, nothing hosted
        totals = {**session.snapshot.totals, "ground_sites_capped": 165.0,
                  "ground_link_cap": 128.0}
        session.snapshot = dataclasses.replace(session.snapshot, totals=totals)
        assert session.sim_notes(0.0) == [
            "Ground links: 165 ground points see more than 128 satellites and keep their 128 "
            "highest"]
    finally:
        session.close()
