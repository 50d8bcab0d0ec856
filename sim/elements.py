"""Real element sets: three-line (or two-line) TLE files and CelesTrak OMM in JSON or CSV.

Every reader returns `ElementRecord`s (name + `sgp4.api.Satrec` + epoch). Malformed input raises
`UserError` naming the file, the line (TLE, CSV) or record (JSON) and the field. TLE and OMM get
the same range checks: mean motion > 0 rev/day, eccentricity 0..<1, inclination 0..180 deg,
every number finite, and an epoch inside the ephemeris (sim/timespan.py).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import pathlib

from sgp4 import omm
from sgp4.api import Satrec

from .errors import UserError, read_user_text
from .timespan import check_in_ephemeris

TLE_SUFFIXES = {".txt", ".tle", ".3le", ".2le"}
OMM_SUFFIXES = {".json", ".csv"}
ELEMENT_SUFFIXES = TLE_SUFFIXES | OMM_SUFFIXES
#: OMM fields that sgp4.omm.initialize needs.
OMM_REQUIRED = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                "ARG_OF_PERICENTER", "MEAN_ANOMALY", "NORAD_CAT_ID", "BSTAR")
#: Numeric OMM fields sgp4 reads, with the type it reads them as.
OMM_FLOATS = ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
              "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT",
              "MEAN_MOTION_DDOT")
OMM_INTEGERS = ("NORAD_CAT_ID", "EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH")
#: sgp4's catalogue numbers stop at Alpha-5 'Z9999'.
MAX_CATALOGUE_NUMBER = 339_999


@dataclasses.dataclass(frozen=True)
class ElementRecord:
    name: str
    satrec: Satrec
    epoch: dt.datetime  #: element epoch, UTC


def read_element_file(path: pathlib.Path) -> list[ElementRecord]:
    """Read a TLE or OMM file by its suffix; at least one object is required."""
    suffix = path.suffix.lower()
    text = read_user_text(path, "TLE or OMM elements")
    if suffix == ".json":
        records = parse_omm_json(text, path)
    elif suffix == ".csv":
        records = parse_omm_csv(text, path)
    else:
        records = parse_tle(text, path)
    if not records:
        raise UserError(f"{path}: no orbital elements found")
    return records


def satrec_epoch(satrec: Satrec) -> dt.datetime:
    """The element epoch of an SGP4 record as a UTC datetime."""
    days = satrec.jdsatepoch - 2440587.5 + satrec.jdsatepochF  # days since 1970-01-01
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=days)


# --- TLE ------------------------------------------------------------------------------------

def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of the first 68 columns (digits count, '-' counts 1)."""
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68]) % 10


def parse_tle(text: str, path: pathlib.Path | str = "<text>") -> list[ElementRecord]:
    """Parse two- or three-line element sets. Blank lines are ignored."""
    lines = [(n, raw.rstrip()) for n, raw in enumerate(text.splitlines(), start=1)]
    lines = [(n, s) for n, s in lines if s.strip()]
    records: list[ElementRecord] = []
    i = 0
    while i < len(lines):
        number, line = lines[i]
        name = None
        if not line.startswith("1 "):
            if line.startswith("2 "):
                raise UserError(f"{path}:{number}: TLE line 2 without a line 1 before it")
            name = line[2:].strip() if line.startswith("0 ") else line.strip()
            i += 1
            if i >= len(lines):
                raise UserError(f"{path}:{number}: name '{name}' is not followed by TLE lines")
            number, line = lines[i]
        if i + 1 >= len(lines):
            raise UserError(f"{path}:{number}: TLE line 1 is not followed by line 2")
        number2, line2 = lines[i + 1]
        _check_tle_line(path, number, line, "1")
        _check_tle_line(path, number2, line2, "2")
        if line[2:7] != line2[2:7]:
            raise UserError(f"{path}:{number2}: catalogue number '{line2[2:7].strip()}' differs "
                            f"from line 1's '{line[2:7].strip()}'")
        try:
            satrec = Satrec.twoline2rv(line, line2)
        except (ValueError, IndexError) as error:
            raise UserError(f"{path}:{number}: cannot read TLE fields: {error}") from None
        check_element_values(
            f"{path}:{number2}", mean_motion_rev_day=_rev_per_day(satrec),
            eccentricity=satrec.ecco, inclination_deg=math.degrees(satrec.inclo),
            names=_TLE_FIELD_NAMES)
        if not abs(satrec.bstar) <= MAX_DRAG_TERM:
            raise UserError(f"{path}:{number}: TLE line 1 field BSTAR (columns 54-61): must be "
                            f"within +-{MAX_DRAG_TERM:g}, got {satrec.bstar:g}")
        epoch = _checked_epoch(satrec_epoch(satrec), f"{path}:{number}: TLE line 1 field epoch")
        label = name or f"NORAD {line[2:7].strip()}"
        records.append(ElementRecord(label, satrec, epoch))
        i += 2
    return records


