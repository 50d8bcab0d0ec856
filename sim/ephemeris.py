"""Offline time scale and planetary ephemeris (never downloads).

`load.timescale(builtin=True)` uses the leap-second and Delta T tables that ship inside skyfield;
JPL DE421 comes from the `skyfield-data` package. Both are loaded once per process.
"""
from __future__ import annotations

import datetime as dt
import functools
import warnings

import numpy as np
from skyfield.api import Loader, load
from skyfield.sgp4lib import TEME

from .constants import EARTH_ROTATION_RAD_S


@functools.cache
def timescale():
    """Skyfield Timescale from the tables built into skyfield (no network)."""
    return load.timescale(builtin=True)


@functools.cache
def planets():
    """JPL DE421 from the skyfield-data package (the sim uses its years 1900-2052:
    sim/timespan.py)."""
    import skyfield_data

    with warnings.catch_warnings():
        # skyfield-data warns that its bundled finals2000A.all (polar motion) is old; we use the
        # builtin timescale instead, so the warning does not apply.
        warnings.simplefilter("ignore", RuntimeWarning)
        path = skyfield_data.get_skyfield_data_path()
    return Loader(path, expire=False)("de421.bsp")


def skyfield_time(when: dt.datetime):
    """A skyfield Time for a timezone-aware UTC datetime."""
    return timescale().from_datetime(when)


def sun_direction_gcrs(t) -> np.ndarray:
    """Unit vector from Earth's centre towards the Sun in GCRS at skyfield Time `t`.

    Geometric position (no light-time or aberration): the shadow test needs where the Sun is,
    and the difference to the apparent direction (~20 arcsec) is invisible.
    """
    eph = planets()
    vector = (eph["sun"] - eph["earth"]).at(t).position.km
    return vector / np.linalg.norm(vector)


class EarthFrames:
    """Rotations between TEME, GCRS and ITRS, and the Sun's direction, for any UTC instant.

    Skyfield's exact rotations cost ~1 ms (nutation series). All of their content changes
    slowly except Earth's spin, so they are computed exactly at a reference instant and carried
    to nearby instants by turning about the pole at the sidereal rate. Within `refresh_s` of the
    reference this agrees with skyfield to better than a millimetre at LEO radius (checked in
    tests against skyfield's EarthSatellite).
    """

    def __init__(self, refresh_s: float = 30.0):
        self.refresh_s = refresh_s
        self._ref: dt.datetime | None = None

    def _reset(self, when: dt.datetime) -> None:
        t = skyfield_time(when)
        self._ref = when
        self._precession_nutation = t.M  # GCRS -> true equator and equinox of date
        self._teme_to_gcrs = TEME.rotation_at(t).T  # slow: no Earth spin inside
        self._gast_rad = t.gast * 2 * np.pi / 24.0
        self._sun = sun_direction_gcrs(t)

    def at(self, when: dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(teme_to_gcrs, gcrs_to_itrs, sun_dir_gcrs) at UTC `when`."""
        if self._ref is None or abs((when - self._ref).total_seconds()) > self.refresh_s:
            self._reset(when)
        angle = self._gast_rad + EARTH_ROTATION_RAD_S * (when - self._ref).total_seconds()
        c, s = np.cos(angle), np.sin(angle)
        spin = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # rot_z(-angle)
        return self._teme_to_gcrs, spin @ self._precession_nutation, self._sun
