"""The World's cheap propagation (sim/propagation.py: staggered SGP4 samples + interpolation)
against direct SGP4, which test_propagation.py checks against skyfield."""
import datetime as dt
import math
import pathlib
import types

import numpy as np
import pytest
from sgp4.api import SatrecArray

from sim import constellation as constellation_mod
from sim import orbits
from sim.elements import read_element_file
from sim.propagation import SAMPLE_SPACING_S, StaggeredPropagator
from sim.world import World

ROOT = pathlib.Path(__file__).resolve().parents[2]
H = SAMPLE_SPACING_S
POSITION_TOL_KM = 1e-5  # 1 cm
VELOCITY_TOL_KM_S = 1e-6  # 1 mm/s
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def stub(satrecs):
    """The parts of a Constellation that propagation uses."""
    return types.SimpleNamespace(size=len(satrecs), satrecs=list(satrecs),
                                 sat_array=SatrecArray(list(satrecs)))


def direct(constellation, when):
    jd, fr = constellation_mod.utc_julian_date(when)
    errors, r, v = constellation.sat_array.sgp4(np.array([jd]), np.array([fr]))
    return errors[:, 0] == 0, r[:, 0], v[:, 0]


def compare(propagator, when):
    """Interpolated against direct SGP4 at `when`: (position error km, velocity error km/s)."""
    online, r, v = propagator.teme(when)
    truth_online, truth_r, truth_v = direct(propagator.constellation, when)
    assert online.tolist() == truth_online.tolist()
    if not online.any():
        return 0.0, 0.0
    return (float(np.abs(r[online] - truth_r[online]).max()),
            float(np.abs(v[online] - truth_v[online]).max()))


def varied_steps():
    """Small steps of many sizes, steps that land exactly on sample times, steps of H and more,
    backwards steps and jumps."""
    steps = [1 / 60] * 40 + [100 / 60] * 30 + [0.0, 0.0]
    steps += [H / 64] * 70  # every group's sample times, exactly (64 groups)
    steps += [H - 1e-6, H, 2.5 * H, 1 / 60, 1 / 60, 3.0, -0.4, -H / 64, -3.0, -(H - 1e-3)]
    steps += [1.1] * 20 + [-3600.0] + [0.7] * 30 + [86400.0 + 0.123] + [0.05] * 30
    steps += [5.0, 7.9, 4.0] * 10 + [-1e-3, 1e-3] * 5 + [2 * 3600.0, 0.2, 0.2, -7.0, 0.3]
    rng = np.random.default_rng(7)
    steps += list(rng.choice([1 / 60, 0.5, 1.6667, 3.3, -0.8, 7.5, 12.0], size=150))
    return steps


def run(propagator, start_s, steps):
    t, worst_r, worst_v = start_s, 0.0, 0.0
    for step in steps:
        t += step
        err_r, err_v = compare(propagator, EPOCH + dt.timedelta(seconds=t))
        worst_r, worst_v = max(worst_r, err_r), max(worst_v, err_v)
    return worst_r, worst_v


def test_interpolation_matches_sgp4_over_varied_steps(network_world):
    constellation = network_world.constellation
    propagator = StaggeredPropagator(constellation, EPOCH)
    worst_r, worst_v = run(propagator, 1234.5, varied_steps())
    assert worst_r < POSITION_TOL_KM and worst_v < VELOCITY_TOL_KM_S
    assert worst_r > 0  # really interpolated, not all exact
    assert propagator.exact_steps >= 5


def test_interpolation_of_real_catalogue_including_eccentric_orbits():
    records = read_element_file(ROOT / "assets/elements/tle_gpredict_2018.txt")
    satrecs = [r.satrec for r in records]
    constellation = stub(satrecs)
    epoch = EPOCH.replace(year=2018, month=6)  # near the catalogue's epochs: most still fly
    propagator = StaggeredPropagator(constellation, epoch)
    t, worst_r, worst_v = 0.0, 0.0, 0.0
    for step in [1.6667] * 300 + [1 / 60] * 30 + [3.3] * 300:
        t += step
        err_r, err_v = compare(propagator, epoch + dt.timedelta(seconds=t))
        worst_r, worst_v = max(worst_r, err_r), max(worst_v, err_v)
    assert worst_r < POSITION_TOL_KM and worst_v < VELOCITY_TOL_KM_S

    # Molniya orbits (e ~ 0.7) through a whole perigee passage: the hardest case for H.
    eccentric = [s for s in satrecs if s.ecco > 0.6]
    assert len(eccentric) >= 3
    constellation = stub(eccentric)
    propagator = StaggeredPropagator(constellation, epoch)
    t, worst_r, worst_v = 0.0, 0.0, 0.0
    for _ in range(int(12 * 3600 / 2.9)):  # a full Molniya period
        t += 2.9
        err_r, err_v = compare(propagator, epoch + dt.timedelta(seconds=t))
        worst_r, worst_v = max(worst_r, err_r), max(worst_v, err_v)
    assert worst_r < POSITION_TOL_KM and worst_v < VELOCITY_TOL_KM_S


def test_sgp4_velocity_is_not_the_derivative_of_its_position(network_world):
    """Why position is not a Hermite cubic through (p0, v0, p1, v1): the mismatch is
    centimetres per second, which a Hermite cubic over H seconds turns into centimetres."""
    constellation = network_world.constellation
    when = EPOCH + dt.timedelta(seconds=3600)
    _, r_plus, _ = direct(constellation, when + dt.timedelta(seconds=0.01))
    _, r_minus, _ = direct(constellation, when - dt.timedelta(seconds=0.01))
    _, _, v = direct(constellation, when)
    assert np.abs((r_plus - r_minus) / 0.02 - v).max() > 5e-6  # > 5 mm/s