_TLE_FIELD_NAMES = {"mean_motion": "TLE line 2 field mean motion (columns 53-63)",
                    "eccentricity": "TLE line 2 field eccentricity (columns 27-33)",
                    "inclination": "TLE line 2 field inclination (columns 9-16)"}
_OMM_FIELD_NAMES = {"mean_motion": "OMM field MEAN_MOTION",
                    "eccentricity": "OMM field ECCENTRICITY",
                    "inclination": "OMM field INCLINATION"}


def _rev_per_day(satrec: Satrec) -> float:
    return satrec.no_kozai * 1440.0 / (2 * math.pi)  # rad/min -> rev/day


def check_element_values(where: str, mean_motion_rev_day: float, eccentricity: float,
                         inclination_deg: float, names: dict[str, str]) -> None:
    """The ranges SGP4 needs (TLE and OMM alike); UserError naming `where` and the field."""
    if not (math.isfinite(mean_motion_rev_day) and mean_motion_rev_day > 0):
        raise UserError(f"{where}: {names['mean_motion']}: must be > 0 rev/day, got "
                        f"{mean_motion_rev_day:g}")
    if not 0 <= eccentricity < 1:
        raise UserError(f"{where}: {names['eccentricity']}: must be 0 <= e < 1 (an orbit), "
                        f"got {eccentricity:g}")
    if not 0 <= inclination_deg <= 180:
        raise UserError(f"{where}: {names['inclination']}: must be 0..180 deg, got "
                        f"{inclination_deg:g}")


def _checked_epoch(epoch: dt.datetime, where: str) -> dt.datetime:
    """`epoch` if the ephemeris covers it; UserError naming `where` otherwise."""
    return check_in_ephemeris(epoch, where)


_TLE_NUMERIC_FIELDS = {
    "1": [("epoch", 18, 32)],
    "2": [("inclination", 8, 16), ("RAAN", 17, 25), ("eccentricity", 26, 33),
          ("argument of perigee", 34, 42), ("mean anomaly", 43, 51), ("mean motion", 52, 63)],
}


def _check_tle_line(path, number: int, line: str, kind: str) -> None:
    if not line.startswith(kind + " "):
        raise UserError(f"{path}:{number}: expected TLE line {kind} (starting '{kind} '), "
                        f"got {line[:20]!r}")
    if len(line) < 69:
        raise UserError(f"{path}:{number}: TLE line {kind} has {len(line)} columns, expected 69")
    for field, start, end in _TLE_NUMERIC_FIELDS[kind]:
        chunk = line[start:end].strip()
        try:
            value = float(chunk if field != "eccentricity" else "0." + chunk)
            if not math.isfinite(value):
                raise ValueError(chunk)
        except ValueError:
            raise UserError(f"{path}:{number}: TLE line {kind} field {field} (columns "
                            f"{start + 1}-{end}) is not a number: {chunk!r}") from None
    if line[68].isdigit() and int(line[68]) != tle_checksum(line):
        raise UserError(f"{path}:{number}: TLE line {kind} checksum is {line[68]}, "
                        f"the line sums to {tle_checksum(line)}")


# --- OMM ------------------------------------------------------------------------------------

def parse_omm_json(text: str, path: pathlib.Path | str = "<text>") -> list[ElementRecord]:
    """CelesTrak OMM JSON: a list of objects (or a single object)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}:{error.lineno}: invalid JSON: {error.msg}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a JSON list of OMM objects")
    records = []
    for index, fields in enumerate(data, start=1):
        if not isinstance(fields, dict):
            raise UserError(f"{path}: record {index}: expected an object with OMM fields")
        records.append(_omm_record(fields, f"{path}: record {index}"))
    return records


def parse_omm_csv(text: str, path: pathlib.Path | str = "<text>") -> list[ElementRecord]:
    """CelesTrak OMM CSV: a header row with OMM field names, one object per row."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in OMM_REQUIRED if f not in (reader.fieldnames or [])]
    if missing:
        raise UserError(f"{path}:1: OMM CSV header lacks {', '.join(missing)}")
    # Line numbers: header is line 1, the first record line 2 (no multi-line fields in OMM).
    return [_omm_record(row, f"{path}:{n}") for n, row in enumerate(reader, start=2)]


