"""DESIGN.md rule 4: one clock. The app playing a scenario script (Session.play_script, one
exact step per video frame as while recording in the window) and `run.py record` playing the
same script take the same sim time at every frame, through a warp ramp, a prompt's light-time
legs at the script's light warp, its queue and inference and the way down.

Both worlds are built with blocking inference (the model answers inside the step), as a
recording does: the live app's answer arrives whenever the worker finishes, which no clock can
make deterministic.
"""
import argparse

import pytest

from sim.cli import world_from_args
from viz import record
from viz.ui.session import Session

FPS = 10.0
SCRIPT = """
[scenario]
base = "network-2035"
name = "one-clock"
title = "One clock"

[[timeline]]
at = 0
kind = "warp"
warp = 5

[[timeline]]
at = 0.2
kind = "warp"
warp = 40
ramp_s = 0.6
light_warp = 0.004

[[timeline]]
at = 0.3
kind = "prompt"
sat = 1234
prompt = "What do you see?"
max_tokens = 6
tokens_per_s = 12

[[timeline]]
at = 2.5
kind = "end"
"""


def blocking_factory(args, **options):
    return world_from_args(args, blocking_inference=True, **options)


def session_times(path) -> list[float]:
    session = Session(argparse.Namespace(scenario=str(path), at=None, seed=None),
                      blocking_factory)
    try:
        session.tick(1 / FPS, exact=True)  # the scenario runs a little before the presenter
        assert session.play_script()  # ... plays its script: the scenario restarts
        assert session.wait_loaded(60) and session.script is not None, \
            [m.text for m in session.messages]
        times = [session.snapshot.sim_time_s]
        for _ in range(int(2.5 * FPS) - 1):
            session.tick(1 / FPS, exact=True)
            times.append(session.snapshot.sim_time_s)
        phases = [p.name for p in session.snapshot.round_trips[-1].phases]
        return times, phases
    finally:
        session.close()


def recorder_times(path, tmp_path, ctx) -> list[float]:
    args = argparse.Namespace(scenario=str(path), then=[], at=None, seed=None)
    (part,) = record.make_parts(args, world_from_args)
    part.frames = int(2.5 * FPS)
    settings = record.Settings(size=(32, 18), fps=FPS, png_dir=tmp_path / "frames", samples=0,
                               quality="fast")
    times = []
    try:
        record.record([part], settings, ctx=ctx,
                      on_frame=lambda done: times.append(part.world.snapshot().sim_time_s))
    finally:
        part.world.close()
    return times


def test_the_app_and_a_recording_of_one_script_take_the_same_sim_times(tmp_path, ctx):
    path = tmp_path / "one-clock.toml"
    path.write_text(SCRIPT)
    app, phases = session_times(path)
    recorded = recorder_times(path, tmp_path, ctx)
    assert len(app) == len(recorded) == 25
    assert app == pytest.approx(recorded, rel=0, abs=1e-6)
    # The script did what it says: a ramp, then slow motion while the prompt flew.
    steps = [b - a for a, b in zip(recorded, recorded[1:])]
    assert steps[0] == pytest.approx(5 / FPS)
    assert min(steps) < 0.004 / FPS + 1e-6, "light-time legs at the script's light warp"
    assert {"uplink", "inference"} <= set(phases)
