"""The Session with the sim on its own thread (sim/runner.py): the frame takes the latest
Snapshot without stepping, moves it on to its own time, and recording holds the runner."""
import argparse
import time

import pytest

from sim.cli import world_from_args
from sim.errors import UserError
from sim.runner import MAX_STEP_WALL_S, SimRunner
from viz.ui.session import Session


def session_on(scenario: str = "cluster-2025", **options) -> Session:
    return Session(argparse.Namespace(scenario=scenario, at=None, seed=None), world_from_args,
                   warp=100.0, **options)


def tick_for(session: Session, seconds: float) -> int:
    end, new = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        new += session.tick(1 / 60)
        time.sleep(1 / 60)
    return new


def test_the_frame_takes_snapshots_it_did_not_step():
    session = session_on(sim_thread="on")
    try:
        runner = session.runner
        assert isinstance(runner, SimRunner)
        start = session.snapshot.sim_time_s
        assert tick_for(session, 0.5) >= 3  # new Snapshots arrived while the frames ticked
        assert runner.steps >= 3 and session.snapshot.sim_time_s > start + 20.0
        ahead = session.ahead_s(time.perf_counter())
        assert 0.0 < ahead <= 100.0 * MAX_STEP_WALL_S
        session.select(4)
        assert session.snapshot.selected == 4
    finally:
        session.close()
    assert not runner._thread.is_alive()


def test_recording_holds_the_runner_and_steps_exactly():
    session = session_on(sim_thread="on")
    try:
        tick_for(session, 0.2)
        session.tick(0.02, exact=True)  # holds the runner (after the step under way)
        before = session.snapshot.sim_time_s
        for _ in range(5):
            session.tick(0.02, exact=True)
        assert session.snapshot.sim_time_s - before == pytest.approx(5 * 0.02 * 100.0)
        assert session.ahead_s(time.perf_counter() + 1.0) == 0.0  # held: drawn as stepped
        tick_for(session, 0.2)  # live again: free running
        assert session.runner.free_running
    finally:
        session.close()


def test_a_switched_scenario_runs_on_its_own_thread_too():
    session = session_on(sim_thread="on")
    try:
        old = session.runner
        assert session.switch_scenario("grid-2028", wait=True)
        assert isinstance(session.world, SimRunner) and session.world is not old
        assert not old._thread.is_alive()
        assert session.snapshot.n_sats == 32
    finally:
        session.close()


def test_auto_keeps_small_scenarios_on_the_frame_and_bad_modes_are_refused():
    session = session_on(sim_thread="auto")
    try:
        assert session.runner is None and session.ahead_s(time.perf_counter()) == 0.0
    finally:
        session.close()
    with pytest.raises(UserError, match="--sim-thread must be one of auto, on, off"):
        session_on(sim_thread="sometimes")
