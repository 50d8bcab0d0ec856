"""Ground links: which satellites each ground point sees above its minimum elevation.

Works in the Earth-fixed frame (ITRS), where ground points do not move. The test is
`(r_sat - r_ground) . up >= |r_sat - r_ground| * sin(min_elevation)`, with `up` the geodetic
vertical. A cheap first pass keeps only satellites inside each site's coverage cone (a
direction grid, sim/direction_grid.py, with the ground-link cap; k-d trees of unit vectors
without it); the exact test runs on those few. `CandidateCache` reuses one first pass
for the steps of the next few sim seconds (with the cone widened by how far satellites can
move meanwhile), so most steps only run the exact test.

What does not scale is bounded, visibly: a ground point keeps links to its `GROUND_LINK_CAP`
highest-elevation satellites only (`GroundLinks.capped_sites` counts the points cut back). At
a million satellites each ground point sees 6,000-34,000 of them (2,800: a few dozen); a
station's or city's links then stop at the best few, as a real antenna farm's would. The cache
keeps, for such a point, only the satellites that can be among its best within its horizon
(`_capped_candidates`), so the cost follows the cap, not the satellites in view.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from .direction_grid import DirectionGrid
from .constants import (EARTH_MU_KM3_S2, EARTH_RADIUS_KM, EARTH_ROTATION_RAD_S,
                        WGS84_FLATTENING, WGS84_POLAR_RADIUS_KM)
from .stations import GroundPoint, itrs_from_geodetic


@dataclasses.dataclass(frozen=True)
class GroundSites:
    """Ground points with their fixed Earth-fixed geometry."""

    points: tuple[GroundPoint, ...]
    itrs_km: np.ndarray  #: (G,3)
    up: np.ndarray  #: (G,3) unit geodetic vertical
    up_tree: cKDTree  #: k-d tree of `up`, for finding satellites above each site
    names: tuple[str, ...]
    lat_lon_deg: np.ndarray  #: (G,2) geodetic latitude, longitude

    @classmethod
    def of(cls, points: tuple[GroundPoint, ...] | list[GroundPoint]) -> "GroundSites":
        points = tuple(points)
        lat = np.array([p.lat_deg for p in points], float)
        lon = np.array([p.lon_deg for p in points], float)
        alt = np.array([p.alt_km for p in points], float)
        itrs = itrs_from_geodetic(lat, lon, alt).reshape(-1, 3)
        lat_r, lon_r = np.radians(lat), np.radians(lon)
        up = np.stack([np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r),
                       np.sin(lat_r)], axis=-1).reshape(-1, 3)
        return cls(points, itrs, up, cKDTree(up),
                   tuple(p.name for p in points), np.stack([lat, lon], axis=-1).reshape(-1, 2))

    def __len__(self) -> int:
        return len(self.points)


#: Most links one ground point keeps: its highest-elevation satellites (see the docstring).
GROUND_LINK_CAP = 128


@dataclasses.dataclass(frozen=True)
class GroundLinks:
    #: (K,2) int32 [ground index, satellite index], in the order of the candidates (sorted by
    #: ground then satellite where `CandidateCache` found them with a margin)
    pairs: np.ndarray
    slant_km: np.ndarray  #: (K,)
    sin_elevation: np.ndarray  #: (K,)
    #: ground points whose links were cut back to the cap (they see more satellites)
    capped_sites: int = 0

    @property
    def elevation_deg(self) -> np.ndarray:
        """(K,) elevation of each satellite above its ground point's horizon, degrees."""
        return np.degrees(np.arcsin(np.clip(self.sin_elevation, -1, 1)))


