"""`run.py record`: frame-exact H.264 read back with imageio-ffmpeg, determinism, interrupted
recordings that still play, and bad input refused before any rendering."""
import argparse

import imageio_ffmpeg
import numpy as np
import pytest

from sim.cli import world_from_args
from sim.errors import UserError
from viz import cli, record

SCENARIO = """
[scenario]
name = "mini"
title = "Mini cluster"
epoch = "2026-01-15T03:00:00Z"
seed = 7
sources = ["test"]
assumptions = ["test"]

[[shells]]
name = "XS"
role = "inference"
altitude_km = 535
sun_synchronous = true
planes = 1
sats_per_plane = 12

[links]
terminals = 2

[ground]
min_elevation_deg = 10
sets = ["china"]
only = ["Kashi", "Jiamusi", "Xi'an"]

[compute]
inference_pflops = 0.744

[[timeline]]
at = 0
kind = "camera"
azimuth_deg = 0
elevation_deg = 10
distance_km = 30000

[[timeline]]
at = 2
kind = "camera"
azimuth_deg = 90
elevation_deg = 30
distance_km = 16000
ease = "linear"

[[timeline]]
at = 0.5
kind = "warp"
warp = 30

[[timeline]]
at = 0.5
kind = "caption"
text = "A caption"
duration_s = 1.0

[[timeline]]
at = 1
kind = "layers"
links = false
"""


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scen") / "mini.toml"
    path.write_text(SCENARIO)
    return path


def parse(argv, factory=world_from_args):
    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers(dest="command"), world_factory=factory)
    return parser.parse_args(["record", *argv])


def run_record(scenario, out, *extra, seconds="2", fps="10"):
    args = parse(["--scenario", str(scenario), "--out", str(out), "--size", "160x90",
                  "--fps", fps, "--seconds", seconds, "--samples", "0", "--quality", "fast",
                  *extra])
    return args.handler(args)


def frames_of(path):
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = gen.__next__()
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in gen]
    return meta, frames


@pytest.fixture(scope="module")
def recorded(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "a.mp4"
    assert run_record(scenario_file, out) == 0
    return out


def test_frame_count_codec_pixel_format(recorded, capsys):
    nframes, nsecs = imageio_ffmpeg.count_frames_and_secs(str(recorded))
    assert (nframes, nsecs) == (20, pytest.approx(2.0))
    meta, frames = frames_of(recorded)
    assert meta["codec"].startswith("h264") and meta["pix_fmt"].startswith("yuv420p")
    assert meta["size"] == (160, 90) and meta["fps"] == pytest.approx(10)
    assert len(frames) == 20
    # The camera moves all along: every frame differs from the one before it.
    diffs = [np.abs(a.astype(int) - b).mean() for a, b in zip(frames, frames[1:])]
    assert min(diffs) > 0.05, diffs
    # faststart: the index (moov) comes before the media data (mdat).
    head = recorded.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head


def test_same_scenario_twice_gives_the_same_frames(scenario_file, recorded, tmp_path):
    again = tmp_path / "b.mp4"
    assert run_record(scenario_file, again) == 0
    _, first = frames_of(recorded)
    _, second = frames_of(again)
    assert len(first) == len(second) == 20
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_png_dir_matches_the_video_frame_count(scenario_file, tmp_path):
    args = parse(["--scenario", str(scenario_file), "--png-dir", str(tmp_path / "png"),
                  "--size", "160x90", "--fps", "10", "--seconds", "1", "--samples", "0",
                  "--quality", "fast"])
    assert args.handler(args) == 0
    pngs = sorted((tmp_path / "png").glob("frame_*.png"))
    assert [p.name for p in pngs][:2] == ["frame_000000.png", "frame_000001.png"]
    assert len(pngs) == 10


def test_seconds_default_to_the_timeline_length(scenario_file, tmp_path):
    args = parse(["--scenario", str(scenario_file), "--out", str(tmp_path / "c.mp4"),
                  "--size", "160x90", "--fps", "5", "--samples", "0", "--quality", "fast"])
    assert args.handler(args) == 0
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "c.mp4"))[0] == 10  # 2 s x 5


