"""`run.py shot` through viz.cli with a fake world factory, and the render bench on tiny sizes."""
import argparse

import numpy as np
import pytest

from sim.errors import UserError
from viz import cli
from viz.synthetic import SyntheticWorld, make_snapshot


def parser_with(factory):
    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"), world_factory=factory)
    return parser


def test_shot_writes_png(tmp_path, capsys):
    seen = {}

    def factory(args):
        seen.update(scenario=args.scenario, at=args.at, seed=args.seed)
        return SyntheticWorld(300)

    out = tmp_path / "shot.png"
    args = parser_with(factory).parse_args(
        ["shot", "--scenario", "cluster-2025", "--at", "2035-01-01T00:00:00Z", "--seed", "3",
         "--size", "160x90", "--camera", "polar", "--samples", "0", "--advance", "20",
         "--out", str(out)])
    assert args.handler(args) == 0
    assert seen == {"scenario": "cluster-2025", "at": "2035-01-01T00:00:00Z", "seed": 3}
    from PIL import Image

    img = np.asarray(Image.open(out))
    assert img.shape == (90, 160, 3) and img.mean() > 3
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("flag,value,match", [("--size", "big", "--size"),
                                              ("--size", "4x4", "--size"),
                                              ("--camera", "sideways", "--camera"),
                                              ("--out", "x.jpg", "--out"),
                                              ("--deploy", "1.5", "--deploy: expected a fraction"),
                                              ("--deploy", "nan", "--deploy")])
def test_shot_bad_input(tmp_path, flag, value, match):
    argv = ["shot", "--size", "160x90", "--out", str(tmp_path / "a.png"), flag, value]
    args = parser_with(lambda a: SyntheticWorld(50)).parse_args(argv)
    with pytest.raises(UserError, match=match):
        args.handler(args)


def test_caption_lines():
    lines = cli.caption_lines(make_snapshot(2, 3, n_flows=0), "T")
    assert lines[0] == "T" and "6 satellites" in lines[1] and lines[2].endswith("UTC")


def test_render_bench_small(capsys):
    from viz.bench import run_render_bench

    report = run_render_bench(SyntheticWorld, as_json=False, sizes=((160, 90),), counts=(200,),
                              frames=3, distinct=2)
    assert report["gl_renderer"]
    (row,) = report["results"]
    assert row["n_sats"] > 150 and row["median_ms"] > 0
    assert 0 < row["cpu_update_ms"] <= row["median_ms"]  # a part of the frame, not all of it
    out = capsys.readouterr().out
    assert "GL_RENDERER" in out and "cpu upd ms" in out


def test_headless_imports_no_window_libraries():
    import subprocess
    import sys

    code = ("import sys, viz.cli, viz.bench, viz.offscreen, viz.renderer\n"
            "bad = {'pyglet', 'imgui_bundle', 'torch', 'skyfield', 'sgp4'} & set(sys.modules)\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_demo_trip_option():
    snap = make_snapshot(12, 20, n_flows=0, selected=3)
    trip = cli.with_demo_trip(snap, "hops_up", 2.0).round_trips[0]
    assert trip.sat == 3 and trip.leg_progress == 1.0 and trip.phase == "hops_up"
    with pytest.raises(UserError, match="--demo-trip"):
        cli.with_demo_trip(snap, "teleport", 0.5)


def test_shot_ask_uses_the_sims_round_trip(tmp_path):
    """--ask drives the sim's own Ask (onboard model, fixed rate) to the chosen phase."""
    from sim.cli import world_from_args

    seen = {}

    def factory(args):
        world = world_from_args(args)
        seen["world"] = world
        return world

    out = tmp_path / "ask.png"
    args = parser_with(factory).parse_args(
        ["shot", "--scenario", "cluster-2025", "--select", "0", "--ask", "Hello?",
         "--trip-phase", "inference", "--trip-progress", "0.5", "--size", "160x90",
         "--samples", "0", "--camera", "trip", "--out", str(out)])
    assert args.handler(args) == 0 and out.exists()
    world = seen["world"]
    (trip,) = world.round_trips.trips
    phase = next(p for p in trip.phases if p.name == "inference")
    assert abs(world.sim_time_s - (phase.start_s + phase.end_s) / 2) < 1e-6
    bad = parser_with(world_from_args).parse_args(
        ["shot", "--scenario", "cluster-2025", "--select", "0", "--ask", "Hi",
         "--trip-phase", "teleport", "--out", str(tmp_path / "b.png")])
    with pytest.raises(UserError, match="--trip-phase"):
        bad.handler(bad)


def test_parse_layers():
    settings = cli.parse_layers("borders, -stars,+all_planes")
    assert settings.borders and not settings.stars and settings.all_planes and settings.links
    with pytest.raises(UserError, match="--layers: unknown layer 'clouds'"):
        cli.parse_layers("clouds")
