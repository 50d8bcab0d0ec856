"""Laser inter-satellite links (ISLs).

Walker shells use the "+Grid" convention of published LEO-network simulators: four terminals
per satellite, fore and aft in the same plane and one towards each adjacent plane. The
candidate pairs are fixed by the grid (built once); each step keeps those whose geometry allows
a link now:
  * both satellites online;
  * length within the terminal's range;
  * the line of sight stays above the grazing altitude (80 km: below it the atmosphere
    scatters the beam), i.e. the segment misses a sphere of radius R_earth + 80 km;
  * cross-plane links only between co-rotating planes (no link across the seam of a polar
    "star" pattern, where neighbouring planes fly in opposite directions; `co_rotating`).
Imported objects (no plane structure) link to their mutual nearest neighbours, at most the
terminal count each, found with a k-d tree (so the cost stays near-linear).
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy.spatial import cKDTree

from .constants import EARTH_RADIUS_KM
from .constellation import Constellation
from .scenario import LinkPolicy


@dataclasses.dataclass(frozen=True)
class GridCandidates:
    """Fixed +Grid candidate pairs: (M,2) satellite indices with i < j and a cross-plane flag."""

    pairs: np.ndarray  #: (M,2) int32
    cross_plane: np.ndarray  #: (M,) bool

    @functools.cached_property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """The two columns of `pairs` as contiguous index arrays (fast `take`)."""
        return (np.ascontiguousarray(self.pairs[:, 0], np.intp),
                np.ascontiguousarray(self.pairs[:, 1], np.intp))


def grid_candidates(constellation: Constellation, policy: LinkPolicy) -> GridCandidates:
    """All +Grid pairs of the Walker shells (independent of time)."""
    pairs, cross = [], []
    for shell_id, shell in enumerate(constellation.shells):
        if shell is None or policy.terminals < 2:
            continue
        members = np.flatnonzero(constellation.shell_index == shell_id)
        # members are stored plane-major: index = first + plane * S + slot
        first, planes, per_plane = members[0], shell.planes, shell.sats_per_plane
        plane, slot = np.divmod(np.arange(shell.size), per_plane)
        if per_plane > 1:
            ahead = plane * per_plane + (slot + 1) % per_plane
            pairs.append(np.stack([first + plane * per_plane + slot, first + ahead], axis=1))
            cross.append(np.zeros(shell.size, bool))
        if policy.terminals >= 4 and planes > 1:
            wraps = shell.raan_spread_deg >= 360.0 and planes > 2
            src = np.flatnonzero(plane < planes - 1) if not wraps else np.arange(shell.size)
            next_plane = (plane[src] + 1) % planes
            # Plane P-1 meets plane 0 shifted by the Walker phasing F (plane P == plane 0 + F).
            next_slot = np.where(plane[src] == planes - 1, (slot[src] + shell.phasing) % per_plane,
                                 slot[src])
            pairs.append(np.stack([first + src, first + next_plane * per_plane + next_slot], 1))
            cross.append(np.ones(len(src), bool))
    if not pairs:
        return GridCandidates(np.zeros((0, 2), np.int32), np.zeros(0, bool))
    all_pairs = np.sort(np.concatenate(pairs), axis=1)
    all_cross = np.concatenate(cross)
    all_pairs, keep = np.unique(all_pairs, axis=0, return_index=True)  # 2-sat planes repeat
    keep_mask = all_pairs[:, 0] != all_pairs[:, 1]
    return GridCandidates(all_pairs[keep_mask].astype(np.int32), all_cross[keep][keep_mask])


def line_clears_earth(a_km: np.ndarray, b_km: np.ndarray, min_radius_km: float) -> np.ndarray:
    """True where the segment a->b stays farther than `min_radius_km` from Earth's centre."""
    d = b_km - a_km
    dd = np.einsum("ij,ij->i", d, d)
    t = np.clip(-np.einsum("ij,ij->i", a_km, d) / np.maximum(dd, 1e-12), 0.0, 1.0)
    closest = a_km + t[:, None] * d
    return np.einsum("ij,ij->i", closest, closest) > min_radius_km**2


