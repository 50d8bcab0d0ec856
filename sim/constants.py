"""Physical constants, each defined once, with its unit and source.

Every module of sim/ and viz/, and the shaders (viz/shaders.py writes them into the generated
include "constants.glsl"), read their values from here, so that the drawn Earth, the camera
limits, the inspector's altitudes and the sim's geometry all agree. This module imports nothing
(no numpy, no skyfield): the drawing side may import it freely.

Two constant sets appear, on purpose:
- WGS-84 (with IERS values): the figure of the Earth that positions, altitudes, station
  coordinates, shadows and the drawn globe use.
- WGS-72: the set SGP4 was built on. Elements given to SGP4 (mean motion from an altitude, the
  sun-synchronous inclination) must be converted with these, or a requested altitude comes out
  a few metres off; nothing else should use them.
"""
from __future__ import annotations

import math

# --- WGS-84 figure of the Earth -------------------------------------------------------------

#: Equatorial radius (semi-major axis) of the WGS-84 ellipsoid, km. NIMA TR8350.2 (2000),
#: table 3.1. The one Earth radius of the project: the drawn globe, the shadow cylinder, the
#: laser grazing limit and altitudes measured as |r| - R all use it.
WGS84_EQUATORIAL_RADIUS_KM = 6378.137
#: Flattening of the WGS-84 ellipsoid (dimensionless). NIMA TR8350.2, table 3.1. Used for
#: geodetic latitude / height (ground stations, cities).
WGS84_FLATTENING = 1 / 298.257223563
#: The project's Earth radius, km: the WGS-84 equatorial radius (see above). A sphere of this
#: radius touches the ellipsoid at the equator and lies at most 21 km above it at the poles.
EARTH_RADIUS_KM = WGS84_EQUATORIAL_RADIUS_KM
#: Polar radius (semi-minor axis) of the WGS-84 ellipsoid, km: a (1 - f) = 6356.752 km.
WGS84_POLAR_RADIUS_KM = WGS84_EQUATORIAL_RADIUS_KM * (1 - WGS84_FLATTENING)

#: Earth's gravitational parameter GM including the atmosphere, km^3/s^2. WGS-84 (EGM96 value,
#: NIMA TR8350.2 table 3.3) = IERS Conventions 2010 table 1.1. For two-body orbits outside SGP4
#: (e.g. viz/synthetic.py's stand-in constellation).
EARTH_MU_KM3_S2 = 398_600.4418

#: Earth's rotation rate, rad/s: the rate of the Earth rotation angle, 1.00273781191135448
#: turns per UT1 day (IERS Conventions 2010, eq. 5.15). WGS-84's nominal 7.292115e-5 is this
#: value rounded; the difference (1.5e-12 rad/s) changes a LEO satellite's Earth-fixed
#: velocity by 10 micrometres per second. Used to spin the Earth between exact frame rotations
#: (sim/ephemeris.py), for Earth-fixed velocities (omega x r) and by viz/synthetic.py.
EARTH_ROTATION_RAD_S = 1.00273781191135448 * 2 * math.pi / 86_400.0

#: Length of the mean tropical year (equinox to equinox), days of 86,400 s (Meeus,
#: "Astronomical Algorithms", 2nd ed., ch. 27, at J2000). A sun-synchronous plane turns 360
#: degrees in this time (sim/orbits.py).
TROPICAL_YEAR_DAYS = 365.2421897

# --- light ------------------------------------------------------------------------------------

#: Speed of light in vacuum, km/s (exact by the SI definition of the metre, 1983).
#: Light-time of every laser, uplink and downlink hop: length / c.
SPEED_OF_LIGHT_KM_S = 299_792.458

# --- WGS-72: the constants SGP4 itself uses -----------------------------------------------------
# Values of sgp4's `earth_gravity.wgs72` (Vallado et al., "Revisiting Spacetrack Report #3",
# AIAA 2006-6753), which `Satrec.sgp4init(WGS72, ...)` uses internally (a test checks they
# match). Only for turning an altitude or inclination into SGP4 elements (sim/orbits.py).

#: WGS-72 equatorial radius, km.
WGS72_EQUATORIAL_RADIUS_KM = 6378.135
#: WGS-72 gravitational parameter, km^3/s^2.
WGS72_MU_KM3_S2 = 398_600.8
#: WGS-72 second zonal harmonic J2 (dimensionless).
WGS72_J2 = 0.001082616
