"""Finding satellites by what users type: an index, an exact name or a unique fragment."""
from __future__ import annotations

import difflib

from .errors import UserError


def find_satellite(names: tuple[str, ...], query: str) -> int:
    text = str(query).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if 0 <= index < len(names):
            return index
        raise UserError(f"no satellite with index {index} (0..{len(names) - 1})")
    lowered = text.lower()
    exact = [i for i, n in enumerate(names) if n.lower() == lowered]
    if exact:
        return exact[0]
    partial = [i for i, n in enumerate(names) if lowered and lowered in n.lower()]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        shown = ", ".join(names[i] for i in partial[:5])
        more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
        raise UserError(f"satellite '{text}' is ambiguous: matches {shown}{more}")
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UserError(f"unknown satellite '{text}'{hint}")
