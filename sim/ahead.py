"""Moving a Snapshot on by a little sim time without the simulation: what the renderer does
between two Snapshots of a slow step (sim/runner.py), on the GPU (shaders/include/satdata.glsl
does the same sums) and here for the CPU's few uses (picking, labels, the followed camera).

Satellites: the two-body f and g series to third order in time (Bate, Mueller and White,
"Fundamentals of Astrodynamics", 1971, sec. 4.6.2: r(t) = f r0 + g v0 with
f = 1 - u t^2/2 + u p t^3/2, g = t - u t^3/6, u = mu / r^3, p = r.v / r^2). For a circular
LEO orbit the error grows as (n t)^4 / 24 of the radius: about 40 m after 100 s, 0.7 km
after 200 s, 4 km after 300 s; J2 and drag add metres over such spans. The renderer never
looks further ahead than one step of the sim (at most MAX_STEP_WALL_S of wall time at the
warp; AHEAD_LIMIT_S caps it), and tests/sim/test_ahead.py checks the error against SGP4.

The Earth: turned about its own axis (the Earth-fixed z axis, not GCRS z: precession has
moved the pole some 0.2 degrees from it by the 2030s) at EARTH_ROTATION_RAD_S; precession and
nutation move the pole by milliarcseconds over such spans.

No skyfield, no scipy: viz imports this.
"""
from __future__ import annotations

import math

import numpy as np

from .constants import EARTH_MU_KM3_S2, EARTH_ROTATION_RAD_S

#: Most sim seconds a frame extrapolates a Snapshot (circular 500 km orbit: ~4 km of error)
AHEAD_LIMIT_S = 300.0


def clamp_ahead(seconds: float) -> float:
    return min(max(float(seconds), 0.0), AHEAD_LIMIT_S)


def positions_ahead(positions_km: np.ndarray, velocities_km_s: np.ndarray,
                    seconds: float) -> np.ndarray:
    """(N,3) float64 positions `seconds` of sim time after (N,3) `positions_km` (km) moving at
    `velocities_km_s` (km/s), both in an inertial frame (GCRS), by the two-body f and g series
    (module docstring). `seconds` == 0 gives the positions back (a copy)."""
    r = np.asarray(positions_km, np.float64).reshape(-1, 3)
    v = np.asarray(velocities_km_s, np.float64).reshape(-1, 3)
    t = float(seconds)
    if t == 0.0:
        return r.copy()
    r2 = np.einsum("ij,ij->i", r, r)
    u = EARTH_MU_KM3_S2 / (r2 * np.sqrt(r2))
    p = np.einsum("ij,ij->i", r, v) / r2
    f = 1.0 - 0.5 * u * t * t + 0.5 * u * p * t ** 3
    g = t - u * t ** 3 / 6.0
    return r * f[:, None] + v * g[:, None]


def earth_turned(itrs_to_gcrs: np.ndarray, seconds: float) -> np.ndarray:
    """(3,3) the Earth-fixed -> GCRS rotation `seconds` of sim time later: the Earth turned on
    by EARTH_ROTATION_RAD_S x seconds about its own (Earth-fixed z) axis, eastward."""
    angle = EARTH_ROTATION_RAD_S * float(seconds)
    c, s = math.cos(angle), math.sin(angle)
    spin = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return np.asarray(itrs_to_gcrs, np.float64) @ spin
