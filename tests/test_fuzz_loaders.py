"""Property-based: random and mutated scenario TOML, TLE and OMM (JSON, CSV) files fed to the
loaders through the path the command line uses (`run.py info --scenario FILE`, in-process).
Whatever the file holds, the outcome is either exit 0 (a valid World was built) or exit 2 with
exactly one line on stderr: never a traceback, never another exception (issue 10).

Kept small for 2 cores: 12-satellite scenarios, modest example counts, no deadline.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import pathlib
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_omm, export_tle

import run

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDER = pathlib.Path(tempfile.mkdtemp(prefix="fuzz-loaders-"))

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SMALL = """[scenario]
name = "small"
title = "Small"
epoch = "2026-01-15T00:00:00Z"
start = "2026-01-15T01:00:00Z"
seed = 3
sources = ["test"]
assumptions = ["test"]

[[shells]]
name = "A"
role = "inference"
altitude_km = 600
inclination_deg = 60
planes = 2
sats_per_plane = 4
phasing = 1
raan_spread_deg = 360

[[shells]]
name = "B"
role = "training"
altitude_km = 650
dawn_dusk = true
planes = 1
sats_per_plane = 3

[[elements]]
file = "two.tle"
role = "other"

[links]
terminals = 4
max_range_km = 5000
grazing_altitude_km = 80
capacity_gbps = 100

[ground]
min_elevation_deg = 25
sets = ["china"]
only = ["Kashi"]
stations = [{name = "Home", lat_deg = 47.4, lon_deg = 8.5}]

[compute]
inference_pflops = 1.0
training_pflops = 2.0

[traffic]
requests_per_s = 5
job_pflops = 0.05
job_seconds = 20
job_gbps = 0.05
models = 2
origins = ["stations", "cities"]
"""

#: Values a mutation may put after `key =`: right and wrong types, edges, non-finite numbers.
VALUES = ["0", "-1", "1", "2", "7", "10001", "10000000000", "18446744073709551616", "0.5",
          "-0.0", "1e308", "inf", "-inf", "nan", "true", "false", '""', '"x"', '"inference"',
          '"2026-01-15T00:00:00Z"', '"1800-01-01"', '"2100-01-01"', "2026-01-15T00:00:00Z",
          "1899-01-01T00:00:00Z", "[]", "[1, 2]", '["china"]', "[[1]]", '["x", 1]', "{}",
          '{name = "X", lat_deg = 1, lon_deg = 2}', '[{name = 1}]', '"small.toml"',
          '"two.tle"', '"nosuch.tle"', '"cluster-2025"', "1979-05-27", "07:32:00",
          '"camera"', '"prompt"', '"warp"', '"end"', '"XS-03"', '"Kashi"', "[91, 0]",
          '"chase"', "1e-300", "-1e308"]
#: Whole lines a mutation may insert.
LINES = ["[links]", "[[shells]]", "[[elements]]", "[nosuch]", "[scenario]", "x = 1",
         'base = "small.toml"', 'base = "cluster-2025"', "[[timeline]]", "planes = 3",
         "inclination_deg = 53", "sun_synchronous = true", "ltan_hours = 25", "= 1", "[",
         'file = "two.json"', 'file = "two.csv"', "[ground.stations]", "stations = 3"]


def satrecs() -> list[Satrec]:
    out = []
    for number, mean_motion in ((11, 15.2), (12, 14.1)):
        sat = Satrec()
        sat.sgp4init(WGS72, "i", number, 26312.5, 1e-4, 0.0, 0.0, 0.001, 0.3, 0.9, 0.1,
                     mean_motion * 2 * math.pi / 1440, 0.2)
        sat.intldesg = "26001A"
        out.append(sat)
    return out


def tle_text() -> str:
    return "".join(f"SAT {k}\n{export_tle(s)[0]}\n{export_tle(s)[1]}\n"
                   for k, s in enumerate(satrecs()))


def omm_records() -> list[dict]:
    return [export_omm(s, f"SAT {k}") for k, s in enumerate(satrecs())]


def csv_text(records: list[dict]) -> str:
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return stream.getvalue()


def setup_module():
    (FOLDER / "small.toml").write_text(SMALL)
    (FOLDER / "two.tle").write_text(tle_text())
    (FOLDER / "two.json").write_text(json.dumps(omm_records()))
    (FOLDER / "two.csv").write_text(csv_text(omm_records()))


def run_info(path: pathlib.Path) -> tuple[int, str]:
    """`run.py info --scenario PATH` in-process: (exit code, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run.main(["info", "--scenario", str(path)])
    return code, err.getvalue()


def assert_clean_outcome(path: pathlib.Path, text: str) -> None:
    code, err = run_info(path)
    if path.suffix == ".toml":
        load_timeline(path)
    if code == 0:
        return
    assert code == 2, f"exit {code} for:\n{text}\nstderr: {err}"
    assert err.startswith("error: ") and err.count("\n") == 1, f"for:\n{text}\nstderr: {err}"


def load_timeline(path: pathlib.Path) -> None:
    """The file's [[timeline]] (what `record` and the app read): read, or a UserError."""
    from sim import timeline
    from sim.errors import UserError

    try:
        timeline.load(path)
    except UserError:
        pass


def write(name: str, text: str) -> pathlib.Path:
    path = FOLDER / name
    path.write_text(text, encoding="utf-8")
    return path


# --- mutations -----------------------------------------------------------------------------

@st.composite
def mutated_lines(draw, text: str, values=VALUES, lines=LINES, max_changes: int = 3) -> str:
    """`text` with 1..max_changes line mutations: a value replaced, a key renamed, a line
    deleted, duplicated or inserted, two lines swapped, a line cut short."""
    rows = text.splitlines()
    for _ in range(draw(st.integers(1, max_changes))):
        i = draw(st.integers(0, len(rows) - 1))
        kind = draw(st.sampled_from(["value"] * 6 + ["key", "delete", "duplicate", "insert",
                                                     "swap", "cut"]))
        row = rows[i]
        if kind == "value" and "=" in row:
            rows[i] = row.split("=", 1)[0] + "= " + draw(st.sampled_from(values))
        elif kind == "key" and "=" in row:
            rows[i] = draw(st.sampled_from(["nme", "planes", "Name", "x", "epoch"])) + " =" + \
                row.split("=", 1)[1]
        elif kind == "delete" and len(rows) > 1:
            del rows[i]
        elif kind == "duplicate":
            rows.insert(i, row)
        elif kind == "insert":
            rows.insert(i, draw(st.sampled_from(lines)))
        elif kind == "swap":
            j = draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif kind == "cut":
            rows[i] = row[: draw(st.integers(0, max(len(row) - 1, 0)))]
    return "\n".join(rows) + "\n"


def cluster_text() -> str:
    return (ROOT / "assets" / "scenarios" / "cluster-2025.toml").read_text()


def story_text() -> str:
    """A scripted scenario (a [[timeline]]) on top of cluster-2025 through `base`."""
    return (ROOT / "assets" / "scenarios" / "story-roundtrip.toml").read_text()


@settings(FUZZ, max_examples=500)
@given(st.data())
def test_mutated_scenario_files(data):
    base = data.draw(st.sampled_from([SMALL, cluster_text(), story_text()]))
    text = data.draw(mutated_lines(base))
    assert_clean_outcome(write("mutated.toml", text), text)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_random_text_as_a_scenario_file(text):
    assert_clean_outcome(write("random.toml", text), text)


@FUZZ
@given(st.data())
def test_mutated_tle_files(data):
    text = tle_text()
    rows = text.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(rows) - 1))
        row = rows[i]
        kind = data.draw(st.sampled_from(["char", "char", "field", "delete", "swap", "cut"]))
        if kind == "char" and row:
            k = data.draw(st.integers(0, len(row) - 1))
            c = data.draw(st.sampled_from(list("0123456789 -+.xeE\t")))
            row = row[:k] + c + row[k + 1:]
            rows[i] = _fix_checksum(row) if data.draw(st.booleans()) else row
        elif kind == "field" and row[:2] == "2 ":
            # a value out of range with a right checksum: inclination, eccentricity, motion
            start, end = data.draw(st.sampled_from([(8, 16), (26, 33), (52, 63)]))
            value = data.draw(st.sampled_from(["999.9999", "0000000", "-1.0", "00.00000000",
                                               " nan", "9999999", "99.99999999"]))
            rows[i] = _fix_checksum(row[:start] + value.rjust(end - start)[: end - start]
                                    + row[end:])
        elif kind == "delete" and len(rows) > 1:
            del rows[i]
        elif kind == "swap":
            j = data.draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif kind == "cut":
            rows[i] = row[: data.draw(st.integers(0, max(len(row) - 1, 0)))]
    text = "\n".join(rows) + "\n"
    assert_clean_outcome(write("mutated.tle", text), text)


