"""Moving a Snapshot on without the sim (sim/ahead.py) against SGP4 itself: the World stepped
to the same instant."""
import numpy as np
import pytest

from sim.ahead import AHEAD_LIMIT_S, clamp_ahead, earth_turned, positions_ahead
from sim.world import World

#: accepted position error (km) after so many sim seconds: the f and g series' own error
#: ((n t)^4 / 24 of the radius for a circle) plus SGP4's J2 and drag, which it leaves out
TOLERANCE_KM = {10.0: 0.02, 100.0: 0.3, 300.0: 5.0}


@pytest.fixture(scope="module")
def before_and_after():
    world = World.from_scenario("network-2035")
    before = world.snapshot()
    after = {}
    for seconds in sorted(TOLERANCE_KM):
        after[seconds] = world.step(seconds - (world.sim_time_s - before.sim_time_s))
    return before, after


@pytest.mark.parametrize("seconds", sorted(TOLERANCE_KM))
def test_positions_ahead_follow_sgp4(before_and_after, seconds):
    before, after = before_and_after
    truth = after[seconds]
    assert truth.sim_time_s - before.sim_time_s == pytest.approx(seconds)
    moved = positions_ahead(before.positions_km, before.velocities_km_s, seconds)
    error = np.linalg.norm(moved - truth.positions_km, axis=1)
    stayed = np.linalg.norm(before.positions_km - truth.positions_km, axis=1)
    assert error.max() < TOLERANCE_KM[seconds], error.max()
    assert stayed.min() > 7.0 * seconds * 0.9  # standing still would be far off


def test_earth_turned_follows_the_ephemeris(before_and_after):
    before, after = before_and_after
    turned = earth_turned(before.itrs_to_gcrs, 300.0)
    truth = after[300.0].itrs_to_gcrs
    # angle of the rotation between them: under 1 arcsecond (precession, nutation left out)
    cos_angle = (np.trace(turned.T @ truth) - 1.0) / 2.0
    assert np.degrees(np.arccos(min(cos_angle, 1.0))) * 3600 < 1.0
    assert not np.allclose(before.itrs_to_gcrs, truth, atol=1e-3)


def test_zero_ahead_is_the_snapshot_and_the_limit_holds(before_and_after):
    before, _ = before_and_after
    same = positions_ahead(before.positions_km, before.velocities_km_s, 0.0)
    assert np.array_equal(same, before.positions_km)
    assert clamp_ahead(-3.0) == 0.0 and clamp_ahead(1e9) == AHEAD_LIMIT_S