def visible(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
            min_elevation_deg: float, candidates: "Candidates | None" = None,
            cap: int | None = None) -> GroundLinks:
    """Every (ground point, satellite) pair with the satellite above the minimum elevation;
    with `cap`, only the `cap` highest-elevation satellites of each ground point (ties: lower
    candidate order first). `candidates` (from `candidate_pairs` or a `CandidateCache` asked
    with the same cap, for these sites and satellites) skips the first pass; without them it
    runs here."""
    if len(sites) == 0 or len(sat_itrs_km) == 0:
        return GroundLinks(np.zeros((0, 2), np.int32), np.zeros(0), np.zeros(0))
    if candidates is None:
        candidates = candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg)
    s, g = candidates.sat, candidates.ground
    site_km, up = candidates.site_km, candidates.up
    if not online.all() and not online[s].all():
        keep = online[s]
        s, g, site_km, up = s[keep], g[keep], site_km[keep], up[keep]
    # Exact test on the few candidates.
    d = sat_itrs_km.take(s, axis=0)
    d -= site_km
    slant = np.sqrt(np.einsum("ij,ij->i", d, d))
    sin_el = np.einsum("ij,ij->i", d, up) / np.maximum(slant, 1e-9)
    ok = np.flatnonzero(sin_el >= np.sin(np.radians(min_elevation_deg)))
    capped = 0
    if cap is not None and len(ok):
        ok, capped = _best(g.take(ok), sin_el.take(ok), ok, cap, len(sites), candidates.pruned)
    pairs = np.empty((len(ok), 2), np.int32)
    pairs[:, 0], pairs[:, 1] = g.take(ok), s.take(ok)
    return GroundLinks(pairs, slant.take(ok), sin_el.take(ok), capped)


def _best(ground: np.ndarray, sin_el: np.ndarray, rows: np.ndarray, cap: int, n_sites: int,
          pruned: np.ndarray | None) -> tuple[np.ndarray, int]:
    """`rows` (ascending) of the links kept: each ground point's `cap` highest elevations
    (among equal ones, the earlier rows), and how many ground points were cut back (more in
    view than the cap; `pruned` ones, whose candidates the cache thinned, see at least `cap`
    by construction). A partition per ground point over the cap, not a sort of them all."""
    counts = np.bincount(ground, minlength=n_sites)
    over = counts > cap
    cut = over | (pruned & (counts >= cap)) if pruned is not None else over
    if not over.any():
        return rows, int(cut.sum())
    order = None if np.all(np.diff(ground) >= 0) else np.argsort(ground, kind="stable")
    values = sin_el if order is None else sin_el.take(order)
    keep = np.ones(len(ground), bool)
    starts = np.cumsum(counts) - counts
    for site in np.flatnonzero(over):
        lo, hi = int(starts[site]), int(starts[site] + counts[site])
        segment = values[lo:hi]
        threshold = np.partition(segment, len(segment) - cap)[len(segment) - cap]
        mine = segment > threshold
        ties = np.flatnonzero(segment == threshold)[: cap - int(mine.sum())]
        mine[ties] = True
        keep[lo:hi] = mine
    if order is not None:
        keep[order] = keep.copy()
    return rows[keep], int(cut.sum())


@dataclasses.dataclass(frozen=True)
class Candidates:
    """(ground, satellite) pairs that may be in view, with each pair's ground position and
    vertical (ITRS)."""

    ground: np.ndarray  #: (C,) int32
    sat: np.ndarray  #: (C,) int32
    site_km: np.ndarray  #: (C,3)
    up: np.ndarray  #: (C,3)
    #: (G,) bool: ground points whose far candidates were left out, as they cannot be among
    #: its `cap` best (CandidateCache with a cap); None: none were
    pruned: np.ndarray | None = None


