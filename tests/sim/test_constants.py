"""sim/constants.py: each physical constant once, agreeing with its published source, and no
copy of it anywhere else in the code."""
import pathlib
import re
import subprocess
import sys

import pytest
from sgp4.earth_gravity import wgs72
from skyfield.constants import ANGVEL, C
from skyfield.toposlib import wgs84

from sim import constants

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_wgs84_matches_skyfield():
    assert constants.WGS84_EQUATORIAL_RADIUS_KM == wgs84.radius.km
    assert 1 / constants.WGS84_FLATTENING == pytest.approx(wgs84.inverse_flattening, rel=1e-15)
    assert constants.EARTH_RADIUS_KM == constants.WGS84_EQUATORIAL_RADIUS_KM


def test_polar_radius():
    assert constants.WGS84_POLAR_RADIUS_KM == pytest.approx(6356.752314, abs=1e-6)


def test_light_and_rotation_match_skyfield():
    assert constants.SPEED_OF_LIGHT_KM_S * 1e3 == C
    # skyfield's nominal rate is the IERS rate rounded to 7 digits.
    assert constants.EARTH_ROTATION_RAD_S == pytest.approx(ANGVEL, abs=2e-12)


def test_wgs72_is_what_sgp4_uses():
    assert constants.WGS72_MU_KM3_S2 == wgs72.mu
    assert constants.WGS72_EQUATORIAL_RADIUS_KM == wgs72.radiusearthkm
    assert constants.WGS72_J2 == wgs72.j2


def test_imports_nothing_heavy():
    """The drawing side imports it: it must not pull numpy, skyfield or sgp4 in."""
    code = ("import sys, sim.constants; "
            "print(sorted(m for m in ('numpy', 'skyfield', 'sgp4', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


#: Digits of the constants (and of the old spherical radius 6371) that must not be typed
#: again anywhere: a copy drifts.
LITERALS = re.compile(r"6371|6378\.1|6356\.7|398[_.]?600|299[_.]?792|7\.2921|365\.24|0\.0098")


def code_files():
    for folder in ("sim", "viz", "shaders", "tests"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".glsl", ".vert", ".frag", ".geom"):
                yield path
    yield ROOT / "run.py"


def test_no_copies_of_the_constants():
    here = pathlib.Path(__file__).resolve()
    allowed = {ROOT / "sim" / "constants.py", here}
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in code_files() if path not in allowed
             for n, line in enumerate(path.read_text().splitlines(), 1) if LITERALS.search(line)]
    assert not found, "constants typed outside sim/constants.py:\n" + "\n".join(found)
