"""User-facing errors: raised for bad input, printed as one line by run.py (exit code 2)."""
import math


class UserError(Exception):
    """Bad input from the user (a file, a flag, a name): the message says where and what was
    expected. run.py prints it as one line without a traceback and exits with code 2."""


def read_user_text(path, expected: str) -> str:
    """The text of a file the user named; UserError if it cannot be read or is not UTF-8 text.
    `expected` says what the file should be ('a TOML scenario file'). A UTF-8 BOM is dropped."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text (expected {expected})") from None


def number_in(value, low: float, high: float, what: str, unit: str) -> float:
    """`value` as a float in low..high; UserError for text, NaN, infinities or out of range
    (commands also arrive as JSON, where anything may stand in a field)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise UserError(f"{what} must be {low:,g}..{high:,g}{unit}, got {value}")
    return float(value)
