"""Scenario files: built-ins, the stated totals, element imports and every kind of bad input."""
import json

import numpy as np
import pytest
from sgp4.exporter import export_omm, export_tle

from sim import scenario as scenario_mod
from sim.elements import parse_tle, read_element_file
from sim.errors import UserError
from sim.world import World

GOOD_SHELL = """
[scenario]
name = "mine"
epoch = "2026-03-01T00:00:00Z"

[[shells]]
name = "A"
role = "inference"
altitude_km = 600
inclination_deg = 60
planes = 4
sats_per_plane = 10
phasing = 1

[compute]
inference_pflops = 2.5
"""


def test_every_builtin_loads_and_cites_sources():
    names = scenario_mod.builtin_names()
    assert {"cluster-2025", "grid-2028", "network-2030", "network-2035", "starlink-shell1",
            "kuiper-630", "telesat-1015"} <= set(names)
    for name in names:
        scen = scenario_mod.resolve(name)
        assert scen.sources and scen.assumptions, name
        assert scen.name == name


def test_filing_1m_follows_the_filing():
    """SAT-LOA-20260108-00016: up to 1,000,000 satellites at 500-2,000 km in 30-degree and
    sun-synchronous shells, each up to 50 km thick (checked on the Scenario: building the
    World takes about 20 s and 4 GB, which the benchmark does)."""
    scen = scenario_mod.resolve("filing-1m")
    assert sum(s.size for s in scen.shells) == 1_000_000
    assert all(500 <= s.altitude_km <= 2000 for s in scen.shells)
    assert {s.inclination_deg for s in scen.shells if not s.sun_synchronous} == {30}
    assert any(s.sun_synchronous for s in scen.shells)
    bands: dict[int, list[float]] = {}
    for shell in scen.shells:  # layers of one band share its name's kind and 50-km bottom
        bands.setdefault((int(shell.altitude_km) // 50, shell.sun_synchronous), []).append(
            shell.altitude_km)
    assert all(max(a) - min(a) <= 50 for a in bands.values())


def test_default_is_network_2035():
    assert scenario_mod.resolve(None).name == "network-2035"


def test_network_2035_matches_the_plan(network_world):
    con = network_world.constellation
    assert con.size == 2800
    assert (con.roles == 0).sum() == 2400 and (con.roles == 1).sum() == 400
    inference = con.capacity_pflops[con.roles == 0].sum()
    training = con.capacity_pflops[con.roles == 1].sum()
    assert inference == pytest.approx(100_000, rel=0.001)
    assert training == pytest.approx(1_000_000, rel=0.001)
    altitudes = [s.altitude_km for s in network_world.scenario.shells]
    assert min(altitudes) >= 500 and max(altitudes) <= 1000


def test_cluster_2025_matches_the_launch(cluster_world):
    con = cluster_world.constellation
    assert con.size == 12
    assert con.capacity_pflops.sum() == pytest.approx(12 * 0.744)  # ~5 POPS for the 12
    assert 500 <= cluster_world.scenario.shells[0].altitude_km <= 550


def test_sizes_of_comparison_shells():
    sizes = {n: sum(s.size for s in scenario_mod.resolve(n).shells)
             for n in ("starlink-shell1", "kuiper-630", "telesat-1015", "grid-2028", "network-2030")}
    assert sizes == {"starlink-shell1": 1584, "kuiper-630": 1156, "telesat-1015": 351,
                     "grid-2028": 32, "network-2030": 992}


def test_user_scenario_file(write):
    path = write("mine.toml", GOOD_SHELL + '\n[ground]\nstations = [{name = "Home", lat_deg = 47.4, lon_deg = 8.5}]\nsets = []\n')
    world = World.from_scenario(str(path))
    assert world.constellation.size == 40
    assert world.snapshot().station_names == ("Home",)
    assert world.constellation.capacity_pflops.sum() == pytest.approx(100.0)


def test_dawn_dusk_option_derives_inclination_and_node(write):
    text = GOOD_SHELL.replace("inclination_deg = 60\n", "dawn_dusk = true\n")
    world = World.from_scenario(str(write("dd.toml", text)))
    satrec = world.constellation.satrecs[0]
    assert np.degrees(satrec.inclo) == pytest.approx(97.79, abs=0.1)  # SSO at 600 km
    assert world.snapshot().sunlit.all()


def test_tle_and_omm_imports_agree(write):
    records = read_element_file(scenario_mod.SCENARIO_DIR.parent / "elements/tle_gpredict_2018.txt")
    chosen = records[:5]
    tle_text = "".join(f"{r.name}\n{export_tle(r.satrec)[0]}\n{export_tle(r.satrec)[1]}\n"
                       for r in chosen)
    omms = [export_omm(r.satrec, r.name) for r in chosen]
    header = list(omms[0])
    csv_text = ",".join(header) + "\n" + "".join(
        ",".join(str(o[k]) for k in header) + "\n" for o in omms)
    worlds = [World.from_scenario(str(write(name, text))) for name, text in
              [("a.tle", tle_text), ("a.json", json.dumps(omms)), ("a.csv", csv_text)]]
    positions = [w.step(3600.0).positions_km for w in worlds]
    assert worlds[0].snapshot().sat_names == tuple(r.name for r in chosen)
    assert np.abs(positions[0] - positions[1]).max() < 1e-3
    assert np.abs(positions[0] - positions[2]).max() < 1e-3
    assert worlds[1].scenario.epoch == max(r.epoch for r in chosen).replace(microsecond=0)


# --- bad input: one clear line naming file, line and field -----------------------------------

def load_error(write, text, name="bad.toml") -> str:
    with pytest.raises(UserError) as caught:
        scenario_mod.resolve(str(write(name, text)))
    return str(caught.value)


def test_unknown_key_names_line_and_suggests(write):
    message = load_error(write, GOOD_SHELL.replace("altitude_km = 600", "altitud_km = 600"))
    assert "bad.toml:9:" in message
    assert "shells[1].altitud_km" in message and "did you mean 'altitude_km'" in message


def test_wrong_type(write):
    message = load_error(write, GOOD_SHELL.replace("planes = 4", 'planes = "four"'))
    assert "bad.toml:11:" in message and "shells[1].planes" in message
    assert "expected an integer" in message


@pytest.mark.parametrize("old,new,field,expected", [
    ("altitude_km = 600", "altitude_km = 120", "altitude_km", "150..50000 km"),
    ("inclination_deg = 60", "inclination_deg = 190", "inclination_deg", "0..180"),
    ("planes = 4", "planes = 0", "planes", "must be 1..10000"),
    ('epoch = "2026-03-01T00:00:00Z"', 'epoch = "2099-01-01T00:00:00Z"', "epoch", "outside the ephemeris"),
    ('epoch = "2026-03-01T00:00:00Z"', 'epoch = "yesterday"', "epoch", "ISO 8601"),
])
def test_impossible_values(write, old, new, field, expected):
    message = load_error(write, GOOD_SHELL.replace(old, new))
    assert field in message and expected in message and "bad.toml:" in message


def test_unknown_station_suggests_names(write):
    text = GOOD_SHELL + '\n[ground]\nsets = ["china"]\nonly = ["Kashgarr"]\n'
    message = load_error(write, text)
    assert "ground.only" in message and "Kashi (Kashgar)" in message


def test_invalid_toml_syntax(write):
    message = load_error(write, GOOD_SHELL.replace('name = "A"', 'name = "A'))
    assert "bad.toml" in message and "invalid TOML" in message and "line" in message


def test_unknown_scenario_name_suggests():
    with pytest.raises(UserError, match="did you mean network-2035"):
        scenario_mod.resolve("network-2053")


def test_malformed_tle_lines(write):
    text = (scenario_mod.SCENARIO_DIR.parent / "elements/tle_gpredict_2018.txt").read_text()
    assert len(parse_tle("\n".join(text.splitlines()[:6]))) == 2
    line1 = "1 41617U 16040U   18020.92263222  .00002489  00000-0  10617-3 0  9990"
    line2 = "2 41617  97.4368  87.1954 0011425  46.9108 313.3084 15.23813118 87812"
    with pytest.raises(UserError, match=r"x.tle:3: TLE line 2 checksum"):
        read_element_file(write("x.tle", f"SAT\n{line1}\n{line2[:-1]}9\n"))
    with pytest.raises(UserError, match=r"x.tle:2: TLE line 1 has 40 columns"):
        read_element_file(write("x.tle", f"SAT\n{line1[:40]}\n{line2}\n"))
    with pytest.raises(UserError, match=r"x.tle:3: .*inclination .* not a number"):
        read_element_file(write("x.tle", f"SAT\n{line1}\n{line2[:8]}  9x.436{line2[16:]}\n"))
    with pytest.raises(UserError, match=r"x.tle:1: TLE line 2 without a line 1"):
        read_element_file(write("x.tle", f"{line2}\n"))


def test_malformed_omm(write):
    with pytest.raises(UserError, match=r"x.json: record 1: missing OMM field MEAN_MOTION"):
        read_element_file(write("x.json", json.dumps([{"OBJECT_NAME": "A", "EPOCH": "2026-01-01T00:00:00"}])))
    with pytest.raises(UserError, match=r"x.json:1: invalid JSON"):
        read_element_file(write("x.json", "[{"))
    with pytest.raises(UserError, match=r"x.csv:1: OMM CSV header lacks"):
        read_element_file(write("x.csv", "OBJECT_NAME,EPOCH\nA,2026\n"))


def test_base_scenario_is_inherited_table_by_table(write):
    path = write("story.toml", '[scenario]\nbase = "cluster-2025"\nname = "story"\n'
                               'epoch = "2026-01-15T03:45:00Z"\n\n[ground]\nsets = ["china"]\n'
                               'only = ["Kashi"]\nmin_elevation_deg = 10\n')
    scen = scenario_mod.resolve(str(path))
    base = scenario_mod.resolve("cluster-2025")
    assert scen.name == "story" and scen.epoch.hour == 3
    assert scen.shells == base.shells and scen.compute_pflops == base.compute_pflops
    assert scen.sources == base.sources
    assert [p.name for p in scen.stations] == ["Kashi (Kashgar) deep-space station"]


def test_unknown_base_is_named(write):
    message = load_error(write, '[scenario]\nbase = "cluster-2052"\nname = "x"\n')
    assert "bad.toml:2: scenario.base" in message and "cluster-2052" in message


def test_a_scenario_names_its_onboard_model(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from tests.sim.onboard.conftest import write_model_dir

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    write_model_dir(tmp_path / "models" / "tiny")
    head = ('[scenario]\nname = "m"\nepoch = "2026-01-15T00:00:00Z"\nmodel = "{}"\n'
            '[[shells]]\naltitude_km = 550\ninclination_deg = 53\nplanes = 1\n'
            'sats_per_plane = 4\n')
    path = tmp_path / "with-model.toml"
    path.write_text(head.format("models/tiny"))  # a folder, relative to the file
    world = World.from_scenario(str(path))
    assert world.snapshot().onboard_model == str((tmp_path / "models" / "tiny").resolve())
    path.write_text(head.format("shipped"))
    assert World.from_scenario(str(path)).snapshot().onboard_model == ""
    path.write_text(head.format("Qwen/Qwen3-NotPulled"))
    with pytest.raises(UserError, match=r"run.py model pull Qwen/Qwen3-NotPulled"):
        World.from_scenario(str(path))
