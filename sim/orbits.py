"""Synthetic satellites from orbital elements: Walker shells, sun-synchronous geometry, and
`sgp4.api.Satrec.sgp4init` for each satellite (so synthetic and real satellites share one
propagator).

Angles in degrees at the interfaces, radians inside SGP4; distances in km; times UTC.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
from sgp4.api import WGS72, Satrec

# WGS-72, not WGS-84: SGP4 (initialised with WGS72 below) turns mean motion back into a
# semi-major axis with these, so converting with them makes a requested altitude come out right.
from .constants import (TROPICAL_YEAR_DAYS, WGS72_EQUATORIAL_RADIUS_KM, WGS72_J2,
                        WGS72_MU_KM3_S2)

#: Mean motion of the mean Sun along the ecliptic, rad/s (one tropical year).
SUN_MEAN_MOTION_RAD_S = 2 * math.pi / (TROPICAL_YEAR_DAYS * 86400)
#: SGP4 epochs count days from 1949-12-31 00:00 UTC.
SGP4_EPOCH0 = dt.datetime(1949, 12, 31, tzinfo=dt.timezone.utc)


def semi_major_axis_km(altitude_km: float) -> float:
    """Semi-major axis of a circular orbit at `altitude_km` above the WGS-72 equator."""
    return WGS72_EQUATORIAL_RADIUS_KM + altitude_km


def mean_motion_rad_min(altitude_km: float) -> float:
    """Two-body mean motion of a circular orbit, rad/min (SGP4's unit)."""
    a = semi_major_axis_km(altitude_km)
    return math.sqrt(WGS72_MU_KM3_S2 / a**3) * 60.0


def sun_synchronous_inclination_deg(altitude_km: float) -> float:
    """Inclination whose J2 nodal regression matches the mean Sun's motion (circular orbit).

    From dRAAN/dt = -3/2 J2 (R/a)^2 n cos(i) = +360 deg per tropical year.
    """
    a = semi_major_axis_km(altitude_km)
    n = math.sqrt(WGS72_MU_KM3_S2 / a**3)
    cos_i = -SUN_MEAN_MOTION_RAD_S / (1.5 * WGS72_J2 * (WGS72_EQUATORIAL_RADIUS_KM / a) ** 2 * n)
    if cos_i < -1.0:
        raise ValueError(f"no sun-synchronous orbit exists at {altitude_km} km")
    return math.degrees(math.acos(cos_i))


def raan_for_local_time_deg(sun_right_ascension_deg: float, ltan_hours: float) -> float:
    """RAAN that puts the ascending node at local solar time `ltan_hours` (6 = dawn-dusk)."""
    return (sun_right_ascension_deg + (ltan_hours - 12.0) * 15.0) % 360.0


@dataclasses.dataclass(frozen=True)
class WalkerLayout:
    """Where each satellite of a Walker shell sits: plane index, slot index, RAAN and mean
    anomaly (degrees). Walker delta i:T/P/F spreads planes over `raan_spread_deg` (360 for a
    delta pattern, 180 for a polar 'star' pattern) and shifts plane p by p*F*360/T."""

    plane: np.ndarray  # (T,) int
    slot: np.ndarray  # (T,) int
    raan_deg: np.ndarray  # (T,)
    mean_anomaly_deg: np.ndarray  # (T,)


def walker_layout(planes: int, per_plane: int, phasing: int, raan0_deg: float,
                  raan_spread_deg: float) -> WalkerLayout:
    total = planes * per_plane
    plane = np.repeat(np.arange(planes), per_plane)
    slot = np.tile(np.arange(per_plane), planes)
    raan = (raan0_deg + plane * raan_spread_deg / planes) % 360.0
    anomaly = (slot * 360.0 / per_plane + plane * phasing * 360.0 / total) % 360.0
    return WalkerLayout(plane, slot, raan, anomaly)


def satrec_from_elements(satnum: int, epoch: dt.datetime, altitude_km: float,
                         inclination_deg: float, raan_deg: float, mean_anomaly_deg: float,
                         eccentricity: float = 0.0, arg_perigee_deg: float = 0.0,
                         bstar: float = 0.0) -> Satrec:
    """An SGP4 record for a near-circular orbit given by altitude and angles (degrees)."""
    satrec = Satrec()
    epoch_days = (epoch - SGP4_EPOCH0).total_seconds() / 86400.0
    satrec.sgp4init(
        WGS72, "i", satnum % 100000, epoch_days, bstar, 0.0, 0.0, eccentricity,
        math.radians(arg_perigee_deg), math.radians(inclination_deg),
        math.radians(mean_anomaly_deg), mean_motion_rad_min(altitude_km), math.radians(raan_deg),
    )
    return satrec
