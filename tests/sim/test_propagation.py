"""Positions, velocities and sunlight against skyfield (the outside truth)."""
import datetime as dt
import pathlib

import numpy as np
import pytest
from sgp4.exporter import export_tle
from skyfield.api import EarthSatellite
from skyfield.framelib import itrs

from sim import ephemeris, orbits
from sim.constants import EARTH_RADIUS_KM, TROPICAL_YEAR_DAYS
from sim.elements import read_element_file
from sim.world import World

ROOT = pathlib.Path(__file__).resolve().parents[2]


def skyfield_states(satrecs, when):
    ts = ephemeris.timescale()
    t = ephemeris.skyfield_time(when)
    gcrs, vel, fixed, fixed_vel = [], [], [], []
    for satrec in satrecs:
        at = EarthSatellite.from_satrec(satrec, ts).at(t)
        gcrs.append(at.position.km)
        vel.append(at.velocity.km_per_s)
        r, v = at.frame_xyz_and_velocity(itrs)
        fixed.append(r.km)
        fixed_vel.append(v.km_per_s)
    return map(np.array, (gcrs, vel, fixed, fixed_vel))


@pytest.mark.parametrize("offset_s", [0.0, 17.25, 45.0, 3 * 3600 + 0.5, 2 * 86400 + 0.123])
def test_synthetic_shell_matches_skyfield_within_a_metre(network_world, offset_s):
    world = World(network_world.scenario)
    snap = world.step(offset_s)
    sample = np.arange(0, world.constellation.size, 97)
    gcrs, vel, fixed, fixed_vel = skyfield_states(
        [world.constellation.satrecs[i] for i in sample], snap.time_utc)
    assert np.abs(snap.positions_km[sample] - gcrs).max() < 1e-3  # km: under 1 m
    assert np.abs(snap.positions_itrs_km[sample] - fixed).max() < 1e-3
    assert np.abs(snap.velocities_km_s[sample] - vel).max() < 1e-6  # under 1 mm/s
    state = world.geometry.state
    assert np.abs(state.velocities_itrs_km_s[sample] - fixed_vel).max() < 1e-5


def test_real_tles_match_skyfield(tmp_path):
    path = ROOT / "assets/elements/tle_gpredict_2018.txt"
    world = World.from_scenario(str(path))
    assert world.constellation.size == len(read_element_file(path)) > 900
    snap = world.step(5400.0)
    ok = np.flatnonzero(snap.online)[::25]
    gcrs, _, fixed, _ = skyfield_states([world.constellation.satrecs[i] for i in ok],
                                        snap.time_utc)
    assert np.abs(snap.positions_km[ok] - gcrs).max() < 1e-3
    assert np.abs(snap.positions_itrs_km[ok] - fixed).max() < 1e-3


def test_sunlit_agrees_with_skyfield(network_world):
    snap = network_world.snapshot()
    ts, planets = ephemeris.timescale(), ephemeris.planets()
    t = ephemeris.skyfield_time(snap.time_utc)
    sample = np.arange(0, snap.n_sats, 7)
    truth = np.array([EarthSatellite.from_satrec(network_world.constellation.satrecs[i], ts)
                      .at(t).is_sunlit(planets) for i in sample])
    # skyfield uses a sphere for Earth and the true Sun position; we use a cylinder: they may
    # differ only for satellites within seconds of a shadow edge.
    assert (truth == snap.sunlit[sample]).mean() > 0.99
    assert 0.3 < snap.sunlit.mean() < 0.95


def test_dawn_dusk_shell_stays_in_sunlight():
    world = World.from_scenario("network-2035")
    training = world.constellation.roles == 1
    fractions = []
    for _ in range(24):  # one day, hourly, around the June solstice of its epoch
        snap = world.step(3600.0)
        fractions.append(snap.sunlit[training].mean())
    assert min(fractions) > 0.97
    # the sun-synchronous 10:30 shell crosses the night side every orbit
    assert world.snapshot().sunlit[world.constellation.shell_index == 0].mean() < 0.9


