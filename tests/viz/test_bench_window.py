"""`run.py bench --window`: the real window measured from outside, and its bad input."""
import pytest

import run
from sim.scenario import resolve
from viz.bench_window import run_window_bench, scaled_network


def test_scaled_network_has_about_the_size_asked(tmp_path):
    scenario = resolve(str(scaled_network(20_000, tmp_path)))
    size = sum(s.size for s in scenario.shells)
    assert 18_000 < size < 22_000 and len(scenario.shells) == 4
    assert scenario.traffic.requests_per_s == pytest.approx(50 * 20_000 / 2_800)


def test_measures_a_real_window(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    report = run_window_bench(["cluster-2025"], "off", seconds=2.0, as_json=True,
                              warmup_s=1.0, warp=10.0)
    row, = report["results"]
    assert row["satellites"] == 12 and row["sim_worker"] == "off"
    assert 5.0 < row["sim_seconds_per_wall_s"] < 15.0  # the warp it was started at
    assert row["frames"] > 5 and 0 < row["frame_ms_median"] < 1000
    assert row["sim_refresh_per_s"] > 1 and row["peak_memory_gb"]["app"] > 0.05


@pytest.mark.parametrize("argv, message", [
    (("--window-seconds", "0"), "--window-seconds 0: expected 1 to 3600"),
    (("--window-scenarios", ","), "--window-scenarios: give at least one scenario"),
    (("--window-warp", "0"), "--window-warp 0: expected 1 to 10000"),
])
def test_bad_window_options_are_one_line(capsys, monkeypatch, argv, message):
    monkeypatch.setenv("DISPLAY", ":0")
    code = run.main(["bench", "--no-sim", "--window", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_no_display_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    code = run.main(["bench", "--no-sim", "--window", "--window-scenarios", "cluster-2025"])
    err = capsys.readouterr().err
    assert code == 2 and "bench --window needs an X display" in err


def test_a_scenario_the_app_refuses_is_one_line(xvfb, capsys, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    code = run.main(["bench", "--no-sim", "--window", "--window-scenarios", "nosuch"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown scenario 'nosuch'" in err
