"""Points bucketed by their direction from Earth's centre, for "which satellites lie within
this angle of that direction" (ground links) and "within this distance of that point"
(bounded route searches) without building a k-d tree every step.

Cells are latitude/longitude squares in the points' own frame (geocentric, so "latitude" is
the angle from the equatorial plane), about `POINTS_PER_CELL` points a cell on average. The
points are sorted by cell (a radix sort of 16-bit cell numbers), so each row of cells is a
run of that order, and a cone becomes, per row of cells it crosses, one or two runs (two
where it wraps at 180 degrees longitude). The runs are a superset of the cone; the queries
test what they hold exactly.

Measured on this 2-core machine, 165 ground points, a k-nearest and a cone query each: at a
million points the cells build in 30 ms where scipy's cKDTree of the unit vectors took
105-140 ms, and their queries cost about the same. With few points the tree wins (its
queries go in one batched call; the cells cost a few Python calls per centre), so below
TREE_BELOW points the cone and nearest-point queries go to a tree. Either is built on first
use: a step whose ground links come from the cache never pays.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy.spatial import cKDTree

#: Below this many points a k-d tree of the unit vectors answers the cone and nearest-point
#: queries: one batched call for all centres, where the cells cost a few Python calls per
#: centre (2,800 satellites, 183 ground points: a ground-candidate refresh of 3 ms with the
#: tree, 12 ms with the cells); the tree's build grows as N log N (105-140 ms at a million).
TREE_BELOW = 50_000
#: Points per cell on average that sizes the cells (between MIN_CELL_DEG and MAX_CELL_DEG):
#: a million satellites get 1-degree cells, 100,000 about 2.6, a few thousand 6.
POINTS_PER_CELL = 16
MIN_CELL_DEG = 1.0  #: 180 x 360 = 64,800 cells: still 16-bit keys, which numpy radix-sorts
MAX_CELL_DEG = 6.0
#: Added to every cone's angle when choosing cells (rad), so that rounding in a point's
#: latitude or longitude never puts it in a cell the cone's bounds leave out.
CELL_SLACK_RAD = 1e-9
SPHERE_DEG2 = 4 * np.pi * np.degrees(1.0) ** 2  #: the whole sphere, square degrees


def cell_size_deg(n_points: int) -> float:
    """The cell size (degrees) for `n_points` points: about POINTS_PER_CELL a cell."""
    wanted = np.sqrt(SPHERE_DEG2 * POINTS_PER_CELL / max(n_points, 1))
    return float(np.clip(wanted, MIN_CELL_DEG, MAX_CELL_DEG))


class DirectionGrid:
    """Points (N,3) km in an Earth-centred frame, bucketed by direction. Only points where
    `live` (N,) is True (default: all) and not at the origin are ever answered. The arrays are
    kept by reference: do not change them while the grid is in use. `tree_below`: below this
    many points, cone and nearest-point queries go to a k-d tree instead (TREE_BELOW)."""

    def __init__(self, points_km: np.ndarray, live: np.ndarray | None = None,
                 tree_below: int | None = None):
        self.points_km = np.asarray(points_km, float).reshape(-1, 3)
        self.live = live
        self.tree_below = TREE_BELOW if tree_below is None else tree_below

    # --- queries --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many points the queries can answer."""
        return len(self._answerable)

    @functools.cached_property
    def radius_km(self) -> np.ndarray:
        """(N,) every point's distance from the centre, km (computed once, for callers too)."""
        return np.sqrt(np.einsum("ij,ij->i", self.points_km, self.points_km))

    def nearest_angles(self, centres: np.ndarray, k: int) -> np.ndarray:
        """(K,) angle (rad) from each unit vector of `centres` (K,3) to its k-th nearest
        point (k >= 1); pi where there are fewer than k points."""
        centres = np.asarray(centres, float).reshape(-1, 3)
        if k > self.size:
            return np.full(len(centres), np.pi)
        if self._use_tree:
            chord, _ = self._tree.query(centres, k=[k])
            return 2 * np.arcsin(np.minimum(chord[:, 0], 2.0) / 2)
        return np.array([self._nearest_angle(centre, k) for centre in centres])

    def within_each(self, centres: np.ndarray, angles_rad) -> list[np.ndarray]:
        """For each unit vector of `centres` (K,3) and angle of `angles_rad` (K,), the point
        indices (ascending) within that angle of it: a chord of at most 2 sin(angle/2)."""
        centres = np.asarray(centres, float).reshape(-1, 3)
        angles = np.broadcast_to(np.asarray(angles_rad, float), (len(centres),))
        if self._use_tree:
            chords = 2 * np.sin(np.minimum(angles, np.pi) / 2)
            found = self._tree.query_ball_point(centres, chords, return_sorted=True)
            return [self._answerable[np.asarray(f, np.int64)] for f in found]
        return [self._within(centre, float(angle)) for centre, angle in zip(centres, angles)]

    def near_point(self, centre_km: np.ndarray, radius_km: float) -> np.ndarray:
        """Point indices (any order) within `radius_km` (straight line) of `centre_km`."""
        cells = self._cells
        rc = float(np.sqrt(np.dot(centre_km, centre_km)))
        if rc == 0.0:
            return cells.order[cells.radius <= radius_km]
        angle = _ball_angle(rc, float(radius_km), cells.lowest_km, cells.highest_km)
        if angle is None:
            return np.zeros(0, np.int64)
        unit = np.asarray(centre_km, float) / rc
        at = self._runs(unit, angle)
        x, y, z = (np.take(axis, at) for axis in cells.xyz)
        r = np.take(cells.radius, at)
        cos = x * unit[0] + y * unit[1] + z * unit[2]
        dist_sq = r * r + rc * rc - 2 * r * rc * cos
        return cells.order[at[dist_sq <= radius_km * radius_km]]

    # --- internals --------------------------------------------------------------------------

    @functools.cached_property
    def _keep(self) -> np.ndarray:
        """(N,) bool: the points the queries answer (live and not at the origin)."""
        keep = self.radius_km > 0
        if self.live is not None:
            keep &= np.asarray(self.live, bool)
        return keep

    @functools.cached_property
    def _answerable(self) -> np.ndarray:
        return np.flatnonzero(self._keep)

    @property
    def _use_tree(self) -> bool:
        return self.size < self.tree_below

    @functools.cached_property
    def _tree(self) -> cKDTree:
        """A k-d tree of the answerable points' unit vectors (an unbalanced one builds twice
        as fast and answers as fast for points on a sphere)."""
        rows = self._answerable
        unit = self.points_km[rows] / self.radius_km[rows, None]
        return cKDTree(unit, balanced_tree=False, compact_nodes=False)

    @functools.cached_property
    def _cells(self) -> "_Cells":
        return _Cells(self.points_km, self.radius_km, self._keep)

    def _within(self, centre: np.ndarray, angle_rad: float) -> np.ndarray:
        """`within_each` for one centre, from the cells."""
        at, _ = self._in_cone(centre, angle_rad)
        return np.sort(self._cells.order[at])

    def _nearest_angle(self, centre: np.ndarray, k: int) -> float:
        """`nearest_angles` for one centre (k <= size), from the cells: start where k points
        would lie on average (uniform on the sphere) times four, and widen until k points are
        inside: the k-th nearest is then among them."""
        angle = float(np.arccos(max(-1.0, 1.0 - 8.0 * k / self.size)))
        while True:
            _, chord_sq = self._in_cone(centre, angle)
            if len(chord_sq) >= k:
                kth = np.partition(chord_sq, k - 1)[k - 1]
                return float(2 * np.arcsin(min(np.sqrt(kth), 2.0) / 2))
            angle = min(2 * angle, np.pi)

    def _in_cone(self, centre: np.ndarray, angle_rad: float):
        """(positions in the sorted order, squared chords) of the points within `angle_rad`
        of unit vector `centre`: a chord of at most 2 sin(angle/2)."""
        at = self._runs(centre, angle_rad)
        chord_sq = self._chord_sq(at, centre)
        inside = chord_sq <= (2 * np.sin(min(angle_rad, np.pi) / 2)) ** 2
        return at[inside], chord_sq[inside]

    def _runs(self, centre: np.ndarray, angle_rad: float) -> np.ndarray:
        """Positions in the sorted order of every point in the cells that the cone of
        `angle_rad` around unit vector `centre` touches: a superset of the cone."""
        cells = self._cells
        angle = float(angle_rad) + CELL_SLACK_RAD
        if angle >= np.pi:
            return np.arange(self.size)
        lat0 = float(np.arcsin(np.clip(centre[2], -1.0, 1.0)))
        lon0 = float(np.arctan2(centre[1], centre[0]))
        first, last = int(cells.row(lat0 - angle)), int(cells.row(lat0 + angle))
        if abs(lat0) + angle >= np.pi / 2:  # the cone holds a pole: whole rows
            spans = [(first * cells.cols, (last + 1) * cells.cols)]
        else:
            # the widest longitude of a spherical cap, arcsin(sin a / cos lat0), for every row
            half = float(np.arcsin(min(1.0, np.sin(angle) / np.cos(lat0))))
            spans = cells.row_spans(first, last, lon0 - half, lon0 + half)
        starts = cells.starts
        pieces = [np.arange(starts[a], starts[b]) for a, b in spans if starts[b] > starts[a]]
        return np.concatenate(pieces) if pieces else np.zeros(0, np.int64)

    def _chord_sq(self, at: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """Squared chords from unit vector `centre` to the sorted points at `at`."""
        x, y, z = (np.take(axis, at) for axis in self._cells.xyz)
        x -= centre[0]
        y -= centre[1]
        z -= centre[2]
        return x * x + y * y + z * z


class _Cells:
    """The sorted points of a DirectionGrid."""

    def __init__(self, points_km: np.ndarray, radius: np.ndarray, keep: np.ndarray):
        # Whole numbers of rows and columns, so that a column index wraps around at 180
        # degrees as the longitude does.
        self.rows = int(round(180.0 / cell_size_deg(int(keep.sum()))))
        self.cols = 2 * self.rows
        self.cell_rad = np.pi / self.rows
        scale = 1.0 / np.maximum(radius, 1e-9)
        # Unit vectors as three 1-D arrays: gathering rows of an (N,3) array by index cost
        # ten times more than gathering three columns (37 against 4 ms at a million).
        x, y, z = (points_km[:, axis] * scale for axis in range(3))
        cell = (self.row(np.arcsin(np.clip(z, -1.0, 1.0))) * self.cols
                + self.col(np.arctan2(y, x))).astype(np.uint16)
        order = np.argsort(cell, kind="stable")  # a radix sort: 16-bit keys
        self.order = order[keep[order]]  #: point indices, sorted by cell
        self.xyz = tuple(np.take(axis, self.order) for axis in (x, y, z))
        self.radius = np.take(radius, self.order)
        self.lowest_km = float(self.radius.min()) if len(self.order) else 0.0
        self.highest_km = float(self.radius.max()) if len(self.order) else 0.0
        counts = np.bincount(cell[keep], minlength=self.rows * self.cols)
        self.starts = np.concatenate([[0], np.cumsum(counts)])  #: cell c: starts[c]:starts[c+1]

    def row(self, lat_rad):
        return np.clip(((np.asarray(lat_rad) + np.pi / 2) / self.cell_rad).astype(np.int64), 0,
                       self.rows - 1)

    def col(self, lon_rad):
        return np.clip(((np.asarray(lon_rad) + np.pi) / self.cell_rad).astype(np.int64), 0,
                       self.cols - 1)

    def row_spans(self, first: int, last: int, west: float, east: float) -> list:
        """Cell-number spans [a, b) of rows first..last between longitudes west and east
        (rad), split in two where they cross 180 degrees."""
        if east - west >= 2 * np.pi:
            return [(first * self.cols, (last + 1) * self.cols)]
        lo = int(np.floor((west + np.pi) / self.cell_rad)) % self.cols
        hi = int(np.floor((east + np.pi) / self.cell_rad)) % self.cols
        spans = []
        for row in range(first, last + 1):
            base = row * self.cols
            if lo <= hi:
                spans.append((base + lo, base + hi + 1))
            else:  # across 180 degrees
                spans += [(base, base + hi + 1), (base + lo, base + self.cols)]
        return spans


def _ball_angle(centre_radius_km: float, radius_km: float, lowest_km: float,
                highest_km: float) -> float | None:
    """Largest angle (rad) seen from Earth's centre between a point at `centre_radius_km`
    and any point between `lowest_km` and `highest_km` from the centre that lies within
    `radius_km` of it; None when none can.

    A point at radius r and angle t is within R when cos t >= f(r) = (r^2 + rc^2 - R^2) /
    (2 r rc); f's least value over [lowest, highest] bounds the angle. f falls then rises,
    with its least value over all r at r = sqrt(rc^2 - R^2)."""
    rc, big = centre_radius_km, radius_km

    def f(r):
        return (r * r + rc * rc - big * big) / (2 * r * rc)

    tries = [lowest_km, highest_km]
    turn = rc * rc - big * big
    if turn > 0 and lowest_km < np.sqrt(turn) < highest_km:
        tries.append(np.sqrt(turn))
    least = min(f(max(r, 1e-9)) for r in tries)
    if least > 1.0:
        return None
    return float(np.arccos(max(least, -1.0)))
