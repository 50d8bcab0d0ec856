"""Bad input, as a new user gives it, refused where it enters: one line naming the file, line and
field (or the flag), exit code 2, no traceback, nothing expensive built first (issue 10)."""
import dataclasses
import json
import math

import pytest
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_omm, export_tle

import run
from tests.cli_helpers import assert_one_line_error, cli
from sim import commands as cmd
from sim import scenario as scenario_mod
from sim.elements import read_element_file, tle_checksum
from sim.errors import UserError

MINI = """[scenario]
name = "mini"
epoch = "2026-01-15T00:00:00Z"
{base}
[[shells]]
altitude_km = 550
inclination_deg = 53
planes = {planes}
sats_per_plane = {per_plane}

[traffic]
requests_per_s = {rate}
"""


def mini(planes=2, per_plane=3, rate="1.0", base=""):
    return MINI.format(planes=planes, per_plane=per_plane, rate=rate, base=base)





def satrec(epoch_days=20000.0, mean_motion_rev_day=15.0, number=5):
    """A circular 51.6 deg orbit; epoch in days since 1949-12-31."""
    sat = Satrec()
    sat.sgp4init(WGS72, "i", number, epoch_days, 0.0, 0.0, 0.0, 0.001, 0.0, 0.9, 0.0,
                 mean_motion_rev_day * 2 * math.pi / 1440, 0.0)
    return sat


def tle_text(*sats, names=None):
    lines = []
    for k, sat in enumerate(sats):
        one, two = export_tle(sat)
        lines += [names[k] if names else f"SAT {k}", one, two]
    return "\n".join(lines) + "\n"


def with_checksum(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


# --- scenario files ------------------------------------------------------------------------

def test_base_chain_of_two_files_that_loops(write, capsys):
    a = write("a.toml", mini(base='base = "b.toml"'))
    write("b.toml", mini(base='base = "a.toml"'))
    code, _, err = cli(capsys, "info", "--scenario", a)
    assert_one_line_error(code, err, "base", "loop", "a.toml -> b.toml -> a.toml")


def test_base_chain_of_three_files_that_loops(write):
    write("a.toml", mini(base='base = "b.toml"'))
    write("b.toml", mini(base='base = "c.toml"'))
    c = write("c.toml", mini(base='base = "a.toml"'))
    # found at b.toml, whose base (c.toml) closes the loop that started at c.toml
    loop = r"b.toml:\d+: scenario.base: the bases loop: c.toml -> a.toml -> b.toml -> c.toml"
    with pytest.raises(UserError, match=loop):
        scenario_mod.resolve(str(c))


def test_a_base_chain_without_a_loop_still_works(write):
    write("a.toml", mini(planes=3))
    b = write("b.toml", '[scenario]\nbase = "a.toml"\nname = "b"\n')
    scen = scenario_mod.resolve(str(b))
    assert scen.name == "b" and scen.shells[0].planes == 3


@pytest.mark.parametrize("planes,per_plane,expected", [
    (100_000, 1, "planes: must be 1..10000"),
    (1, 10**10, "sats_per_plane: must be 1..10000"),
    (10_000, 10_000, "at most 1,200,000"),
])
def test_huge_shells_are_refused_before_anything_is_allocated(write, capsys, planes, per_plane,
                                                              expected):
    path = write("huge.toml", mini(planes=planes, per_plane=per_plane))
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, str(path), expected)


def test_a_million_satellites_is_within_the_limit(write):
    scen = scenario_mod.resolve(str(write("m.toml", mini(planes=1000, per_plane=1000))))
    assert sum(s.size for s in scen.shells) == 1_000_000 <= scenario_mod.MAX_SATELLITES


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+inf"])
def test_non_finite_numbers_are_refused(write, capsys, value):
    path = write("inf.toml", mini(rate=value))
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, f"{path}:12: traffic.requests_per_s", "finite")


def test_non_finite_number_in_a_station_list(write):
    text = mini() + '[ground]\nstations = [{name = "X", lat_deg = nan, lon_deg = 0}]\n'
    with pytest.raises(UserError, match="finite"):
        scenario_mod.resolve(str(write("s.toml", text)))


def test_schema_defaults_come_from_the_dataclasses():
    for cls, schema in [(scenario_mod.LinkPolicy, scenario_mod._SCHEMA_LINKS),
                        (scenario_mod.Traffic, scenario_mod._SCHEMA_TRAFFIC)]:
        for field in dataclasses.fields(cls):
            default = schema[field.name].default
            assert (tuple(default) if isinstance(default, list) else default) == field.default
    assert scenario_mod._SCHEMA_SHELL["phasing"].default == scenario_mod.Shell.phasing


# --- element files -------------------------------------------------------------------------

def test_tle_epoch_outside_the_ephemeris(write, capsys):
    path = write("future.tle", tle_text(satrec(epoch_days=38350.0)))  # 2054
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, f"{path}:2: TLE line 1 field epoch", "2054",
                          "outside the ephemeris")