def candidate_pairs(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
                    min_elevation_deg: float, margin_rad: float = 0.0,
                    radius_margin_km: float = 0.0, sort: bool = False) -> Candidates:
    """Satellites inside each site's coverage cone (widened by `margin_rad`, and computed for
    orbits up to `radius_margin_km` higher than the highest now); `sort`: by ground point,
    then satellite (in the k-d tree's order otherwise)."""
    radius = np.sqrt(np.einsum("ij,ij->i", sat_itrs_km, sat_itrs_km))
    cone = coverage_half_angle_rad(float(radius.max()) + radius_margin_km, min_elevation_deg)
    # First pass: satellites inside each site's coverage cone, found as unit vectors within
    # the cone's chord of the site's vertical (k-d trees: near-linear in N, unlike an N x G
    # table of dot products).
    unit = sat_itrs_km / np.maximum(radius, 1e-9)[:, None]
    # An unbalanced tree builds twice as fast and queries as fast for points on a sphere.
    tree = cKDTree(unit, balanced_tree=False, compact_nodes=False)
    close = tree.sparse_distance_matrix(sites.up_tree, 2 * np.sin(min(cone + margin_rad, np.pi) / 2),
                                        output_type="ndarray")
    s, g = close["i"].astype(np.int32), close["j"].astype(np.int32)
    keep = online[s]
    g, s = g[keep], s[keep]
    if sort:
        order = np.argsort(g.astype(np.int64) * len(sat_itrs_km) + s)
        g, s = g[order], s[order]
    return Candidates(g, s, sites.itrs_km[g], sites.up[g])


#: Sim seconds a set of candidate pairs serves (before and after the instant it was found for).
CANDIDATE_HORIZON_S = 20.0
#: Upper bound of gravity's pull anywhere above Earth's surface, km/s^2: GM over the polar
#: radius squared, 9.864 m/s^2 (the real maximum, at the poles with J2, is 9.832 m/s^2).
MAX_GRAVITY_KM_S2 = EARTH_MU_KM3_S2 / WGS84_POLAR_RADIUS_KM**2