def _fix_checksum(line: str) -> str:
    from sim.elements import tle_checksum

    return line[:68] + str(tle_checksum(line)) if len(line) >= 69 else line


OMM_VALUES = st.one_of(
    st.sampled_from([None, "", "x", "nan", "inf", "-1", "0", "1", "1.0", "2", "181", "1e300",
                     "1850-01-01T00:00:00", "2100-01-01T00:00:00", "2026-01-15", "99999999",
                     True, [], {}]),
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def mutated_omm(draw) -> list:
    records = omm_records()
    for _ in range(draw(st.integers(1, 3))):
        record = records[draw(st.integers(0, len(records) - 1))]
        key = draw(st.sampled_from(sorted(record)))
        if draw(st.integers(0, 4)) == 0:
            del record[key]
        else:
            record[key] = draw(OMM_VALUES)
    return records


@FUZZ
@given(mutated_omm(), st.sampled_from(["list", "one", "wrapped"]))
def test_mutated_omm_json_files(records, shape):
    data = {"list": records, "one": records[0], "wrapped": [records[0], 5]}[shape]
    text = json.dumps(data)
    assert_clean_outcome(write("mutated.json", text), text)


@FUZZ
@given(mutated_omm(), st.booleans())
def test_mutated_omm_csv_files(records, cut):
    fields = list(dict.fromkeys(k for r in records for k in r))
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=fields)
    writer.writeheader()
    writer.writerows(records)
    text = stream.getvalue()
    if cut:
        text = text[: len(text) * 2 // 3]
    assert_clean_outcome(write("mutated.csv", text), text)


@pytest.mark.parametrize("name", ["small.toml", "two.tle", "two.json", "two.csv"])
def test_the_unmutated_files_load(name):
    setup_module()
    code, err = run_info(FOLDER / name)
    assert code == 0, err
