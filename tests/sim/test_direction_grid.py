"""The direction grid answers what a brute-force search over every point answers."""
import numpy as np
import pytest

from sim.direction_grid import DirectionGrid, _ball_angle, cell_size_deg


def _shells(n: int, seed: int = 4) -> np.ndarray:
    """Points in shells 6,800-8,400 km from the centre, denser near +-53 degrees latitude
    (like inclined orbits), so that cells are uneven."""
    rng = np.random.default_rng(seed)
    lat = np.arcsin(np.clip(rng.normal(0.8, 0.4, n), -1, 1)) * rng.choice([-1, 1], n)
    lon = rng.uniform(-np.pi, np.pi, n)
    r = rng.uniform(6_800.0, 8_400.0, n)
    return r[:, None] * np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                         np.sin(lat)])


def _unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


#: Directions that test the grid's edges: the poles, the 180-degree meridian, cell borders.
CENTRES = [_unit(c) for c in ([0, 0, 1], [0, 0, -1], [-1, 1e-12, 0], [-1, -1e-12, 0.3],
                              [1, 0, 0], [0.2, -0.3, 0.93], [-0.5, 0.01, -0.86],
                              [np.cos(np.radians(30)), 0, np.sin(np.radians(30))])]


@pytest.mark.parametrize("n", [500, 40_000])
@pytest.mark.parametrize("tree_below", [0, 10**9], ids=["cells", "tree"])
def test_cones_and_nearest_match_brute_force(n, tree_below):
    points = _shells(n)
    live = np.random.default_rng(1).random(n) > 0.1
    grid = DirectionGrid(points, live, tree_below=tree_below)
    unit = points / np.linalg.norm(points, axis=1)[:, None]
    assert grid.size == live.sum()
    centres = np.array(CENTRES)
    for angle in (0.01, 0.07, 0.4, 1.6, 3.0, np.pi):
        found = grid.within_each(centres, np.full(len(centres), angle))
        for centre, got in zip(centres, found):
            chord = np.linalg.norm(unit - centre, axis=1)
            want = np.flatnonzero((chord <= 2 * np.sin(angle / 2)) & live)
            assert np.array_equal(got, want), (centre, angle)
    for k in (1, 7, 128):
        got = grid.nearest_angles(centres, k)
        for centre, angle in zip(centres, got):
            chord = np.linalg.norm(unit[live] - centre, axis=1)
            kth = np.sort(chord)[k - 1]
            assert angle == pytest.approx(2 * np.arcsin(kth / 2), abs=1e-12)
    assert np.all(grid.nearest_angles(centres, int(live.sum()) + 1) == np.pi)


@pytest.mark.parametrize("radius_km", [300.0, 1_500.0, 6_000.0, 20_000.0])
def test_near_point_matches_brute_force(radius_km):
    points = _shells(30_000, seed=9)
    grid = DirectionGrid(points)
    for centre in CENTRES:
        for height_km in (6_371.0, 7_500.0):
            site = centre * height_km
            want = np.flatnonzero(np.linalg.norm(points - site, axis=1) <= radius_km)
            got = np.sort(grid.near_point(site, radius_km))
            assert np.array_equal(got, want), (centre, height_km, radius_km)


def test_ball_angle_bounds_every_point_of_the_ball():
    """Points sampled inside a ball and between two radii are never farther (as seen from the
    centre of the Earth) than the angle the bound gives."""
    rng = np.random.default_rng(3)
    for rc, big, lo, hi in ((6_371.0, 1_200.0, 6_800.0, 8_400.0),
                            (6_371.0, 9_000.0, 6_800.0, 8_400.0),
                            (7_000.0, 500.0, 6_900.0, 7_100.0)):
        angle = _ball_angle(rc, big, lo, hi)
        offsets = rng.normal(size=(200_000, 3))
        offsets *= (big * rng.random(200_000) ** (1 / 3) / np.linalg.norm(offsets, axis=1))[:, None]
        points = np.array([rc, 0.0, 0.0]) + offsets
        r = np.linalg.norm(points, axis=1)
        inside = (r >= lo) & (r <= hi)
        seen = np.arccos(np.clip(points[inside, 0] / r[inside], -1, 1))
        assert seen.max() <= angle + 1e-12
        assert seen.max() > 0.9 * angle  # and it is not loose
    assert _ball_angle(6_371.0, 100.0, 6_800.0, 8_400.0) is None  # out of reach


def test_cells_follow_the_number_of_points():
    assert cell_size_deg(1_000_000) == 1.0  # 16-bit cell numbers: no finer
    assert 2.0 < cell_size_deg(100_000) < 3.0
    assert cell_size_deg(12) == 6.0


@pytest.mark.parametrize("tree_below", [0, 10**9], ids=["cells", "tree"])
def test_no_points(tree_below):
    grid = DirectionGrid(np.zeros((3, 3)), tree_below=tree_below)  # all at the origin
    assert grid.size == 0
    assert grid.nearest_angles(np.array(CENTRES[:1]), 1)[0] == np.pi
    assert len(grid.within_each(np.array(CENTRES[:1]), [1.0])[0]) == 0
    assert len(grid.near_point(np.array([7000.0, 0, 0]), 500.0)) == 0
