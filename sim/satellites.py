"""Finding satellites by what users type: an index, an exact name or a unique fragment."""
from __future__ import annotations

from .errors import UserError
from .names import match_name


def find_satellite(names: tuple[str, ...], query: str) -> int:
    text = str(query).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if 0 <= index < len(names):
            return index
        raise UserError(f"no satellite with index {index} (0..{len(names) - 1})")
    return match_name(text, names, "satellite")