def test_then_appends_a_second_scenario(scenario_file, tmp_path):
    out = tmp_path / "then.mp4"
    assert run_record(scenario_file, out, "--then", "cluster-2025", seconds="3", fps="5") == 0
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 15


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_interrupted_recording_still_plays(scenario_file, tmp_path, error, capsys):
    from sim.world import World
    from sim import timeline as tl

    out = tmp_path / "cut.mp4"
    settings = record.Settings((160, 90), 10.0, out=out, samples=0, quality="fast")
    part = record.Part(World.from_scenario(str(scenario_file)), tl.load(scenario_file), "mini",
                       frames=20)

    def stop(done):
        if done == 7:
            raise error

    out.write_bytes(b"an earlier take")
    with pytest.raises(type(error)) as raised:
        record.record([part], settings, on_frame=stop)
    partial = tmp_path / "cut.partial.mp4"
    assert imageio_ffmpeg.count_frames_and_secs(str(partial))[0] == 7
    _, frames = frames_of(partial)
    assert len(frames) == 7
    assert out.read_bytes() == b"an earlier take"  # never clobbered by a stopped recording
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "cut.partial.mp4"]
    message = str(raised.value) + capsys.readouterr().err
    assert "after 7 of 20 frames" in message and "plays" in message
    assert "cut.partial.mp4" in message


def _never(args):
    raise AssertionError("the world should not be built for this input")


@pytest.mark.parametrize("argv,match", [
    (["--size", "161x90"], "even width and height"),
    (["--size", "160x91"], "even width and height"),
    (["--fps", "0"], "--fps: must be positive"),
    (["--fps", "-10"], "--fps: must be positive"),
    (["--fps", "ten"], "--fps: expected a number"),
    (["--seconds", "0"], "--seconds: must be positive"),
    (["--seconds", "-2"], "--seconds: must be positive"),
    (["--out", "/nonexistent-dir/x.mp4"], "does not exist"),
    (["--out", "x.avi"], "expected a .mp4 or .mov or .m4v or .mkv file name"),
    (["--out", "/"], "--out"),
    (["--preset", "warp9"], "--preset"),
])
def test_bad_flags_fail_before_anything_is_built(tmp_path, argv, match):
    base = ["--scenario", "cluster-2025", "--out", str(tmp_path / "a.mp4"), "--size", "160x90",
            "--fps", "10", "--seconds", "1"]
    args = parse(base + argv, factory=_never)
    with pytest.raises(UserError, match=match):
        args.handler(args)
    assert not (tmp_path / "a.mp4").exists()


def test_unwritable_output_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    args = parse(["--out", str(blocker / "x.mp4")], factory=_never)
    with pytest.raises(UserError, match="--out: cannot write|does not exist"):
        args.handler(args)


def test_needs_out_or_png_dir():
    args = parse(["--scenario", "cluster-2025"], factory=_never)
    with pytest.raises(UserError, match="--out"):
        args.handler(args)


