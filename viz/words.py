"""Numbers as a presenter would say them, shared by the panel, the labels and the recorded
cards, so that one duration reads the same everywhere."""
from __future__ import annotations

import math

#: (below this many seconds, multiply by, unit): three significant figures in the first
#: that fits; a value that would round to 1000 of a unit (or to 60 s) goes to the next.
_SMALL_UNITS = ((999.5e-9, 1e9, "ns"), (999.5e-6, 1e6, "us"), (0.9995, 1e3, "ms"),
                (59.95, 1.0, "s"))


def duration_words(seconds: float) -> str:
    """A duration at human scale, three significant figures under a minute: '955 ns',
    '12.3 us', '3.70 ms', '42.0 ms', '520 ms', '8.18 s', '12.3 s', then '6 min 40 s' and
    '2 h 05 min' (an on-board inference can take microseconds, a wait for a pass hours)."""
    s = max(float(seconds), 0.0)
    if s == 0.0:
        return "0 s"
    for below, factor, unit in _SMALL_UNITS:
        if s < below:
            return f"{_three_figures(s * factor)} {unit}"
    if s < 3599.5:
        whole = int(round(s))
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = int(round(s / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _three_figures(x: float) -> str:
    """x > 0 with three significant figures, trailing zeros kept: '3.70', '42.0', '520'."""
    rounded = float(f"{x:.3g}")
    decimals = max(0, 2 - int(math.floor(math.log10(rounded))))
    return f"{x:.{decimals}f}"