class CandidateCache:
    """Candidate pairs reused over nearby instants, so that the k-d tree pass runs once every
    `horizon_s` of sim time instead of every step.

    Found with a cone widened by how far any satellite can move in `horizon_s` (its angular
    rate about Earth's centre is at most speed / radius; speed and radius change by at most
    acceleration x time, gravity and the Earth-fixed frame's Coriolis and centrifugal terms),
    so within the horizon every satellite in view is among them and the exact test gives the
    same links as a fresh first pass. Steps longer than the horizon (high warp) get a plain
    first pass each. One entry per GroundSites.
    """

    def __init__(self, horizon_s: float = CANDIDATE_HORIZON_S, max_entries: int = 4):
        self.horizon_s = horizon_s
        self.max_entries = max_entries
        #: id(sites) -> [sites, min elevation, found at (s), valid for (s), online then,
        #: candidates, time of the latest request (s)]
        self._entries: dict[int, list] = {}

    def get(self, sites: GroundSites, time_s: float, sat_itrs_km: np.ndarray,
            sat_velocity_itrs_km_s: np.ndarray, online: np.ndarray,
            min_elevation_deg: float, cap: int | None = None,
            grid: DirectionGrid | None = None) -> Candidates:
        """Candidates for `sites` at sim time `time_s` (s, any fixed origin); with `cap`,
        enough of them for `visible(..., cap=cap)` (see `_capped_candidates`). `grid`: the
        online satellites of `sat_itrs_km` by direction, if the caller has one to share."""
        entry = self._entries.get(id(sites))
        if entry is not None:
            owner, elevation, ref_s, horizon_s, ref_online, candidates, last_s = entry
            entry[-1] = time_s
            if (owner is sites and elevation == (min_elevation_deg, cap)
                    and abs(time_s - ref_s) <= horizon_s and len(ref_online) == len(online)
                    and not np.any(online & ~ref_online)
                    # a pruned site counted on its nearest satellites staying online
                    and (candidates.pruned is None or not candidates.pruned.any()
                         or np.array_equal(online, ref_online))):
                return candidates
        if grid is None:
            grid = DirectionGrid(sat_itrs_km, online)  # its cells or tree built only if asked
        if entry is None or abs(time_s - last_s) <= self.horizon_s:
            horizon_s = self.horizon_s
            candidates = self._find(sites, sat_itrs_km, sat_velocity_itrs_km_s, online,
                                    min_elevation_deg, cap, grid)
        else:  # steps longer than the horizon (high warp): a margin would not pay off
            horizon_s = 0.0
            candidates = _at_instant(sites, sat_itrs_km, online, min_elevation_deg, cap, grid)
        if len(self._entries) >= self.max_entries and id(sites) not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[id(sites)] = [sites, (min_elevation_deg, cap), time_s, horizon_s,
                                    online.copy(), candidates, time_s]
        return candidates

    def _find(self, sites, sat_itrs_km, velocity, online, min_elevation_deg,
              cap: int | None, grid: DirectionGrid) -> Candidates:
        h, omega = self.horizon_s, EARTH_ROTATION_RAD_S
        radius = grid.radius_km
        speed = np.sqrt(np.einsum("ij,ij->i", velocity, velocity))
        radial = np.abs(np.einsum("ij,ij->i", sat_itrs_km, velocity)) / np.maximum(radius, 1e-9)
        live = online & (radius > 0)
        if not live.any():
            return candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg, sort=True)
        fastest, highest = float(speed[live].max()), float(radius[live].max())
        # Acceleration in the Earth-fixed frame: gravity plus the Coriolis and centrifugal
        # terms, for speeds and radii capped generously (gravity's part alone is under 2 g).
        speed_cap = fastest + 2 * MAX_GRAVITY_KM_S2 * h
        accel = (MAX_GRAVITY_KM_S2 + 2 * omega * speed_cap
                 + omega * omega * (highest + speed_cap * h))
        climb_km = float(radial[live].max()) * h + 0.5 * accel * h * h
        lowest_km = max(float(radius[live].min()) - climb_km, 1.0)
        turn_rad = (fastest + accel * h) / lowest_km * h
        if cap is not None:
            return _capped_candidates(sites, grid, radius, online, min_elevation_deg, cap,
                                      turn_rad, climb_km, lowest_km)
        # Sorted: the links come out sorted, and routing builds its graph fastest from those.
        return candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg, turn_rad, climb_km,
                               sort=True)


def _at_instant(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
                min_elevation_deg: float, cap: int | None, grid: DirectionGrid) -> Candidates:
    """Candidates for this instant only (no margin); with a cap, only those that can be among
    each ground point's best now (at a million satellites the whole cones hold 7 M pairs)."""
    radius = grid.radius_km
    live = online & (radius > 0)
    if cap is None or not live.any():
        return candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg)
    return _capped_candidates(sites, grid, radius, online, min_elevation_deg, cap, 0.0, 0.0,
                              float(radius[live].min()))


#: Largest angle between a ground point's geodetic vertical and its geocentric direction,
#: rad: geodetic minus geocentric latitude peaks at f + O(f^2) (0.192 degrees, at 45 degrees
#: latitude), rounded up by 2%.
VERTICAL_DEFLECTION_RAD = 1.02 * WGS84_FLATTENING


