"""Output files (export CSV, shot PNG, recorded video): checked before the expensive work,
written beside the target under a temporary name, verified, renamed only when complete; a
failure (folder in the way, disk full, truncated file, Ctrl-C, SIGTERM) leaves no temporary
file and never removes or changes what was there before (issue 10)."""
import argparse
import csv
import errno
import math
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_tle

import run
from tests.cli_helpers import assert_one_line_error, cli
from sim import output
from sim.errors import UserError

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLD = b"the file that was there before"





def only(folder: pathlib.Path) -> list[str]:
    """Every name in `folder`, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def never_built(*args, **kwargs):
    raise AssertionError("the World must not be built for a bad output path")


# --- the helper ----------------------------------------------------------------------------

def test_atomic_output_keeps_the_old_file_when_the_block_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)
    with pytest.raises(UserError, match="disk full"):
        with output.atomic_output(target) as temp:
            temp.write_bytes(b"half")
            disk_full()
    assert target.read_bytes() == OLD and only(tmp_path) == ["x.csv"]


def test_atomic_output_keeps_the_old_file_when_verification_fails(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)

    def verify(path):
        raise UserError("incomplete")

    with pytest.raises(output.OutputError, match="incomplete"):
        with output.atomic_output(target, verify) as temp:
            temp.write_bytes(b"new")
    assert target.read_bytes() == OLD and only(tmp_path) == ["x.csv"]


def test_atomic_output_replaces_on_success(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(OLD)
    target.chmod(0o640)
    with output.atomic_output(target, verify=lambda p: None) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and only(tmp_path) == ["x.csv"]
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's mode is kept


def test_a_new_output_gets_the_mode_of_a_plain_write(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    with output.atomic_output(tmp_path / "new.csv") as temp:
        temp.write_bytes(b"new")
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_check_output_path_refuses_a_folder_and_a_file_in_place_of_a_folder(tmp_path):
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(UserError, match="--out: .*x.csv is a folder"):
        output.check_output_path("--out", tmp_path / "x.csv", (".csv",))
    (tmp_path / "no").write_text("a file, not a folder")
    with pytest.raises(UserError, match="--out: cannot write .*no is not a folder"):
        output.check_output_path("--out", tmp_path / "no" / "x.csv", (".csv",))


def test_check_output_path_without_permission(tmp_path, monkeypatch):
    monkeypatch.setattr(output.os, "access", lambda path, mode: False)  # root ignores chmod
    with pytest.raises(UserError, match="--out: cannot write .*permission denied"):
        output.check_output_path("--out", tmp_path / "x.csv", (".csv",))


# --- export --------------------------------------------------------------------------------

@pytest.mark.parametrize("target,expected", [
    ("folder.csv", "is a folder"),
    ("x.txt", "expected a .csv file name"),
    ("missing/x.csv", "does not exist"),
])
def test_export_bad_out_fails_before_the_world_is_built(tmp_path, capsys, monkeypatch, target,
                                                        expected):
    (tmp_path / "folder.csv").mkdir()
    monkeypatch.setattr("sim.cli.World.from_scenario", never_built)
    code, _, err = cli(capsys, "export", "--scenario", "cluster-2025", "--out",
                       tmp_path / target)
    assert_one_line_error(code, err, "--out", expected)


def test_export_on_a_full_disk_leaves_the_old_file(tmp_path, capsys, monkeypatch):
    target = tmp_path / "sats.csv"
    target.write_bytes(OLD)
    monkeypatch.setattr(output.os, "fsync", disk_full)
    code, _, err = cli(capsys, "export", "--scenario", "cluster-2025", "--out", target)
    assert_one_line_error(code, err, str(target), "No space left on device (disk full)")
    assert target.read_bytes() == OLD and only(tmp_path) == ["sats.csv"]


def test_export_interrupted_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    """SIGTERM (raised as run.Terminated by run.py's handler) in the middle of the write."""
    target = tmp_path / "sats.csv"
    target.write_bytes(OLD)
    real_writer = csv.writer

    class Dying:
        def __init__(self, stream):
            self.inner, self.rows = real_writer(stream), 0

        def writerow(self, row):
            self.rows += 1
            if self.rows == 5:
                raise run.Terminated()
            self.inner.writerow(row)

    monkeypatch.setattr("sim.export.csv.writer", Dying)
    code, _, err = cli(capsys, "export", "--scenario", "cluster-2025", "--out", target)
    assert code == 143 and err == "terminated\n"
    assert target.read_bytes() == OLD and only(tmp_path) == ["sats.csv"]


def decayed_and_healthy_tle() -> str:
    lines = []
    for number, rev_per_day in ((5, 15.0), (6, 18.0)):  # 18 rev/day: inside the Earth
        sat = Satrec()
        sat.sgp4init(WGS72, "i", number, 20000.0, 0.0, 0.0, 0.0, 0.001, 0.0, 0.9, 0.0,
                     rev_per_day * 2 * math.pi / 1440, 0.0)
        lines += [f"SAT {number}", *export_tle(sat)]
    return "\n".join(lines) + "\n"


def test_export_writes_unplaceable_satellites_honestly(tmp_path, capsys):
    tle = tmp_path / "two.tle"
    tle.write_text(decayed_and_healthy_tle())
    target = tmp_path / "out.csv"
    code, _, err = cli(capsys, "export", "--scenario", tle, "--out", target)
    assert code == 0
    assert "warning: 1 of 2 satellites could not be placed by SGP4" in err
    healthy, decayed = csv.DictReader(target.open())
    assert healthy["placed"] == "1" and float(healthy["alt_km"]) > 200
    assert decayed["placed"] == "0"
    assert all(decayed[k] == "" for k in ("lat_deg", "alt_km", "gcrs_x_km", "itrs_z_km",
                                          "sunlit"))


# --- SIGTERM in a real process ----------------------------------------------------------------

def catches_sigterm(pid: int) -> bool:
    """True once process `pid` has a SIGTERM handler (run.py's main is running)."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    caught = int(next(l for l in status.splitlines() if l.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not pathlib.Path("/proc/self/status").exists(), reason="needs /proc")
def test_sigterm_ends_a_command_with_one_line_and_exit_143(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('[scenario]\nname = "big"\nepoch = "2026-01-15T00:00:00Z"\n[[shells]]\n'
                   'altitude_km = 550\ninclination_deg = 53\nplanes = 1000\n'
                   'sats_per_plane = 1000\n')
    target = tmp_path / "sats.csv"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "export", "--scenario",
                             str(big), "--out", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not catches_sigterm(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # now inside main: building a million satellites
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert err == "terminated\n"
    assert only(tmp_path) == ["big.toml"]


# --- shot ------------------------------------------------------------------------------------

def shot_args(out, *extra):
    from viz import cli as viz_cli

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    viz_cli.add_commands(commands, world_factory=never_built)
    return parser.parse_args(["shot", "--scenario", "cluster-2025", "--size", "64x48",
                              "--samples", "0", "--out", str(out), *extra])


@pytest.mark.parametrize("name,extra,expected", [
    ("folder.png", (), "is a folder"),
    ("missing/x.png", (), "does not exist"),
    ("x.jpg", (), "expected a .png file name"),
    ("x.png", ("--advance", "1e12"), "--advance: expected 0..31,622,400 seconds"),
    ("x.png", ("--advance", "inf"), "--advance"),
    ("x.png", ("--advance", "nan"), "--advance"),
    ("x.png", ("--advance", "-1"), "--advance"),
])
def test_shot_refuses_bad_output_and_advance_before_building_anything(tmp_path, name, extra,
                                                                      expected):
    (tmp_path / "folder.png").mkdir()
    args = shot_args(tmp_path / name, *extra)
    with pytest.raises(UserError, match=expected):
        args.handler(args)
    assert only(tmp_path) == ["folder.png"]


def test_shot_advance_past_the_ephemeris_is_refused(tmp_path, capsys):
    code, _, err = cli(capsys, "shot", "--scenario", "cluster-2025", "--at",
                       "2052-12-01T00:00:00Z", "--advance", "3000000", "--size", "64x48",
                       "--out", tmp_path / "x.png")
    assert_one_line_error(code, err, "--advance", "outside the ephemeris")
    assert only(tmp_path) == []


class CountingWorld:
    """Stands in for the World: counts the Advance commands and the sim time they cover."""

    def __init__(self):
        self.steps, self.seconds = [], 0.0

    def snapshot(self):
        import datetime as dt
        import types

        return types.SimpleNamespace(time_utc=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))

    def apply(self, command):
        self.steps.append(command.seconds)
        self.seconds += command.seconds
        return "snap"


def test_long_advance_is_one_big_step_then_a_minute_of_fine_steps():
    from viz.cli import advance

    world = CountingWorld()
    advance(world, 365 * 86400.0)
    assert world.seconds == pytest.approx(365 * 86400.0)
    assert len(world.steps) == 61 and world.steps[0] == pytest.approx(365 * 86400.0 - 60)
    assert all(dt <= 1.0 for dt in world.steps[1:])
    short = CountingWorld()
    advance(short, 20.0)
    assert short.steps == [1.0] * 20  # short advances as before


def test_save_png_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    from PIL import Image

    from viz.offscreen import save_png

    target = tmp_path / "shot.png"
    target.write_bytes(OLD)
    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="disk full") as raised:  # what the app's F12 catches
        save_png(np.zeros((8, 8, 3), np.uint8), target)
    assert isinstance(raised.value, UserError)  # and what run.py prints as one line
    assert target.read_bytes() == OLD and only(tmp_path) == ["shot.png"]


def test_save_png_refuses_a_truncated_png(tmp_path, monkeypatch):
    from PIL import Image

    from viz.offscreen import save_png

    target = tmp_path / "shot.png"
    target.write_bytes(OLD)
    real_save = Image.Image.save

    def truncated(self, path, *args, **kwargs):
        real_save(self, path, *args, **kwargs)
        data = pathlib.Path(path).read_bytes()
        pathlib.Path(path).write_bytes(data[: len(data) // 2])

    monkeypatch.setattr(Image.Image, "save", truncated)
    noise = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    with pytest.raises(UserError, match="does not decode"):
        save_png(noise, target)
    assert target.read_bytes() == OLD and only(tmp_path) == ["shot.png"]


def test_save_png_writes_a_decodable_png(tmp_path):
    from PIL import Image

    from viz.offscreen import save_png

    image = np.random.default_rng(2).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    save_png(image, tmp_path / "a.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), image)
    assert only(tmp_path) == ["a.png"]


# --- video -----------------------------------------------------------------------------------

@pytest.fixture
def fake_ffmpeg(tmp_path_factory, monkeypatch):
    """An ffmpeg that, when asked to encode, reads everything and then behaves as `mode` says:
    'fail' (exit 1, "No space left on device") or 'garbage' (exit 0, a file that is no video).
    Reading a file back (the verification) goes to the real ffmpeg."""
    import imageio_ffmpeg

    real = imageio_ffmpeg.get_ffmpeg_exe()

    def make(mode: str):
        script = tmp_path_factory.mktemp("bin") / "ffmpeg"
        script.write_text(f"""#!/bin/sh
case "$*" in *"-f null"*) exec "{real}" "$@";; esac
cat > /dev/null
for last; do :; done
if [ "{mode}" = fail ]; then
  echo "av_interleaved_write_frame(): No space left on device" >&2; exit 1
