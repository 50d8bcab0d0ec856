"""`run.py observe` and the [imaging.<name>] payloads: a capture decided on board, its figures
and its way down; bad input as one line with exit code 2."""
import datetime as dt
import json

import numpy as np
import pytest
from PIL import Image

from sim import scenario as scenario_mod
from sim.errors import UserError
from sim.pathfinder import ground_to_sat_best, next_route
from sim.world import World
from tests.cli_helpers import assert_one_line_error, cli

#: cluster-2025 instants: the ground below XS-03 lit and a station in reach / dark
LIT = "2026-01-15T06:00:00Z"
DARK = "2026-01-15T18:00:00Z"

MINI = """[scenario]
name = "mini-imaging"
epoch = "2026-01-15T00:00:00Z"

[imaging.cam]
swath_km = {swath}
gsd_m = {gsd}
bands = 3
bits_per_sample = 8
needs_daylight = false

[[shells]]
name = "EYES"
altitude_km = 550
inclination_deg = 53
planes = 2
sats_per_plane = 3
imaging = "{ref}"

[[shells]]
name = "BLIND"
altitude_km = 600
inclination_deg = 53
planes = 1
sats_per_plane = 2
"""


def mini(tmp_path, swath="200", gsd="5", ref="cam"):
    path = tmp_path / "mini.toml"
    path.write_text(MINI.format(swath=swath, gsd=gsd, ref=ref))
    return path


def test_payload_raw_bytes_follow_the_sensor_figures():
    msi = scenario_mod.resolve("cluster-2025").imaging["msi"]
    # Sentinel-2 MSI 10 m bands: (290 km / 10 m)^2 pixels x 4 bands x 12 bits
    assert msi.raw_scene_bytes() == pytest.approx(29_000 ** 2 * 4 * 12 / 8)
    net = scenario_mod.resolve("network-2035")
    assert [s.imaging for s in net.shells] == ["msi", "msi", "msi", ""]  # not the training shell


@pytest.mark.parametrize("swath, gsd, ref, expected", [
    ("200", "5", "cma", "unknown imaging payload 'cma' (did you mean 'cam'?)"),
    ("0", "5", "cam", "imaging.cam.swath_km: must be"),
    ("200", "inf", "cam", "imaging.cam.gsd_m: expected a finite number"),
    ("0.001", "5", "cam", "swath_km: must be"),
    ("1", "5000", "cam", "wider than the swath"),
    ('"wide"', "5", "cam", "imaging.cam.swath_km: expected a number"),
])
def test_bad_payloads_name_file_line_and_field(tmp_path, swath, gsd, ref, expected):
    with pytest.raises(UserError) as error:
        scenario_mod.load_toml(mini(tmp_path, swath, gsd, ref))
    assert expected in str(error.value) and "mini.toml:" in str(error.value)


def test_unknown_payload_key_is_refused(tmp_path):
    path = mini(tmp_path)
    path.write_text(path.read_text().replace("bands = 3", "bands = 3\nbandz = 4"))
    with pytest.raises(UserError, match=r"mini.toml:\d+: imaging.cam.bandz: unknown key"):
        scenario_mod.load_toml(path)