@pytest.mark.parametrize("size", [1, 2, 5, 63, 64, 65, 130])
def test_tiny_constellations(size):
    satrecs = [orbits.satrec_from_elements(k + 1, EPOCH, 500.0 + 7 * k, 53.0, 11.0 * k, 37.0 * k)
               for k in range(size)]
    propagator = StaggeredPropagator(stub(satrecs), EPOCH)
    assert propagator.groups == min(size, 64)
    worst_r, worst_v = run(propagator, 600.0, varied_steps()[:220])
    assert worst_r < POSITION_TOL_KM and worst_v < VELOCITY_TOL_KM_S


def test_decaying_satellite_behaves_as_with_direct_sgp4():
    """A satellite that decays (SGP4 error) during the run: offline exactly when direct SGP4
    says so, its neighbours in the same group interpolated as usual."""
    satrecs = [orbits.satrec_from_elements(1, EPOCH, 160.0, 51.6, 0.0, 0.0, bstar=0.5)]
    satrecs += [orbits.satrec_from_elements(k + 2, EPOCH, 550.0, 51.6, 10.0 * k, 20.0 * k)
                for k in range(9)]
    constellation = stub(satrecs)
    lo, hi = 0.0, 60 * 86400.0  # find the decay by bisection on direct SGP4
    assert direct(constellation, EPOCH + dt.timedelta(seconds=lo))[0][0]
    assert not direct(constellation, EPOCH + dt.timedelta(seconds=hi))[0][0]
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if direct(constellation, EPOCH + dt.timedelta(seconds=mid))[0][0] \
            else (lo, mid)
    propagator = StaggeredPropagator(constellation, EPOCH, groups=2)
    t, seen = lo - 40.0, set()
    while t < lo + 40.0:
        t += 0.37
        when = EPOCH + dt.timedelta(seconds=t)
        err_r, err_v = compare(propagator, when)  # asserts `online` as direct SGP4
        assert err_r < POSITION_TOL_KM and err_v < VELOCITY_TOL_KM_S
        online, r, v = propagator.teme(when)
        seen.add(bool(online[0]))
        assert online[1:].all()
        state = constellation_mod.propagate(constellation, when, teme_source=propagator)
        assert np.isfinite(state.positions_km).all() and np.isfinite(state.velocities_km_s).all()
    assert seen == {True, False}


def test_sgp4_evaluations_per_step_are_bounded(network_world):
    constellation = network_world.constellation
    n, groups = constellation.size, 64
    propagator = StaggeredPropagator(constellation, EPOCH, groups=groups)
    largest_group = math.ceil(n / groups)
    t = 500.0
    propagator.teme(EPOCH + dt.timedelta(seconds=t))  # first call: exact, all satellites
    assert propagator.evaluations == n and propagator.exact_steps == 1
    rebuild = propagator.rebuild_per_step
    assert rebuild == groups // 16
    for _ in range(math.ceil(groups / rebuild)):  # windows are rebuilt a few groups per step,
        t += 1 / 60                                # the others evaluated exactly
        before = propagator.evaluations
        propagator.teme(EPOCH + dt.timedelta(seconds=t))
        assert propagator.evaluations - before <= n + (3 * rebuild + 1) * largest_group
    for step in [1 / 60] * 200 + [100 / 60] * 60 + [5.0] * 20:
        t += step
        before = propagator.evaluations
        propagator.teme(EPOCH + dt.timedelta(seconds=t))
        crossed = math.floor(step * groups / H) + 1  # sample times passed, over all groups
        assert propagator.evaluations - before <= crossed * largest_group
    assert propagator.exact_steps == 1
    # on average one sample per satellite every H seconds
    before, span = propagator.evaluations, 0.0
    for _ in range(600):
        t += 1 / 60
        span += 1 / 60
        propagator.teme(EPOCH + dt.timedelta(seconds=t))
    assert propagator.evaluations - before <= n * (span / H) + 2 * largest_group
    # a step of H or more: exact SGP4 for every satellite
    before = propagator.evaluations
    propagator.teme(EPOCH + dt.timedelta(seconds=t + H))
    assert propagator.evaluations - before == n and propagator.exact_steps == 2


def test_world_steps_interpolate_and_agree_with_exact_propagation():
    world = World.from_scenario("network-2035")
    propagator = world.propagator
    frames_exact = None
    exact_before = propagator.exact_steps
    for step in [1 / 60] * 30 + [100 / 60] * 30:
        snap = world.step(step)
        exact = constellation_mod.propagate(world.constellation, world.now, frames_exact)
        assert np.abs(snap.positions_km - exact.positions_km).max() < POSITION_TOL_KM
        assert np.abs(snap.positions_itrs_km - exact.positions_itrs_km).max() < POSITION_TOL_KM
        assert np.abs(snap.velocities_km_s - exact.velocities_km_s).max() < VELOCITY_TOL_KM_S
    assert propagator.exact_steps == exact_before  # no fallbacks on small steps
    evaluations = propagator.evaluations
    world.step(1 / 60)
    assert propagator.evaluations - evaluations < world.constellation.size / 8
    world.step(3 * H)  # high warp: exact
    assert propagator.exact_steps == exact_before + 1

