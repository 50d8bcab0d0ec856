"""Laser-link rules: +Grid topology, symmetry, terminal count, grazing limit, range, seam."""
import dataclasses

import numpy as np
import pytest

from sim import links
from sim.constants import EARTH_RADIUS_KM
from sim.scenario import resolve
from sim.world import World


def clearance_km(a, b):
    """Lowest altitude of the straight segment a-b above a spherical Earth (km)."""
    ts = np.linspace(0, 1, 401)[:, None, None]
    points = a[None] + ts * (b - a)[None]
    return np.linalg.norm(points, axis=2).min(axis=0) - EARTH_RADIUS_KM


@pytest.mark.parametrize("name", ["network-2035", "starlink-shell1", "telesat-1015",
                                  "grid-2028", "cluster-2025"])
def test_link_rules_hold(name):
    world = World.from_scenario(name)
    policy = world.scenario.links
    for _ in range(3):
        snap = world.step(700.0)
        pairs = snap.isl_pairs
        assert (pairs[:, 0] < pairs[:, 1]).all(), "pairs are stored once, i < j"
        assert len(np.unique(pairs, axis=0)) == len(pairs), "no duplicate links"
        degree = np.bincount(pairs.ravel(), minlength=snap.n_sats)
        assert degree.max() <= policy.terminals
        a, b = snap.positions_km[pairs[:, 0]], snap.positions_km[pairs[:, 1]]
        length = np.linalg.norm(b - a, axis=1)
        assert np.allclose(length, snap.isl_length_km)
        assert length.max() <= policy.max_range_km
        assert clearance_km(a, b).min() > policy.grazing_altitude_km - 0.5
        same_shell = snap.shell_index[pairs[:, 0]] == snap.shell_index[pairs[:, 1]]
        assert same_shell.all()


def test_plus_grid_full_degree_on_starlink():
    snap = World.from_scenario("starlink-shell1").snapshot()
    degree = np.bincount(snap.isl_pairs.ravel(), minlength=snap.n_sats)
    # 72 x 22 delta shell: every satellite has fore, aft, left and right
    assert len(snap.isl_pairs) == 2 * snap.n_sats
    assert (degree == 4).all()


def test_no_links_across_the_seam_of_a_polar_star():
    snap = World.from_scenario("telesat-1015").snapshot()
    planes = snap.plane_index[snap.isl_pairs]
    jumps = np.abs(planes[:, 0] - planes[:, 1])
    assert set(jumps.tolist()) <= {0, 1}, "only in-plane and neighbouring-plane links"
    assert not ((planes == 0).any(axis=1) & (planes == 26).any(axis=1)).any()
    # planes 0 and 26 exist and have in-plane links
    assert ((planes[:, 0] == 26) & (planes[:, 1] == 26)).any()


def test_counter_rotating_cross_plane_pairs_are_refused():
    """A cross-plane candidate between planes flying opposite ways never becomes a link."""
    world = World.from_scenario("telesat-1015")
    state = world.geometry.state
    con = world.constellation
    first_plane0, first_plane26 = np.flatnonzero(con.plane == 0)[0], np.flatnonzero(con.plane == 26)[0]
    pair = np.array([[first_plane0, first_plane26], [first_plane0, first_plane0 + 13]], np.int32)
    candidates = links.GridCandidates(pair, np.array([True, True]))
    kept = links.co_rotating(candidates, state.positions_km, state.velocities_km_s)
    assert kept.pairs.tolist() == [[first_plane0, first_plane0 + 13]]  # plane 0 -> plane 1


def test_links_break_and_reappear_as_geometry_changes():
    """Neighbouring planes close in towards the turning latitudes and open out at the equator:
    with a terminal range between the two, a cross-plane link breaks and makes again."""
    scenario = resolve("starlink-shell1")
    policy = dataclasses.replace(scenario.links, max_range_km=500.0)  # planes: ~390..620 km
    world = World(dataclasses.replace(scenario, links=policy))
    seen = []
    for _ in range(40):
        snap = world.step(150.0)
        pairs = {tuple(p) for p in snap.isl_pairs.tolist()}
        seen.append((0, 22) in pairs)
    assert any(seen) and not all(seen)
    changes = sum(a != b for a, b in zip(seen, seen[1:]))
    assert changes >= 2, "the link made and broke more than once over 100 minutes"
    assert snap.versions["links"] > 10


def test_grazing_limit_refuses_links_through_the_atmosphere():
    a = np.array([[7000.0, 0.0, 0.0]])
    b = np.array([[-7000.0, 100.0, 0.0]])  # straight through the Earth
    assert not links.line_clears_earth(a, b, EARTH_RADIUS_KM + 80)[0]
    c = np.array([[7000.0 * np.cos(0.5), 7000.0 * np.sin(0.5), 0.0]])
    assert links.line_clears_earth(a, c, EARTH_RADIUS_KM + 80)[0]


def test_imported_objects_link_to_nearest_neighbours(tmp_path):
    world = World.from_scenario("assets/elements/tle_gpredict_2018.txt")
    snap = world.step(3600.0)
    assert len(snap.isl_pairs) > 100
    degree = np.bincount(snap.isl_pairs.ravel(), minlength=snap.n_sats)
    assert degree.max() <= world.scenario.links.terminals
    assert snap.isl_length_km.max() <= world.scenario.links.max_range_km


def test_cheap_bound_agrees_with_the_exact_grazing_test():
    """`clears_earth` (a bound, exact test only where it cannot decide) gives exactly what
    `line_clears_earth` gives, for segments far from, near and through the grazing layer."""
    rng = np.random.default_rng(7)
    n = 20000
    radius = EARTH_RADIUS_KM + rng.uniform(300.0, 2000.0, n)
    direction = rng.normal(size=(n, 3))
    points = direction / np.linalg.norm(direction, axis=1)[:, None] * radius[:, None]
    # Half the segments end near their start (from 10 km to 10,000 km away), half anywhere.
    near = points + rng.normal(size=(n, 3)) * np.geomspace(10.0, 10_000.0, n)[:, None]
    positions = np.concatenate([points, near])
    first = np.arange(n, dtype=np.intp)
    second = np.where(np.arange(n) % 2 == 0, n + first, rng.integers(0, n, n)).astype(np.intp)
    keep = first != second
    first, second = first[keep], second[keep]
    a, b = positions[first], positions[second]
    length = np.linalg.norm(b - a, axis=1)
    limit = EARTH_RADIUS_KM + 80.0
    expected = links.line_clears_earth(a, b, limit)
    assert 0.05 < expected.mean() < 0.95  # both outcomes well represented
    got = links.clears_earth(a, b, length, positions, first, second, limit)
    assert np.array_equal(got, expected)
