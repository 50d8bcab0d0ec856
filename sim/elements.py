"""Real element sets: three-line (or two-line) TLE files and CelesTrak OMM in JSON or CSV.

Every reader returns `ElementRecord`s (name + `sgp4.api.Satrec` + epoch). Malformed input raises
`UserError` naming the file, the line (TLE, CSV) or record (JSON) and the field.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import pathlib

from sgp4 import omm
from sgp4.api import Satrec

from .errors import UserError, read_user_text

TLE_SUFFIXES = {".txt", ".tle", ".3le", ".2le"}
OMM_SUFFIXES = {".json", ".csv"}
ELEMENT_SUFFIXES = TLE_SUFFIXES | OMM_SUFFIXES
#: OMM fields that sgp4.omm.initialize needs.
OMM_REQUIRED = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                "ARG_OF_PERICENTER", "MEAN_ANOMALY", "NORAD_CAT_ID", "BSTAR")


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
        label = name or f"NORAD {line[2:7].strip()}"
        records.append(ElementRecord(label, satrec, satrec_epoch(satrec)))
        i += 2
    return records


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
            float(chunk if field != "eccentricity" else "0." + chunk)
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
    fields = {k: str(v) for k, v in fields.items() if v is not None}
    fields.setdefault("MEAN_MOTION_DOT", "0")
    fields.setdefault("MEAN_MOTION_DDOT", "0")
    fields.setdefault("CLASSIFICATION_TYPE", "U")
    fields.setdefault("EPHEMERIS_TYPE", "0")
    fields.setdefault("ELEMENT_SET_NO", "999")
    fields.setdefault("REV_AT_EPOCH", "0")
    fields.setdefault("OBJECT_ID", "")
    satrec = Satrec()
    try:
        omm.initialize(satrec, fields)
    except (ValueError, KeyError) as error:
        raise UserError(f"{where}: bad OMM value: {error}") from None
    name = fields.get("OBJECT_NAME") or f"NORAD {fields['NORAD_CAT_ID']}"
    return ElementRecord(name.strip(), satrec, satrec_epoch(satrec))
