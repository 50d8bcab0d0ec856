"""The World on its own thread (sim/runner.py): it steps without the caller, commands reach it
between steps, and the Snapshots it publishes let a frame move on without running ahead."""
import time

import pytest

from sim import commands as cmd
from sim.errors import UserError
from sim.runner import MAX_STEP_WALL_S, Published, SimRunner, sim_seconds_ahead
from sim.world import World


@pytest.fixture
def runner():
    runner = SimRunner(World.from_scenario("cluster-2025"), max_rate_hz=50.0)
    yield runner
    runner.close()


def wait_for(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_it_steps_on_its_own_at_the_warp(runner):
    runner.apply(cmd.SetWarp(100.0))
    start = runner.snapshot().sim_time_s
    assert not runner.free_running
    time.sleep(0.2)
    assert runner.snapshot().sim_time_s == start  # held until told to run
    began = time.perf_counter()
    runner.run_free()
    wait_for(lambda: runner.steps >= 10)
    published = runner.published
    elapsed = published.wall_s - began
    assert published.snapshot.sim_time_s - start == pytest.approx(100.0 * elapsed, rel=0.05,
                                                                  abs=2.0)
    assert published.rate == 100.0


def test_commands_apply_between_steps(runner):
    runner.run_free()
    snap = runner.apply(cmd.Select(5))
    assert snap.selected == 5 and runner.snapshot().selected == 5
    with pytest.raises(UserError, match="no satellite with index 99"):
        runner.apply(cmd.Select(99))


def test_a_late_refusal_comes_back_through_take_errors(runner):
    runner.apply_wait_s = 0.0  # as behind a slow step: apply returns before the worker ran it
    snap = runner.apply(cmd.Select(99))  # no UserError here: the worker had not run it
    assert snap.selected == -1
    errors: list[str] = []
    wait_for(lambda: errors.extend(runner.take_errors()) or errors)
    assert errors == ["no satellite with index 99 (0..11)"]
    assert runner.take_errors() == []  # each refusal is told once


def test_advance_holds_and_steps_exactly(runner):
    runner.apply(cmd.SetWarp(10.0))
    runner.run_free()
    wait_for(lambda: runner.steps >= 3)
    before = runner.advance(0.0).sim_time_s  # holds; a zero step moves nothing
    steps = runner.steps
    after = runner.advance(0.5)
    assert after.sim_time_s - before == pytest.approx(5.0)
    time.sleep(0.1)
    assert runner.steps == steps and runner.snapshot().sim_time_s == after.sim_time_s
    assert runner.published.rate == 0.0  # held: a frame does not move on


def test_a_frame_never_runs_ahead_of_the_next_snapshot(runner):
    runner.apply(cmd.SetWarp(50.0))
    runner.run_free()
    seen: list[Published] = []
    wait_for(lambda: (seen.append(runner.published) or len({p.wall_s for p in seen}) > 6))
    distinct = list({p.wall_s: p for p in seen}.values())
    for earlier, later in zip(distinct, distinct[1:]):
        drawn = earlier.snapshot.sim_time_s + sim_seconds_ahead(earlier, later.wall_s)
        assert drawn == pytest.approx(later.snapshot.sim_time_s, abs=1e-6)


def test_ahead_is_capped_and_stops_when_paused():
    class Snap:
        sim_time_s = 0.0
    published = Published(Snap(), wall_s=10.0, rate=100.0)
    assert sim_seconds_ahead(published, 10.5) == pytest.approx(50.0)
    assert sim_seconds_ahead(published, 100.0) == pytest.approx(100.0 * MAX_STEP_WALL_S)
    assert sim_seconds_ahead(published, 9.0) == 0.0
    assert sim_seconds_ahead(Published(Snap(), 10.0, 0.0), 20.0) == 0.0


def test_pausing_stops_the_frame_at_once(runner):
    runner.apply(cmd.SetWarp(100.0))
    runner.run_free()
    wait_for(lambda: runner.steps >= 2)
    runner.apply(cmd.SetPaused(True))
    assert runner.published.rate == 0.0
