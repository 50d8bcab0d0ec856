"""Captures in the live sim: the Capture command, the model on the worker thread, the result's
states (captured -> stored -> downlinked) and the network's byte totals in the Snapshot."""
import json
import time

import pytest

from sim import commands as cmd
from sim.errors import UserError
from sim.observation import observe
from sim.scenario import parse_utc
from sim.world import World

LIT = "2026-01-15T06:00:00Z"  # cluster-2025: XS-03 over the lit Indian Ocean, lasers to Kashi


def test_capture_command_in_a_blocking_world_matches_observe():
    world = World.from_scenario("cluster-2025", at=parse_utc(LIT), blocking_inference=True)
    try:
        snap = world.apply(cmd.Capture("XS-03"))
        (view,) = snap.observation.captures
        expected = observe(world, "XS-03")  # the command line's figures at the same instant
        assert (view.label, view.satellite) == (expected.label, "XS-03")
        assert view.confidence == pytest.approx(expected.confidence, abs=1e-6)
        assert view.result_bytes == expected.result_bytes
        assert view.path == expected.downlink.path and view.hops == expected.downlink.hops
        assert view.on_ground_utc == expected.downlink.on_ground
        assert view.state == "stored"  # light needs a few ms to bring it down
        assert not view.tile.flags.writeable and view.tile.shape == (64, 64, 3)
        assert snap.observation.raw_collected_bytes == pytest.approx(29_000 ** 2 * 6)
        assert snap.observation.downlinked_bytes == 0
        snap = world.step(1.0)
        (view,) = snap.observation.captures
        assert view.state == "downlinked"
        assert snap.observation.downlinked_bytes == view.result_bytes
        assert snap.observation.saved_bytes == pytest.approx(29_000 ** 2 * 6 - view.result_bytes)
    finally:
        world.close()


def test_capture_runs_off_the_frame_in_a_live_world():
    world = World.from_scenario("cluster-2025", at=parse_utc(LIT))
    try:
        world.load_model()  # the app loads it at start
        started = time.perf_counter()
        snap = world.apply(cmd.Capture("XS-03"))
        assert time.perf_counter() - started < 0.5  # the tile is cut; the model runs elsewhere
        assert snap.observation.captures[0].state in ("captured", "stored")
        deadline = time.monotonic() + 20
        while snap.observation.captures[0].state != "downlinked":
            assert time.monotonic() < deadline
            time.sleep(0.02)
            snap = world.step(0.5)
        assert snap.observation.captures[0].label
    finally:
        world.close()


def test_capture_refuses_what_observe_refuses():
    world = World.from_scenario("network-2035")
    with pytest.raises(UserError, match="has no imaging payload"):
        world.apply(cmd.Capture("TRN-DD-P01-S01"))
    assert world.snapshot().observation.captures == ()


def test_capture_command_round_trips_through_json():
    command = cmd.Capture("XS-03")
    assert cmd.from_json(command.to_json()) == command
    assert json.loads(command.to_json()) == {"command": "capture", "sat": "XS-03"}


SCRIPT = """[scenario]
base = "cluster-2025"
name = "capture-script"
start = "2026-01-15T06:00:00Z"

[[timeline]]
at = 1
kind = "capture"
sat = "{sat}"

[[timeline]]
at = 3
kind = "end"
"""


def test_a_timeline_capture_entry_sends_the_command(tmp_path):
    from sim import timeline as tl
    from sim.script import ScriptRun

    path = tmp_path / "script.toml"
    path.write_text(SCRIPT.format(sat="XS-03"))
    world = World.from_scenario(str(path), blocking_inference=True)
    try:
        run = ScriptRun(world)
        assert world.snapshot().observation.captures == ()  # not yet at t = 0
        snap = None
        while not run.finished:
            snap = run.frame(0.5)
        (view,) = snap.observation.captures
        assert view.satellite == "XS-03" and view.label and view.state == "downlinked"
    finally:
        world.close()
    path.write_text(SCRIPT.format(sat="XS-99"))
    timeline = tl.of_scenario(World.from_scenario(str(path)).scenario)
    with pytest.raises(UserError, match=r"script.toml:\d+: .*sat.*XS-99"):
        tl.check_names(timeline, world.constellation.names, ())


def test_a_failing_model_marks_the_capture_failed_and_old_captures_are_dropped(monkeypatch):
    from sim import observation_service
    from sim.onboard import vision

    world = World.from_scenario("cluster-2025", at=parse_utc(LIT), blocking_inference=True)
    try:
        world.apply(cmd.Capture("XS-03"))
        world.step(1.0)  # downlinked
        monkeypatch.setattr(observation_service, "KEEP_FINISHED", 1)

        def broken(tile, model=None):
            raise RuntimeError("sensor fault")

        monkeypatch.setattr(vision, "classify", broken)
        snap = world.apply(cmd.Capture("XS-03"))
        states = [v.state for v in snap.observation.captures]
        assert states == ["failed"] and "sensor fault" in snap.observation.captures[0].error
        assert snap.observation.raw_collected_bytes == pytest.approx(2 * 29_000 ** 2 * 6)
        assert snap.observation.downlinked_bytes > 0  # the dropped first capture still counts
    finally:
        world.close()
