"""The command line as users script it: every built-in scenario, JSON outputs, files written
atomically, and bad input as one clear line with exit code 2 (never a traceback)."""
import csv
import json
import pathlib
import subprocess
import sys

import datetime as dt

import numpy as np
import pytest
from skyfield.api import EarthSatellite, wgs84

import run
from sim import ephemeris
from sim.constants import SPEED_OF_LIGHT_KM_S
from sim.scenario import builtin_names
from sim.world import World

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cli(capsys, *argv):
    code = run.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scenarios_lists_every_builtin(capsys):
    code, out, _ = cli(capsys, "scenarios")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == len(builtin_names()) >= 7
    assert any("network-2035" in line and "(default)" in line for line in lines)


#: built-ins small enough to build in a test (filing-1m: a million satellites, about 20 s and
#: 4 GB; its layout is checked without building it in tests/sim/test_scenarios.py)
SMALL_BUILTINS = [name for name in builtin_names() if name != "filing-1m"]


@pytest.mark.parametrize("name", SMALL_BUILTINS)
def test_info_json_on_every_builtin(capsys, name):
    code, out, _ = cli(capsys, "info", "--scenario", name, "--json")
    info = json.loads(out)
    assert code == 0 and info["name"] == name
    assert info["satellites"] == sum(s["satellites"] for s in info["shells"]) > 0
    assert info["sources"] and info["epoch"]


def test_info_text(capsys):
    code, out, _ = cli(capsys, "info", "--scenario", "network-2035")
    assert code == 0
    assert "2800 satellites" in out and "100,008.0 PFLOPS" in out and "TRN-DD" in out


def test_route_json_between_cities(capsys):
    code, out, _ = cli(capsys, "route", "--scenario", "starlink-shell1", "--from", "London",
                       "--to", "New York", "--json")
    report = json.loads(out)
    assert code == 0 and report["path_found"] and report["path_now"]
    assert report["hops"][0]["kind"] == "uplink" and report["hops"][-1]["kind"] == "downlink"
    total = sum(h["length_km"] for h in report["hops"])
    km_per_ms = SPEED_OF_LIGHT_KM_S / 1e3
    assert report["one_way_ms"] == pytest.approx(total / km_per_ms, rel=1e-4)
    assert 5570 / km_per_ms < report["one_way_ms"] < 2 * 5570 / km_per_ms  # vs great circle


def test_route_waits_for_next_path_on_the_cluster(capsys):
    code, out, _ = cli(capsys, "route", "--scenario", "cluster-2025", "--from", "Kashi",
                       "--to", "XS-03")
    assert code == 0
    assert "no path now; the next one opens at 2026-01-15T03:52" in out
    assert "round trip via XS-03" in out


def test_route_accepts_lat_lon(capsys):
    code, out, _ = cli(capsys, "route", "--scenario", "starlink-shell1", "--from", "48.86,2.35",
                       "--to=-8.84,13.29")
    assert code == 0 and "round trip" in out


def test_export_csv(capsys, tmp_path):
    out_file = tmp_path / "sats.csv"
    code, _, err = cli(capsys, "export", "--scenario", "cluster-2025", "--at",
                       "2026-01-15T06:00:00Z", "--out", str(out_file))
    assert code == 0 and "wrote 12 satellites" in err
    rows = list(csv.DictReader(out_file.open()))
    assert len(rows) == 12 and rows[2]["name"] == "XS-03" and rows[0]["role"] == "inference"
    # geodetic coordinates as skyfield's WGS-84 model gives them
    world = World.from_scenario("cluster-2025", at=dt.datetime(2026, 1, 15, 6, tzinfo=dt.timezone.utc))
    t = ephemeris.skyfield_time(world.now)
    for row, satrec in zip(rows, world.constellation.satrecs):
        at = EarthSatellite.from_satrec(satrec, ephemeris.timescale()).at(t)
        lat, lon = wgs84.latlon_of(at)
        assert float(row["lat_deg"]) == pytest.approx(lat.degrees, abs=1e-5)
        assert float(row["lon_deg"]) == pytest.approx(lon.degrees, abs=1e-5)
        assert float(row["alt_km"]) == pytest.approx(wgs84.height_of(at).km, abs=1e-3)
    gcrs = np.array([[float(r[f"gcrs_{a}_km"]) for a in "xyz"] for r in rows])
    itrs = np.array([[float(r[f"itrs_{a}_km"]) for a in "xyz"] for r in rows])
    assert np.allclose(np.linalg.norm(gcrs, axis=1), np.linalg.norm(itrs, axis=1))
    assert set(r["sunlit"] for r in rows) <= {"0", "1"}


