"""Strict reading of TOML tables: unknown keys, wrong types and out-of-range values become a
`UserError` that names the file, the line (when it can be found) and the field.

tomllib gives no line numbers for keys, so `TomlSource.line_of` finds them by scanning the text
for the table header and the key, which is right for every hand-written file we have seen.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import pathlib
import re
import tomllib
from typing import Any, Callable

from .errors import UserError, read_user_text

_HEADER = re.compile(r"^\s*\[(\[)?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


@dataclasses.dataclass(frozen=True)
class TomlSource:
    """A parsed TOML file with its text, for error messages."""

    path: pathlib.Path
    text: str
    data: dict

    @classmethod
    def read(cls, path: pathlib.Path) -> "TomlSource":
        text = read_user_text(path, "a TOML scenario file")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UserError(f"{path}: invalid TOML: {error}") from None
        return cls(path, text, data)

    def line_of(self, table: tuple, key: str | None = None) -> int | None:
        """1-based line of `key` inside `table` (a tuple like ("shells", 2) or ("links",)),
        or of the table header when key is None; None when not found."""
        want_name = ".".join(str(p) for p in table if not isinstance(p, int))
        want_index = next((p for p in table if isinstance(p, int)), None)
        counts: dict[str, int] = {}
        inside = table == ()
        for number, line in enumerate(self.text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                name = header.group(2).strip()
                index = None
                if header.group(1):  # [[array of tables]]
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                inside = name == want_name and index == want_index
                if inside and key is None:
                    return number
                continue
            match = _KEY.match(line)
            if inside and key is not None and match and match.group(1).strip("\"'") == key:
                return number
        return None

    def error(self, table: tuple, key: str | None, message: str) -> UserError:
        """A UserError located at `table`.`key` of this file."""
        line = self.line_of(table, key)
        field = _field_name(table, key)
        location = f"{self.path}:{line}" if line else str(self.path)
        return UserError(f"{location}: {field}: {message}")


def _field_name(table: tuple, key: str | None) -> str:
    parts = []
    for part in table:
        if isinstance(part, int):
            parts[-1] += f"[{part + 1}]"  # people count entries from 1
        else:
            parts.append(str(part))
    text = ".".join(parts)
    if key:
        text = f"{text}.{key}" if text else key
    return text or "(top level)"


@dataclasses.dataclass(frozen=True)
class Field:
    """One allowed key: its Python type(s), default (MISSING = required) and a range check."""

    types: type | tuple[type, ...]
    default: Any = None
    required: bool = False
    check: Callable[[Any], str | None] | None = None  # returns a problem text or None


def at_least(low: float, unit: str = "") -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"must be at least {low}{unit}, got {v}"


def between(low: float, high: float, unit: str = "") -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be {low}..{high}{unit}, got {v}"


def list_of_strings(value: list) -> str | None:
    """Check for a list field whose entries must all be strings."""
    bad = next((v for v in value if not isinstance(v, str)), None)
    return None if bad is None else f"expected a list of strings, got {bad!r} in it"


def one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(choices)}; got {v!r}"


def read_table(src: TomlSource, table: tuple, values: Any, schema: dict[str, Field]) -> dict:
    """Check `values` (the dict at `table`) against `schema`; return a dict with defaults."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise src.error(table, None, f"expected a table, got {type(values).__name__}")
    for key in values:
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            allowed = ", ".join(sorted(schema))
            raise src.error(table, key, f"unknown key{hint}; allowed keys: {allowed}")
    out = {}
    for key, spec in schema.items():
        if key not in values:
            if spec.required:
                raise src.error(table, None, f"missing required key '{key}'")
            out[key] = spec.default
            continue
        out[key] = _checked_value(src, table, key, values[key], spec)
    return out


def _checked_value(src: TomlSource, table: tuple, key: str, value: Any, spec: Field) -> Any:
    types = spec.types if isinstance(spec.types, tuple) else (spec.types,)
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        expected = " or ".join(_type_word(t) for t in types)
        raise src.error(table, key, f"expected {expected}, got {value!r}")
    if not all_finite(value):  # TOML allows inf and nan; no quantity of ours is either
        raise src.error(table, key, f"expected a finite number, got {value!r}")
    if spec.check is not None:
        problem = spec.check(value)
        if problem:
            raise src.error(table, key, problem)
    return value


def all_finite(value: Any) -> bool:
    """False when `value` is, or holds (lists, tables), an infinite or NaN float."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(all_finite(v) for v in value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    return True


def _type_word(kind: type) -> str:
    return {float: "a number", int: "an integer", str: "a string", bool: "true/false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)