@pytest.mark.parametrize("columns,text,field", [
    ((8, 16), "200.0000", "inclination"),
    ((52, 63), " 0.00000000", "mean motion"),
    ((52, 63), "-1.00000000", "mean motion"),
])
def test_tle_values_out_of_range(write, columns, text, field):
    one, two = export_tle(satrec())
    two = with_checksum(two[:columns[0]] + text.rjust(columns[1] - columns[0]) + two[columns[1]:])
    path = write("bad.tle", f"SAT\n{one}\n{two}\n")
    with pytest.raises(UserError, match=rf"bad.tle:3: TLE line 2 field {field} .*must be"):
        read_element_file(path)


def omm_record(**changes):
    sat = satrec()
    sat.intldesg = "26001A"  # export_omm needs a launch designator
    fields = export_omm(sat, "SAT")
    fields.update(changes)
    return fields


@pytest.mark.parametrize("changes,expected", [
    ({"MEAN_MOTION": -1.0}, "OMM field MEAN_MOTION: must be > 0"),
    ({"MEAN_MOTION": 0}, "OMM field MEAN_MOTION: must be > 0"),
    ({"ECCENTRICITY": 1.0}, "OMM field ECCENTRICITY: must be 0 <= e < 1"),
    ({"ECCENTRICITY": 1.5}, "OMM field ECCENTRICITY"),
    ({"ECCENTRICITY": -0.1}, "OMM field ECCENTRICITY"),
    ({"INCLINATION": 181}, "OMM field INCLINATION: must be 0..180"),
    ({"BSTAR": "fast"}, "OMM field BSTAR: expected a number, got 'fast'"),
    ({"MEAN_ANOMALY": "NaN"}, "OMM field MEAN_ANOMALY: expected a finite number"),
    ({"NORAD_CAT_ID": "12a"}, "OMM field NORAD_CAT_ID: expected an integer"),
    ({"NORAD_CAT_ID": 10**8}, "OMM field NORAD_CAT_ID: must be 0..339999"),
    ({"EPOCH": "1850-01-01T00:00:00"}, "OMM field EPOCH: 1850-01-01 is outside the ephemeris"),
    ({"EPOCH": "yesterday"}, "OMM field EPOCH: expected an ISO 8601"),
])
def test_omm_json_values_name_their_field(write, capsys, changes, expected):
    path = write("bad.json", json.dumps([omm_record(), omm_record(**changes)]))
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, f"{path}: record 2: {expected}")


def test_omm_csv_names_line_and_field(write):
    good, bad = omm_record(), omm_record(ECCENTRICITY=2)
    header = ",".join(good)
    rows = [",".join(str(r[k]) for k in good) for r in (good, bad)]
    path = write("bad.csv", "\n".join([header, *rows]) + "\n")
    with pytest.raises(UserError, match=r"bad.csv:3: OMM field ECCENTRICITY"):
        read_element_file(path)


def test_omm_epoch_without_a_fraction_is_read(write):
    path = write("ok.json", json.dumps([omm_record(EPOCH="2026-01-15T00:00:00Z")]))
    [record] = read_element_file(path)
    assert record.epoch.isoformat().startswith("2026-01-15T00:00:00")


# --- commands ------------------------------------------------------------------------------

@pytest.mark.parametrize("command,expected", [
    (cmd.SetTrafficRate(math.inf), r"traffic rate must be 0\.\.1e\+09 requests/s, got inf"),
    (cmd.SetTrafficRate(math.nan), "traffic rate"),
    (cmd.SetTrafficRate(-1.0), "traffic rate"),
    (cmd.SetTrafficRate("many"), "traffic rate must be a number"),
    (cmd.SetWarp(math.inf), "warp must be"),
    (cmd.SetWarp(math.nan), "warp must be"),
    (cmd.SetWarp("fast"), "warp must be a number"),
])
def test_commands_refuse_non_finite_numbers(cluster_world, command, expected):
    before = (cluster_world.clock.warp, cluster_world.traffic.rate_per_s)
    with pytest.raises(UserError, match=expected):
        cluster_world.apply(command)
    assert (cluster_world.clock.warp, cluster_world.traffic.rate_per_s) == before


def test_route_to_a_southern_latitude_as_its_own_argument(capsys):
    code, out, err = cli(capsys, "route", "--scenario", "cluster-2025", "--from", "Kashi",
                         "--to", "-8.8,13.3", "--horizon-hours", "0.01")
    assert code == 0, err
    assert "-8.800,13.300" in out


def test_dash_values_are_joined_only_for_place_and_layer_options():
    assert run.join_dash_values(["route", "--from", "-33.9,18.4", "--to", "-8.8,13.3"]) == \
        ["route", "--from=-33.9,18.4", "--to=-8.8,13.3"]
    assert run.join_dash_values(["shot", "--layers", "-stars", "--advance", "-5"]) == \
        ["shot", "--layers=-stars", "--advance", "-5"]
    assert run.join_dash_values(["route", "--to", "--json"]) == ["route", "--to", "--json"]