def test_bench_json_small(capsys):
    code, out, _ = cli(capsys, "bench", "--sizes", "300", "--repeats", "2", "--json")
    report = json.loads(out)["sim"]
    row = report["sizes"][0]
    assert code == 0 and row["satellites"] > 250 and row["step_ms_median"] > 0
    assert {"propagate", "laser_links", "ground_links", "routing_traffic",
            "training"} <= set(row["stages_ms_median"])
    cost = report["training"]  # the same size with and without network-2035's training job
    assert cost["jobs"] == 1 and cost["satellites"] == 300
    assert cost["step_ms_median_with_job"] > 0 and cost["step_ms_median_without_job"] > 0
    cost = report["captures"]  # and with and without its scheduled captures
    from sim.scenario import resolve

    shipped = sorted({p.every_min for p in resolve("network-2035").imaging.values()})
    assert cost["every_min"] == shipped and cost["satellites"] == 300
    assert cost["step_ms_median_with_captures"] > 0 and cost["step_ms_median_without_captures"] > 0
    slots = (cost["captures_taken"] + cost["skipped_dark"] + cost["skipped_water"]
             + cost["skipped_limit"])
    assert slots > 0  # 8 steps of 1.67 s after 24 s of warm-up: some slots came due


@pytest.mark.parametrize("argv,expected", [
    (["info", "--scenario", "nosuch"], "unknown scenario 'nosuch'"),
    (["info", "--scenario", "missing.toml"], "does not exist"),
    (["route", "--scenario", "cluster-2025", "--from", "Kashgarr", "--to", "Jiamusi"], "did you mean"),
    (["route", "--scenario", "cluster-2025", "--from", "95,10", "--to", "Jiamusi"], "latitude must be"),
    (["info", "--scenario", "cluster-2025", "--at", "2200-01-01T00:00:00Z"], "outside the ephemeris"),
    (["export", "--scenario", "cluster-2025", "--out", "/nonexistent/dir/x.csv"], "does not exist"),
    (["export", "--scenario", "cluster-2025", "--out", "x.txt"], "expected a .csv"),
    (["bench", "--sizes", "ten"], "--sizes"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, expected):
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert expected in err and err.startswith("error: ") and err.count("\n") == 1


def test_bad_scenario_file_through_the_real_entry_point(tmp_path):
    """A real process: no traceback, the file and line named, nothing written."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nepoch = "2026-01-01T00:00:00Z"\n\n[[shells]]\n'
                   'altitude_km = 100\ninclination_deg = 50\nplanes = 2\nsats_per_plane = 3\n')
    out_file = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "export", "--scenario",
                             str(bad), "--out", str(out_file)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}:6: shells[1].altitude_km: must be 150..50000 km, got 100.0" in result.stderr
    assert not out_file.exists() and list(tmp_path.iterdir()) == [bad]


def _prompt_scenario(tmp_path, max_tokens: int) -> pathlib.Path:
    path = tmp_path / "prompt.toml"
    path.write_text('[scenario]\nbase = "cluster-2025"\nname = "prompting"\n\n[[timeline]]\n'
                    f'at = 1\nkind = "prompt"\nsat = "XS-03"\nprompt = "hi"\n'
                    f'max_tokens = {max_tokens}\n')
    return path


def test_info_refuses_a_timeline_prompt_longer_than_ask_allows(tmp_path, capsys):
    """The timeline's limit is Ask's (sim.commands.MAX_TOKENS): one past it is refused by
    `info` in one line naming the file, line and field; the limit itself is accepted."""
    from sim.commands import MAX_TOKENS, Ask, check_max_tokens
    from sim.script import prompt_command
    from sim.timeline import of_scenario
    from sim.scenario import resolve

    path = _prompt_scenario(tmp_path, MAX_TOKENS + 1)
    code, out, err = cli(capsys, "info", "--scenario", str(path))
    assert code == 2 and not out
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert f"{path}:10: timeline[1].max_tokens: must be 1..{MAX_TOKENS} tokens" in err
    ok = _prompt_scenario(tmp_path, MAX_TOKENS)
    code, out, err = cli(capsys, "info", "--scenario", str(ok))
    assert code == 0, err
    (entry,) = of_scenario(resolve(str(ok))).entries
    command = prompt_command(entry)
    assert command == Ask("XS-03", "hi", max_tokens=MAX_TOKENS, timing="fixed")
    assert check_max_tokens(command.max_tokens) == MAX_TOKENS  # what Ask's service accepts