def _capped_candidates(sites: GroundSites, grid: DirectionGrid, radius: np.ndarray,
                       online: np.ndarray, min_elevation_deg: float, cap: int, turn_rad: float,
                       climb_km: float, lowest_km: float) -> Candidates:
    """Candidates (sorted by ground point, then satellite) enough for each ground point's
    `cap` best links anywhere within the horizon that `turn_rad` (largest angle a satellite
    turns about Earth's centre), `climb_km` and `lowest_km` (lowest radius) describe. `grid`:
    the online satellites' positions by direction."""
    highest_km = float(radius[online].max()) + climb_km
    full = min(coverage_half_angle_rad(highest_km, min_elevation_deg) + turn_rad, np.pi)
    site_radii = np.sqrt((sites.itrs_km ** 2).sum(axis=1))
    site_low = float(site_radii.min())
    floor, pruned = np.zeros(len(sites)), np.zeros(len(sites), bool)
    angles = np.full(len(sites), full)
    if 1 <= cap <= grid.size:
        nearest = grid.nearest_angles(sites.up, cap)
        floor, ok = _elevation_floor(nearest, turn_rad, lowest_km, float(site_radii.max()),
                                     min_elevation_deg)
        keep = _cone(floor, highest_km, site_low, turn_rad)
        pruned = ok & (keep < full)
        angles = np.where(pruned, keep, full)
    # Each ground point's satellites in ascending order: with the points in order, the
    # candidates come out sorted as routing wants them, with no sort of them all.
    found = grid.within_each(sites.up, angles)
    counts = np.array([len(f) for f in found], np.int64)
    s = np.concatenate(found) if counts.sum() else np.zeros(0, np.int64)
    g = np.repeat(np.arange(len(sites)), counts)
    if pruned.any():  # each satellite against the cone of its own orbit (lower: narrower)
        cone = _cone(floor[g], radius[s] + climb_km, site_low, turn_rad)
        cos = np.einsum("ij,ij->i", grid.points_km.take(s, axis=0), sites.up[g])
        keep_rows = ~pruned[g] | (cos >= np.cos(cone) * radius[s])
        g, s = g[keep_rows], s[keep_rows]
    g, s = g.astype(np.int32), s.astype(np.int32)
    return Candidates(g, s, sites.itrs_km[g], sites.up[g], pruned)


def _elevation_floor(nearest_rad: np.ndarray, turn_rad: float, lowest_km: float,
                     site_high_km: float, min_elevation_deg: float):
    """Per ground point: an elevation (rad) that its `cap`-th best satellite stays at or
    above for the whole horizon, and whether it is above the minimum elevation (else the
    bound is of no use: keep the whole cone).

    The cap satellites nearest its vertical now (`nearest_rad`: the cap-th one's angle) stay
    within nearest + turn of it, hence above this elevation: that of the lowest orbit at that
    angle, seen from the largest radius of a ground point, the vertical's deflection from the
    geocentric direction allowed for on both sides. A satellite among the best is then at or
    above the floor, so inside `_cone` of the floor for its orbit."""
    alpha = nearest_rad + turn_rad + VERTICAL_DEFLECTION_RAD
    floor = np.arctan2(lowest_km * np.cos(alpha) - site_high_km, lowest_km * np.sin(alpha))
    floor -= VERTICAL_DEFLECTION_RAD
    return floor, (alpha < np.pi / 2) & (floor > np.radians(min_elevation_deg))


def _cone(floor_rad: np.ndarray, orbit_radius_km, site_low_km: float,
          turn_rad: float) -> np.ndarray:
    """Angle from a ground point's vertical (rad) inside which a satellite at up to
    `orbit_radius_km` must be now to be seen at or above `floor_rad` within the horizon: the
    central angle of that elevation seen from the smallest ground radius (a lower site sees
    farther), plus the vertical's deflection and `turn_rad`."""
    ratio = np.clip(site_low_km * np.cos(floor_rad) / orbit_radius_km, -1.0, 1.0)
    return np.arccos(ratio) - floor_rad + VERTICAL_DEFLECTION_RAD + turn_rad


def coverage_half_angle_rad(orbit_radius_km: float, min_elevation_deg: float) -> float:
    """Earth-central angle between a site and a satellite at `orbit_radius_km` seen at the
    minimum elevation, plus a 1 degree margin for the geodetic vs geocentric vertical."""
    el = np.radians(min_elevation_deg)
    ratio = np.clip(EARTH_RADIUS_KM * np.cos(el) / orbit_radius_km, -1.0, 1.0)
    return float(np.arccos(ratio) - el + np.radians(1.0))