@pytest.mark.parametrize("extra,expected", [
    ('[ground]\nsets = [[1]]\n', "ground.sets: expected a list of strings"),
    ('[traffic]\norigins = [{}]\n', "traffic.origins: expected a list of strings"),
    ('[compute]\ninference_pflops = 1e308\n', "compute.inference_pflops: must be"),
])
def test_lists_and_quantities_are_checked(write, extra, expected):
    text = mini().replace("[traffic]\nrequests_per_s = 1.0\n", "") + extra
    with pytest.raises(UserError, match=expected):
        scenario_mod.resolve(str(write("l.toml", text)))


def test_negative_seed_is_refused_in_the_file_and_on_the_command_line(write, capsys):
    path = write("seed.toml", mini().replace('name = "mini"', 'name = "mini"\nseed = -1'))
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, "scenario.seed: must be 0..")
    code, _, err = cli(capsys, "info", "--scenario", "cluster-2025", "--seed", "-1")
    assert_one_line_error(code, err, "--seed: expected 0..")


def test_omm_classification_and_drag_terms(write):
    for changes, expected in [({"CLASSIFICATION_TYPE": "SECRET"}, "CLASSIFICATION_TYPE"),
                              ({"BSTAR": 4.5e80}, "OMM field BSTAR: must be within")]:
        path = write("c.json", json.dumps([omm_record(**changes)]))
        with pytest.raises(UserError, match=expected):
            read_element_file(path)


@pytest.mark.parametrize("argv,expected", [
    (["route", "--from", "Kashi", "--to", "Jiamusi", "--horizon-hours", "inf"], "--horizon-hours"),
    (["route", "--from", "Kashi", "--to", "Jiamusi", "--horizon-hours", "nan"], "--horizon-hours"),
    (["route", "--from", "Kashi", "--to", "Jiamusi", "--horizon-hours", "1000"], "(0, 168]"),
    (["ask", "--sat", "XS-01", "--prompt", "hi", "--tokens-per-s", "inf"], "--tokens-per-s"),
    (["ask", "--sat", "XS-01", "--prompt", "hi", "--max-tokens", "0"], "--max-tokens"),
])
def test_numeric_flags_checked_before_the_world_is_built(capsys, monkeypatch, argv, expected):
    def never(*args, **kwargs):
        raise AssertionError("the World must not be built for a bad flag")

    monkeypatch.setattr("sim.cli.World.from_scenario", never)
    code, _, err = cli(capsys, argv[0], "--scenario", "cluster-2025", *argv[1:])
    assert_one_line_error(code, err, expected)


def test_bench_refuses_sizes_beyond_the_limit(capsys):
    code, _, err = cli(capsys, "bench", "--sizes", "10000000000")
    assert_one_line_error(code, err, "--sizes: at most 1,200,000 satellites")


def test_route_near_the_end_of_the_ephemeris_searches_only_to_its_end(capsys):
    code, out, err = cli(capsys, "route", "--scenario", "cluster-2025", "--from", "Kashi",
                         "--to", "XS-03", "--at", "2052-12-31T23:50:00Z")
    assert code == 0, err


# --- hardware profiles (issue 12) ----------------------------------------------------------

HARDWARE = """
[hardware.inference]
peak_tops = 744
memory_bandwidth_gb_s = {bandwidth}
memory_gb = 64
{extra}
"""


def test_a_hardware_profile_is_read_with_its_defaults(write):
    scen = scenario_mod.resolve(str(write("h.toml", mini() + HARDWARE.format(bandwidth=204.8,
                                                                            extra=""))))
    profile = scen.hardware["inference"]
    assert (profile.peak_tops, profile.memory_bandwidth_gb_s, profile.memory_gb) == \
        (744.0, 204.8, 64.0)
    assert profile.efficiency == scenario_mod.HardwareProfile.efficiency
    assert "training" not in scen.hardware


@pytest.mark.parametrize("bandwidth,extra,expected", [
    ("-5", "", ":16: hardware.inference.memory_bandwidth_gb_s: must be"),
    ("inf", "", ":16: hardware.inference.memory_bandwidth_gb_s: expected a finite number"),
    ("0", "", "hardware.inference.memory_bandwidth_gb_s: must be"),
    ("100", "flops = 3", ":18: hardware.inference.flops: unknown key"),
    ("100", "efficiency = 1.5", "hardware.inference.efficiency: must be"),
    ("100", 'weight_dtype = "int3"', "hardware.inference.weight_dtype: must be one of"),
])
def test_bad_hardware_profiles_are_refused(write, capsys, bandwidth, extra, expected):
    path = write("h.toml", mini() + HARDWARE.format(bandwidth=bandwidth, extra=extra))
    code, _, err = cli(capsys, "info", "--scenario", path)
    assert_one_line_error(code, err, f"{path}{expected}" if expected[0] == ":" else expected)


def test_hardware_for_an_unknown_role_or_without_its_required_keys(write):
    with pytest.raises(UserError, match="hardware.gpu: unknown role 'gpu'"):
        scenario_mod.resolve(str(write("r.toml", mini() + "[hardware.gpu]\npeak_tops = 1\n")))
    with pytest.raises(UserError, match="missing required key 'memory_bandwidth_gb_s'"):
        scenario_mod.resolve(str(write("m.toml", mini() + "[hardware.inference]\npeak_tops = 1\n")))