def test_observe_json_figures_and_the_way_down(capsys, tmp_path):
    out = tmp_path / "tile.png"
    code, text, err = cli(capsys, "observe", "--scenario", "cluster-2025", "--sat", "XS-03",
                          "--at", LIT, "--out", out, "--json")
    assert code == 0, err
    report = json.loads(text)
    assert report["label"] in ("ocean", "ice", "desert", "vegetation", "urban")
    assert report["confidence"] == max(report["probabilities"].values())
    assert report["raw_bytes"] == pytest.approx(29_000 ** 2 * 4 * 12 / 8)
    assert report["result_bytes"] == len(report["result"].encode()) < 400
    assert json.loads(report["result"])["label"] == report["label"]
    # roofline on the cluster's profile: the CNN's weights (int8: a byte each) at 204.8 GB/s
    # x 0.5, or its FLOPs at 744 TOPS x 0.5, whichever is longer; the whole scene at 10 m is
    # (29,000 / 64)^2 tiles in one batch (the weights read once)
    from sim.onboard import vision

    flops, weights = report["flops"], vision.parameter_count(vision.load())
    assert flops == vision.forward_flops(vision.load())
    assert report["onboard_s"] == pytest.approx(max(flops / 372e12, weights / 102.4e9))
    assert report["full_scene_tiles"] == round((29_000 / 64) ** 2)
    assert report["full_scene_onboard_s"] == pytest.approx(
        max(flops * (29_000 / 64) ** 2 / 372e12, weights / 102.4e9))
    # the way down is the one `run.py route` would find from the moment the result is ready
    world = World.from_scenario("cluster-2025", at=scenario_mod.parse_utc(LIT))
    sat = world.find_satellite("XS-03")
    ready = dt.datetime.fromisoformat(report["downlink"]["ready_utc"])
    found = next_route(ground_to_sat_best(world.model, world.station_sites,
                                          np.arange(world.n_stations), sat), ready)
    down = report["downlink"]
    assert down["stored_s"] == found.waited_s
    assert down["length_km"] == pytest.approx(found.route.length_km, abs=1e-3)
    assert down["hops"][0] == "XS-03" and down["hops"][-1] in [s.name for s in
                                                                world.scenario.stations]
    expected_path = ("stored" if found.waited_s else
                     "direct" if len(found.route.nodes) == 2 else "lasers")
    assert down["path"] == expected_path
    with Image.open(out) as image:
        assert image.size == (64, 64) and image.mode == "RGB"
    # the Sun's elevation at the scene's centre, as skyfield computes it for that place
    from skyfield.api import wgs84

    from sim import ephemeris

    planets = ephemeris.planets()
    place = planets["earth"] + wgs84.latlon(report["scene"]["lat_deg"],
                                            report["scene"]["lon_deg"])
    altitude, _, _ = place.at(ephemeris.skyfield_time(world.now)).observe(
        planets["sun"]).apparent().altaz()
    assert report["scene"]["sun_elevation_deg"] == pytest.approx(altitude.degrees, abs=0.05)


def test_observe_text_and_a_stored_result(capsys, tmp_path):
    # at the epoch this satellite is over the eastern Pacific, out of reach of every station
    # of the default (Chinese) set and of the other satellites' lasers: the result waits
    code, text, err = cli(capsys, "observe", "--scenario", mini(tmp_path), "--sat", "EYES-P01-S01")
    assert code == 0, err
    # (200 km / 5 m)^2 pixels x 3 bands x 8 bits = 4.8 GB
    assert "on board:" in text and "raw scene 4.8 GB" in text
    assert "no hardware profile" in text
    assert "result on the ground at" in text and "stored on board 2.4 h, then EYES-P01-S01" in text


def test_satellite_without_payload(capsys, tmp_path):
    code, _, err = cli(capsys, "observe", "--scenario", mini(tmp_path), "--sat", "BLIND-01")
    assert_one_line_error(code, err, "BLIND-01", "no imaging payload", "shells with one: EYES")


def test_scenario_without_any_payload(capsys):
    code, _, err = cli(capsys, "observe", "--scenario", "starlink-shell1", "--sat", "0")
    assert_one_line_error(code, err, "no imaging payload", "this scenario has none")


def test_night_side_capture_needs_daylight(capsys):
    code, _, err = cli(capsys, "observe", "--scenario", "cluster-2025", "--sat", "XS-03",
                       "--at", DARK)
    assert_one_line_error(code, err, "XS-03", "is dark at", "needs daylight",
                          "next lit at 2026-01-15T")


@pytest.mark.parametrize("target, expected", [
    ("{tmp}", "is a folder"),
    ("{tmp}/missing/tile.png", "does not exist"),
    ("{tmp}/tile.jpg", "expected a .png file name"),
])
def test_bad_output_path(capsys, tmp_path, target, expected):
    code, _, err = cli(capsys, "observe", "--scenario", "cluster-2025", "--sat", "XS-03",
                       "--at", LIT, "--out", target.format(tmp=tmp_path))
    assert_one_line_error(code, err, "--out", expected)
    assert list(tmp_path.iterdir()) == []


def test_unknown_satellite(capsys):
    code, _, err = cli(capsys, "observe", "--scenario", "cluster-2025", "--sat", "XS-99")
    assert_one_line_error(code, err, "XS-99")


def test_info_lists_the_payloads(capsys):
    code, out, _ = cli(capsys, "info", "--scenario", "network-2035", "--json")
    info = json.loads(out)
    assert code == 0 and info["imaging"]["msi"]["swath_km"] == 290.0
    assert {s["name"]: s["imaging"] for s in info["shells"]} == {
        "INF-SSO": "msi", "INF-LOW45": "msi", "INF-LOW30": "msi", "TRN-DD": ""}
    code, out, _ = cli(capsys, "info", "--scenario", "network-2035")
    assert "imaging payload msi (on INF-SSO, INF-LOW45, INF-LOW30): 290 km swath" in out