fi
printf 'not a video' > "$last"
exit 0
""")
        script.chmod(0o755)
        monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(script))
    return make


@pytest.mark.parametrize("mode,expected", [("fail", "No space left on device"),
                                           ("garbage", "does not play")])
def test_video_sink_never_replaces_a_file_with_a_broken_video(tmp_path, fake_ffmpeg, mode,
                                                              expected):
    from viz.record_sink import VideoSink

    fake_ffmpeg(mode)
    target = tmp_path / "demo.mp4"
    target.write_bytes(OLD)
    sink = VideoSink(target, (32, 16), 10)
    for _ in range(3):
        sink.send(np.zeros((16, 32, 3), np.uint8))
    with pytest.raises(UserError, match=expected):
        sink.close()
    assert target.read_bytes() == OLD and only(tmp_path) == ["demo.mp4"]


def test_video_sink_verifies_and_replaces_on_success(tmp_path):
    import imageio_ffmpeg

    from viz.record_sink import VideoSink

    target = tmp_path / "demo.mp4"
    target.write_bytes(OLD)
    sink = VideoSink(target, (32, 16), 10)
    for k in range(5):
        sink.send(np.full((16, 32, 3), 40 * k, np.uint8))
    assert sink.close() == target
    assert imageio_ffmpeg.count_frames_and_secs(str(target))[0] == 5
    assert only(tmp_path) == ["demo.mp4"]


SCENARIO = """[scenario]
name = "mini"
epoch = "2026-01-15T03:00:00Z"
[[shells]]
altitude_km = 535
sun_synchronous = true
planes = 1
sats_per_plane = 6
[ground]
only = ["Kashi"]
"""


def record_part(tmp_path, frames=8):
    from sim import timeline as tl
    from sim.world import World
    from viz import record

    path = tmp_path / "mini.toml"
    path.write_text(SCENARIO)
    return record.Part(World.from_scenario(str(path)), tl.load(path), "mini", frames=frames)


def test_record_on_a_full_disk_says_so_and_keeps_the_old_file(tmp_path, fake_ffmpeg):
    from viz import record

    fake_ffmpeg("fail")
    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")
    with pytest.raises(UserError, match="No space left on device") as raised:
        record.record([record_part(tmp_path)], settings)
    assert "wrote" not in str(raised.value)
    assert out.read_bytes() == OLD and only(out.parent) == ["demo.mp4"]


def test_record_failing_before_the_first_frame_removes_nothing(tmp_path, monkeypatch):
    from viz import record
    from viz.renderer import Renderer

    def broken_draw(*args, **kwargs):
        raise UserError("the renderer could not start")

    monkeypatch.setattr(Renderer, "draw", broken_draw)
    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")
    with pytest.raises(UserError, match="after 0 frames: nothing written; .* was not changed"):
        record.record([record_part(tmp_path)], settings)
    assert out.read_bytes() == OLD and only(out.parent) == ["demo.mp4"]


def test_record_terminated_keeps_a_playable_partial_beside_the_target(tmp_path):
    import imageio_ffmpeg

    from viz import record

    out = tmp_path / "video" / "demo.mp4"
    out.parent.mkdir()
    out.write_bytes(OLD)
    settings = record.Settings((32, 16), 10.0, out=out, samples=0, quality="fast")

    def stop(done):
        if done == 3:
            raise run.Terminated()

    with pytest.raises(run.Terminated) as raised:
        record.record([record_part(tmp_path)], settings, on_frame=stop)
    partial = out.parent / "demo.partial.mp4"
    assert "recording terminated after 3 of 8 frames" in str(raised.value)
    assert str(partial) in str(raised.value) and "was not changed" in str(raised.value)
    assert imageio_ffmpeg.count_frames_and_secs(str(partial))[0] == 3
    assert out.read_bytes() == OLD
    assert only(out.parent) == ["demo.mp4", "demo.partial.mp4"]
