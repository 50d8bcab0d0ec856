"""`run.py shot --capture SAT [--capture-progress F]`: the sim's own capture in a picture, and
bad input as one line with exit code 2."""
import numpy as np
import pytest

from tests.cli_helpers import assert_one_line_error, cli

DAY = "2026-01-15T03:50:00Z"  #: XS-08 over Sumatra in daylight, the ring reaches Xi'an


def shot(tmp_path, *extra):
    return ["shot", "--scenario", "cluster-2025", "--at", DAY, "--size", "320x180",
            "--samples", "0", "--camera", "asia", "--out", tmp_path / "c.png", *extra]


def test_shot_capture_shows_the_result_on_its_way_down(tmp_path, capsys):
    from PIL import Image

    code, out, err = cli(capsys, *shot(tmp_path, "--capture", "XS-08",
                                       "--capture-progress", "0.5"))
    assert code == 0, err
    on = np.asarray(Image.open(tmp_path / "c.png").convert("RGB"), float)
    code, _, err = cli(capsys, *shot(tmp_path, "--capture", "XS-08", "--capture-progress",
                                     "0.5", "--layers", "-observation"))
    assert code == 0, err
    off = np.asarray(Image.open(tmp_path / "c.png").convert("RGB"), float)
    magenta = (on - off)
    lit = (magenta[..., 0] > 30) & (magenta[..., 2] > 20) & (magenta[..., 1] < magenta[..., 0])
    assert lit.sum() > 20  # the footprint, the way down and its label


@pytest.mark.parametrize("extra,expected", [
    (("--capture-progress", "0.5"), "--capture-progress: give the capturing satellite"),
    (("--capture", "XS-08", "--capture-progress", "1.5"), "expected a fraction 0..1, got 1.5"),
    (("--capture", "XS-08", "--capture-progress", "nan"), "expected a fraction 0..1"),
    (("--capture", "nobody"), "--capture: "),
])
def test_shot_capture_bad_input(tmp_path, capsys, extra, expected):
    code, _, err = cli(capsys, *shot(tmp_path, *extra))
    assert_one_line_error(code, err, expected)
    assert not (tmp_path / "c.png").exists()


def test_shot_capture_in_the_dark_or_without_a_payload(tmp_path, capsys):
    code, _, err = cli(capsys, "shot", "--scenario", "cluster-2025", "--at",
                       "2026-01-15T05:10:00Z", "--size", "160x90", "--capture", "XS-03",
                       "--out", tmp_path / "d.png")
    assert_one_line_error(code, err, "--capture: ", "dark", "next lit")
    code, _, err = cli(capsys, "shot", "--scenario", "starlink-shell1", "--size", "160x90",
                       "--capture", "0", "--out", tmp_path / "d.png")
    assert_one_line_error(code, err, "--capture: ", "no imaging payload")
