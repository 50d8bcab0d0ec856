"""The one span of time the sim handles (sim/timespan.py): DE421's whole years."""
import datetime as dt

import pytest

from sim import ephemeris
from sim.errors import UserError
from sim.timespan import EPHEMERIS_END, EPHEMERIS_YEARS, check_in_ephemeris, in_ephemeris

UTC = dt.timezone.utc


def test_the_span_lies_inside_what_de421_really_covers():
    eph = ephemeris.planets()
    ts = ephemeris.timescale()
    first = ts.from_datetime(dt.datetime(EPHEMERIS_YEARS[0], 1, 1, tzinfo=UTC))
    last = ts.from_datetime(EPHEMERIS_END - dt.timedelta(seconds=1))
    for segment in eph.segments:
        start, end = segment.time_range(ts)
        assert start.tt <= first.tt and last.tt <= end.tt


@pytest.mark.parametrize("when,inside", [
    (dt.datetime(1900, 1, 1, tzinfo=UTC), True),
    (dt.datetime(1899, 12, 31, 23, 59, tzinfo=UTC), False),
    (EPHEMERIS_END - dt.timedelta(microseconds=1), True),
    (EPHEMERIS_END, False),
])
def test_edges(when, inside):
    assert in_ephemeris(when) is inside
    if inside:
        assert check_in_ephemeris(when, "x") is when
    else:
        with pytest.raises(UserError, match=rf"^--at: {when:%Y-%m-%d} is outside the ephemeris "
                                            r"\(DE421 covers 1900-2052\)$"):
            check_in_ephemeris(when, "--at")