def test_unknown_scenario(tmp_path):
    args = parse(["--scenario", "network-2099", "--out", str(tmp_path / "a.mp4")])
    with pytest.raises(UserError, match="unknown scenario 'network-2099'"):
        args.handler(args)
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize("entry,match", [
    ('at = 1\nkind = "camera"\nfollow = "XS-99"\n', r":\d+: timeline\[6\]\.follow \(camera\): "
                                                    r"unknown satellite 'XS-99'"),
    ('at = 1\nkind = "layers"\nlinkz = false\n', r":\d+: timeline\[6\]\.linkz \(layers\): "
                                                 r"unknown layer 'linkz' \(did you mean 'links'\?\)"),
    ('at = 1\nkind = "select"\nsat = 40\n', r"timeline\[6\]\.sat \(select\): no satellite"),
    ('at = 1\nkind = "prompt"\nsat = 2\nprompt = "hi"\nstation = "Paris"\n',
     r"timeline\[6\]\.station \(prompt\): unknown station 'Paris'"),
    ('at = 1\nkind = "warp"\n', r"timeline\[6\]: missing required key 'warp'"),
])
def test_bad_timeline_entries_fail_before_rendering(tmp_path, entry, match, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO + "\n[[timeline]]\n" + entry)
    drawn = []
    from viz.renderer import Renderer

    monkeypatch.setattr(Renderer, "draw", lambda *a, **k: drawn.append(1))
    with pytest.raises(UserError, match=match):
        run_record(path, tmp_path / "a.mp4")
    assert not drawn and not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize("entry,field", [
    ('at = 1\nkind = "select"\nsat = "XS-99"\n', "timeline[6].sat (select)"),
    ('at = 1\nkind = "camera"\nfollow = "XS-99"\n', "timeline[6].follow (camera)"),
    ('at = 1\nkind = "prompt"\nsat = 2\nprompt = "hi"\nstation = "Paris"\n',
     "timeline[6].station (prompt)"),
    ('at = 1\nkind = "layers"\nlinkz = false\n', "timeline[6].linkz (layers)"),
    ('at = 1\nkind = "deploy"\njob = "pretrain"\n', "timeline[6].job (deploy)"),
])
def test_info_and_record_refuse_the_same_timeline_entries(tmp_path, capsys, entry, field):
    """An unknown satellite, station or layer: `info` and `record` both exit 2 with the same
    one line, naming the file, the line, the entry and the field."""
    import run

    path = tmp_path / "bad.toml"
    text = SCENARIO + "\n[[timeline]]\n" + entry
    path.write_text(text)
    line = text[:text.rindex(entry.splitlines()[-1])].count("\n") + 1  # the entry's last key
    errors = []
    for argv in (["info", "--scenario", str(path)],
                 ["record", "--scenario", str(path), "--out", str(tmp_path / "a.mp4"),
                  "--size", "160x90", "--fps", "10", "--seconds", "1", "--samples", "0"]):
        assert run.main(argv) == 2
        _, err = capsys.readouterr()
        assert err.startswith("error: ") and err.count("\n") == 1, err
        errors.append(err)
    assert errors[0] == errors[1]
    assert f"{path}:{line}: {field}: " in errors[0]
    assert not (tmp_path / "a.mp4").exists()


def test_fractional_frame_count_is_refused(scenario_file, tmp_path):
    with pytest.raises(UserError, match="whole number of frames"):
        run_record(scenario_file, tmp_path / "a.mp4", seconds="1.05", fps="10")


def test_frame_counts_split_parts():
    assert record.frame_counts([2.0, 3.0], 10, None) == [20, 30]
    assert record.frame_counts([2.0, 3.0], 10, 4.0) == [20, 20]
    assert record.frame_counts([2.0, 3.0], 10, 1.0) == [10, 0]
    assert record.frame_counts([2.0, 0.0], 10, 15.0) == [20, 130]
    assert record.frame_counts([0.0], 10, None) == [100]


@pytest.mark.parametrize("name,length", [("tour-2035", 30.0), ("story-roundtrip", 30.0),
                                         ("story-roundtrip-2035", 30.0),
                                         ("story-training", 61.0), ("story-observe", 45.0)])
def test_shipped_scripts_check_out(name, length):
    """The shipped scripted scenarios load and every name in them resolves (no rendering)."""
    from sim import timeline as tl
    from sim.world import World
    from viz.director import DirectedCamera, Director

    world = World.from_scenario(name)
    timeline = tl.load(world.scenario.path)
    assert timeline.length_s == length
    director = Director(timeline, DirectedCamera((160, 90)), fps=10)
    director.validate(world.snapshot())


def test_record_refuses_a_model_that_is_not_pulled(tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    from tests.cli_helpers import assert_one_line_error, cli

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    out = tmp_path / "x.mp4"
    code, _, err = cli(capsys, "record", "--scenario", "cluster-2025", "--model",
                       "Qwen/Qwen3-NotPulled", "--seconds", "1", "--out", out)
    assert_one_line_error(code, err, "run.py model pull Qwen/Qwen3-NotPulled")
    assert not out.exists() and not list(tmp_path.glob(".*"))