def test_sun_synchronous_inclination_and_drift():
    """At 535 km the sun-synchronous inclination is about 97.5 deg; the plane must turn
    eastward about 0.9856 deg/day, like the mean Sun."""
    inclination = orbits.sun_synchronous_inclination_deg(535.0)
    assert 97.4 < inclination < 97.7
    epoch = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    satrec = orbits.satrec_from_elements(1, epoch, 535.0, inclination, 0.0, 0.0)
    drift_rad_per_min = satrec.nodedot
    drift_deg_per_day = np.degrees(drift_rad_per_min) * 1440
    assert drift_deg_per_day == pytest.approx(360 / TROPICAL_YEAR_DAYS, rel=0.01)


def test_walker_layout_spacing():
    layout = orbits.walker_layout(planes=4, per_plane=6, phasing=1, raan0_deg=10,
                                  raan_spread_deg=360)
    assert sorted(set(np.round(layout.raan_deg, 6))) == [10.0, 100.0, 190.0, 280.0]
    plane0 = layout.mean_anomaly_deg[layout.plane == 0]
    assert np.allclose(np.diff(plane0), 60.0)
    # phasing F=1 of T=24 shifts each plane by 15 deg
    assert layout.mean_anomaly_deg[layout.plane == 1][0] == pytest.approx(15.0)


def test_shell_altitude_is_what_was_asked(cluster_world):
    radius = np.linalg.norm(cluster_world.snapshot().positions_km, axis=1)
    assert abs(radius.mean() - EARTH_RADIUS_KM - 535.0) < 15.0


def test_decayed_objects_go_offline_not_nan(write):
    """A satellite whose orbit has decayed is marked offline, with finite coordinates, instead
    of poisoning the arrays with NaN; the others propagate on."""
    epoch = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    lines = []
    for number, (altitude, bstar) in enumerate([(160.0, 0.5), (550.0, 0.0)], start=1):
        satrec = orbits.satrec_from_elements(number, epoch, altitude, 51.6, 0.0, 0.0, bstar=bstar)
        lines += [f"OBJ-{number}", *export_tle(satrec)]
    path = write("decay.tle", "\n".join(lines) + "\n")
    world = World.from_scenario(str(path), at=epoch + dt.timedelta(days=60))
    snap = world.snapshot()
    assert snap.online.tolist() == [False, True]
    assert np.isfinite(snap.positions_km).all()
    assert snap.totals["sats_online"] == 1


def test_grouped_records_answer_as_one_array_and_are_the_propagators(network_world):
    """The constellation keeps its SGP4 records once, in groups: SGP4 over the groups gives
    exactly what one SatrecArray of every record gives, and the World's propagator samples
    those same groups instead of a copy."""
    from sgp4.api import SatrecArray

    from sim.constellation import SatrecGroups

    con = network_world.constellation
    assert isinstance(con.sat_array, SatrecGroups) and len(con.sat_array.arrays) == 64
    jd, fr = np.array([2464500.5, 2464500.5]), np.array([0.25, 0.2501])
    mine = con.sat_array.sgp4(jd, fr)
    whole = SatrecArray(list(con.satrecs)).sgp4(jd, fr)
    for a, b in zip(mine, whole):
        assert a.shape == b.shape and np.array_equal(a, b)
    assert network_world.propagator._arrays is con.sat_array.arrays


def test_shell_records_are_made_again_the_same(network_world):
    """Walker shells keep no Satrec objects: each one asked for is made again from its
    elements, the same record every time, and SGP4 on it agrees with the grouped arrays."""
    con = network_world.constellation
    satrecs = con.satrecs
    assert len(satrecs) == con.size and not any(isinstance(p, list) for p in satrecs._parts)
    a, b = satrecs[1234], satrecs[1234 - con.size]
    assert a is not b
    for field in ("satnum", "jdsatepoch", "jdsatepochF", "no_kozai", "inclo", "nodeo", "mo"):
        assert getattr(a, field) == getattr(b, field)
    assert [s.nodeo for s in satrecs[10:13]] == [satrecs[i].nodeo for i in (10, 11, 12)]
    with pytest.raises(IndexError):
        satrecs[con.size]
    jd, fr = 2464500.5, 0.25
    _, r, _ = a.sgp4(jd, fr)
    _, grouped, _ = con.sat_array.sgp4(np.array([jd]), np.array([fr]))
    assert np.array_equal(np.array(r), grouped[1234, 0])
