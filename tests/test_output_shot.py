"""`run.py shot`'s PNG: bad output paths and advances refused before anything is built, long
advances stepped as in the app, and PNGs verified (decoded again) before they replace a file."""
import argparse
import pathlib

import numpy as np
import pytest

from tests.cli_helpers import assert_one_line_error, cli
from tests.output_helpers import OLD, disk_full, never_built, only
from sim.errors import UserError


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