def _omm_record(fields: dict, where: str) -> ElementRecord:
    for key in OMM_REQUIRED:
        if fields.get(key) in (None, ""):
            raise UserError(f"{where}: missing OMM field {key}")
    # An empty optional field (CSV) takes its default below, as a missing one does.
    fields = {str(k): str(v) for k, v in fields.items() if v is not None and str(v).strip()}
    fields.setdefault("MEAN_MOTION_DOT", "0")
    fields.setdefault("MEAN_MOTION_DDOT", "0")
    fields.setdefault("CLASSIFICATION_TYPE", "U")
    fields.setdefault("EPHEMERIS_TYPE", "0")
    fields.setdefault("ELEMENT_SET_NO", "999")
    fields.setdefault("REV_AT_EPOCH", "0")
    fields.setdefault("OBJECT_ID", "")
    values = {key: _omm_number(fields, key, where, float) for key in OMM_FLOATS}
    values.update({key: _omm_number(fields, key, where, int) for key in OMM_INTEGERS})
    _check_omm_ranges(values, fields, where)
    check_element_values(where, values["MEAN_MOTION"], values["ECCENTRICITY"],
                         values["INCLINATION"], _OMM_FIELD_NAMES)
    epoch = _omm_epoch(fields["EPOCH"], where)
    # sgp4 wants exactly '%Y-%m-%dT%H:%M:%S.%f'; accept any ISO form (no fraction, 'Z').
    fields["EPOCH"] = epoch.strftime("%Y-%m-%dT%H:%M:%S.%f")
    satrec = Satrec()
    try:
        omm.initialize(satrec, fields)
    except (ValueError, KeyError) as error:
        raise UserError(f"{where}: bad OMM value: {error}") from None
    name = fields.get("OBJECT_NAME") or f"NORAD {fields['NORAD_CAT_ID']}"
    return ElementRecord(name.strip(), satrec, satrec_epoch(satrec))


#: Largest drag term (BSTAR, 1/earth radii) and mean-motion derivatives (OMM units) we accept:
#: real ones are thousands of times smaller; far larger ones make SGP4 return NaN, not errors.
MAX_DRAG_TERM = 1.0


def _check_omm_ranges(values: dict, fields: dict, where: str) -> None:
    """Ranges of the OMM fields sgp4 stores in C integers or characters, and of the drag
    terms; UserError naming the field."""
    if not 0 <= values["NORAD_CAT_ID"] <= MAX_CATALOGUE_NUMBER:
        raise UserError(f"{where}: OMM field NORAD_CAT_ID: must be 0..{MAX_CATALOGUE_NUMBER}, "
                        f"got {values['NORAD_CAT_ID']}")
    for key in ("EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH"):
        if not 0 <= values[key] < 2**31:
            raise UserError(f"{where}: OMM field {key}: must be 0..{2**31 - 1}, "
                            f"got {values[key]}")
    for key in ("BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"):
        if abs(values[key]) > MAX_DRAG_TERM:
            raise UserError(f"{where}: OMM field {key}: must be within +-{MAX_DRAG_TERM:g}, "
                            f"got {values[key]:g}")
    if len(fields["CLASSIFICATION_TYPE"]) != 1:
        raise UserError(f"{where}: OMM field CLASSIFICATION_TYPE: expected one letter "
                        f"(U, C or S), got {fields['CLASSIFICATION_TYPE']!r}")


def _omm_number(fields: dict, key: str, where: str, kind: type):
    """OMM field `key` as `kind` (float or int), finite; UserError naming the field."""
    text = fields[key].strip()
    try:
        value = kind(text)
    except ValueError:
        word = "an integer" if kind is int else "a number"
        raise UserError(f"{where}: OMM field {key}: expected {word}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise UserError(f"{where}: OMM field {key}: expected a finite number, got {text!r}")
    return value


def _omm_epoch(text: str, where: str) -> dt.datetime:
    """OMM EPOCH (ISO 8601, UTC, as CelesTrak writes it) inside the ephemeris."""
    try:
        epoch = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{where}: OMM field EPOCH: expected an ISO 8601 UTC time such as "
                        f"2026-01-15T12:00:00.000000, got {text!r}") from None
    if epoch.tzinfo is not None:
        epoch = epoch.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return _checked_epoch(epoch, f"{where}: OMM field EPOCH")
