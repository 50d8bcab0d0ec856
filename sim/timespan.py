"""The span of UTC time the sim can handle: the years of the JPL DE421 ephemeris.

DE421 (shipped by skyfield-data, loaded in sim/ephemeris.py) places the Sun for shadows and
frames from 1899-07-29 to 2053-10-09; the sim accepts the whole years inside that, 1900-2052.
Every check of an instant against it (scenario epochs, element-set epochs, `--at`, Advance,
the end of a route search) goes through this module, so all of them agree and say the same.
This module imports nothing heavy: it runs before any expensive work.
"""
from __future__ import annotations

import datetime as dt

from .errors import UserError

#: First and last whole year DE421 covers (UTC).
EPHEMERIS_YEARS = (1900, 2052)
#: The first instant past the ephemeris: 1 January of the year after the last, UTC.
EPHEMERIS_END = dt.datetime(EPHEMERIS_YEARS[1] + 1, 1, 1, tzinfo=dt.timezone.utc)


def in_ephemeris(when: dt.datetime) -> bool:
    """True when the UTC instant `when` lies in the years the ephemeris covers."""
    return EPHEMERIS_YEARS[0] <= when.year <= EPHEMERIS_YEARS[1]


def check_in_ephemeris(when: dt.datetime, what: str) -> dt.datetime:
    """`when` if the ephemeris covers it; otherwise one UserError line naming `what` (a file
    and field, a flag or a command), the date and the years covered."""
    if not in_ephemeris(when):
        low, high = EPHEMERIS_YEARS
        raise UserError(f"{what}: {when:%Y-%m-%d} is outside the ephemeris "
                        f"(DE421 covers {low}-{high})")
    return when