def clears_earth(a_km: np.ndarray, b_km: np.ndarray, length_km: np.ndarray,
                 positions_km: np.ndarray, first: np.ndarray, second: np.ndarray,
                 min_radius_km: float) -> np.ndarray:
    """`line_clears_earth` for the segments positions[first] -> positions[second] (a, b, of
    length `length_km`), with the exact test only where a cheap bound cannot decide: no point
    of a segment is nearer Earth's centre than sqrt(r_low^2 - length^2 / 4), with r_low the
    lower of its two ends' radii."""
    radius_sq = np.einsum("ij,ij->i", positions_km, positions_km)
    low_sq = np.minimum(radius_sq.take(first), radius_sq.take(second))
    # A relative margin far above rounding error: where the bound says clear, so would the
    # exact test.
    sure = low_sq - 0.25 * length_km * length_km > min_radius_km**2 * (1.0 + 1e-9)
    if sure.all():
        return sure
    unsure = np.flatnonzero(~sure)
    sure[unsure] = line_clears_earth(a_km[unsure], b_km[unsure], min_radius_km)
    return sure


@dataclasses.dataclass(frozen=True)
class LinkSet:
    pairs: np.ndarray  #: (M,2) int32, i < j, sorted
    length_km: np.ndarray  #: (M,)


def co_rotating(candidates: GridCandidates, positions_km: np.ndarray,
                velocities_km_s: np.ndarray) -> GridCandidates:
    """Drop cross-plane candidates between planes that fly in opposite directions (angle
    between orbit normals over 90 deg). Plane orientation changes only by slow precession, so
    this is decided once, at the epoch, not every step."""
    pairs = candidates.pairs
    normal_a = np.cross(positions_km[pairs[:, 0]], velocities_km_s[pairs[:, 0]])
    normal_b = np.cross(positions_km[pairs[:, 1]], velocities_km_s[pairs[:, 1]])
    keep = ~candidates.cross_plane | (np.einsum("ij,ij->i", normal_a, normal_b) > 0)
    return GridCandidates(pairs[keep], candidates.cross_plane[keep])


def active_links(candidates: GridCandidates, positions_km: np.ndarray, online: np.ndarray,
                 policy: LinkPolicy, free_mask: np.ndarray) -> LinkSet:
    """Links up now: feasible +Grid candidates plus nearest-neighbour links of free objects
    (`free_mask` marks satellites without a plane structure)."""
    pairs = candidates.pairs
    first, second = candidates.ends
    a, b = positions_km.take(first, axis=0), positions_km.take(second, axis=0)
    d = b - a
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    length = np.sqrt(x * x + y * y + z * z)  # np.linalg.norm(d, axis=1), summed the same way
    ok = length <= policy.max_range_km
    if not online.all():
        ok &= online[first] & online[second]
    ok &= clears_earth(a, b, length, positions_km, first, second,
                       EARTH_RADIUS_KM + policy.grazing_altitude_km)
    if ok.all():
        grid = LinkSet(pairs.copy(), length)
    else:
        up = np.flatnonzero(ok)
        grid = LinkSet(pairs.take(up, axis=0), length.take(up))
    if not free_mask.any() or policy.terminals < 1:
        return grid
    free = nearest_neighbour_links(positions_km, np.flatnonzero(free_mask & online), policy)
    merged = np.concatenate([grid.pairs, free.pairs])
    order = np.lexsort((merged[:, 1], merged[:, 0]))
    return LinkSet(merged[order], np.concatenate([grid.length_km, free.length_km])[order])


def nearest_neighbour_links(positions_km: np.ndarray, members: np.ndarray,
                            policy: LinkPolicy) -> LinkSet:
    """Mutual k-nearest-neighbour links among `members` (k = terminals), within range and
    clear of the grazing layer. Mutual pairs keep every satellite at or under k links."""
    k = policy.terminals
    if len(members) < 2:
        return LinkSet(np.zeros((0, 2), np.int32), np.zeros(0))
    points = positions_km[members]
    tree = cKDTree(points)
    dist, idx = tree.query(points, k=min(k + 1, len(members)),
                           distance_upper_bound=policy.max_range_km)
    rows = np.repeat(np.arange(len(members)), idx.shape[1])
    cols, dists = idx.ravel(), dist.ravel()
    valid = (cols < len(members)) & (cols != rows)
    rows, cols, dists = rows[valid], cols[valid], dists[valid]
    # Mutual: keep (i, j) only if j lists i too, i.e. the pair appears twice.
    lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
    keys, counts = np.unique(lo.astype(np.int64) * len(members) + hi, return_counts=True)
    mutual = keys[counts == 2]
    i, j = np.divmod(mutual, len(members))
    a, b = points[i], points[j]
    clear = line_clears_earth(a, b, EARTH_RADIUS_KM + policy.grazing_altitude_km)
    pairs = np.stack([members[i[clear]], members[j[clear]]], axis=1).astype(np.int32)
    return LinkSet(np.sort(pairs, axis=1), np.linalg.norm(b[clear] - a[clear], axis=1))
