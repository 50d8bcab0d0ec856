"""Matching what users type to names (satellites, stations, cities): exact, then a unique
case-insensitive fragment; otherwise a UserError with the closest names."""
from __future__ import annotations

import difflib
from typing import Sequence

from .errors import UserError


def match_name(query: str, names: Sequence[str], what: str) -> int:
    """Index of the name `query` means; `what` ('station', 'satellite') words the errors."""
    text = str(query).strip()
    lowered = text.lower()
    for i, name in enumerate(names):
        if name.lower() == lowered:
            return i
    partial = [i for i, name in enumerate(names) if lowered and lowered in name.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        shown = "; ".join(names[i] for i in partial[:6])
        more = f" and {len(partial) - 6} more" if len(partial) > 6 else ""
        raise UserError(f"{what} '{text}' is ambiguous: matches {shown}{more}")
    close = closest_names(text, names)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UserError(f"unknown {what} '{text}'{hint}")


def closest_names(query: str, names: Sequence[str], count: int = 3) -> list[str]:
    """Names most like `query`, comparing with the whole name and with each of its words
    (so 'Kashgarr' finds 'Kashi (Kashgar) deep-space station')."""
    lowered = query.strip().lower()

    def score(name: str) -> float:
        words = [w.strip("()',.") for w in name.lower().split()] + [name.lower()]
        return max(difflib.SequenceMatcher(None, lowered, w).ratio() for w in words if w)

    scored = sorted(((score(n), n) for n in names), reverse=True)
    return [n for s, n in scored[:count] if s >= 0.6]
