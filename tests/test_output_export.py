"""`run.py export`'s CSV: a bad output path refused before the World is built, a full disk or
Ctrl-C leaving the old file as it was, and satellites SGP4 cannot place written honestly."""
import csv
import math

import pytest
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_tle

import run
from tests.cli_helpers import assert_one_line_error, cli
from tests.output_helpers import OLD, disk_full, never_built, only
from sim import output


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
