"""Ground links: which satellites each ground point sees above its minimum elevation.

Works in the Earth-fixed frame (ITRS), where ground points do not move. The test is
`(r_sat - r_ground) . up >= |r_sat - r_ground| * sin(min_elevation)`, with `up` the geodetic
vertical. A cheap first pass (k-d trees of unit vectors) keeps only satellites inside each
site's coverage cone; the exact test runs on those few. `CandidateCache` reuses one first pass
for the steps of the next few sim seconds (with the cone widened by how far satellites can
move meanwhile), so most steps only run the exact test.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from .constants import (EARTH_MU_KM3_S2, EARTH_RADIUS_KM, EARTH_ROTATION_RAD_S,
                        WGS84_POLAR_RADIUS_KM)
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


@dataclasses.dataclass(frozen=True)
class GroundLinks:
    #: (K,2) int32 [ground index, satellite index], in the order of the candidates (sorted by
    #: ground then satellite where `CandidateCache` found them with a margin)
    pairs: np.ndarray
    slant_km: np.ndarray  #: (K,)
    sin_elevation: np.ndarray  #: (K,)

    @property
    def elevation_deg(self) -> np.ndarray:
        """(K,) elevation of each satellite above its ground point's horizon, degrees."""
        return np.degrees(np.arcsin(np.clip(self.sin_elevation, -1, 1)))


def visible(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
            min_elevation_deg: float, candidates: "Candidates | None" = None) -> GroundLinks:
    """Every (ground point, satellite) pair with the satellite above the minimum elevation.
    `candidates` (from `candidate_pairs`, for these sites and satellites) skips the first
    pass; without them it runs here."""
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
    pairs = np.empty((len(ok), 2), np.int32)
    pairs[:, 0], pairs[:, 1] = g.take(ok), s.take(ok)
    return GroundLinks(pairs, slant.take(ok), sin_el.take(ok))


@dataclasses.dataclass(frozen=True)
class Candidates:
    """(ground, satellite) pairs that may be in view, with each pair's ground position and
    vertical (ITRS)."""

    ground: np.ndarray  #: (C,) int32
    sat: np.ndarray  #: (C,) int32
    site_km: np.ndarray  #: (C,3)
    up: np.ndarray  #: (C,3)


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
            min_elevation_deg: float) -> Candidates:
        """Candidates for `sites` at sim time `time_s` (s, any fixed origin)."""
        entry = self._entries.get(id(sites))
        if entry is not None:
            owner, elevation, ref_s, horizon_s, ref_online, candidates, last_s = entry
            entry[-1] = time_s
            if (owner is sites and elevation == min_elevation_deg
                    and abs(time_s - ref_s) <= horizon_s
                    and len(ref_online) == len(online) and not np.any(online & ~ref_online)):
                return candidates
        if entry is None or abs(time_s - last_s) <= self.horizon_s:
            horizon_s = self.horizon_s
            candidates = self._find(sites, sat_itrs_km, sat_velocity_itrs_km_s, online,
                                    min_elevation_deg)
        else:  # steps longer than the horizon (high warp): a margin would not pay off
            horizon_s = 0.0
            candidates = candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg)
        if len(self._entries) >= self.max_entries and id(sites) not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[id(sites)] = [sites, min_elevation_deg, time_s, horizon_s, online.copy(),
                                    candidates, time_s]
        return candidates

    def _find(self, sites, sat_itrs_km, velocity, online, min_elevation_deg) -> Candidates:
        h, omega = self.horizon_s, EARTH_ROTATION_RAD_S
        radius = np.sqrt(np.einsum("ij,ij->i", sat_itrs_km, sat_itrs_km))
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
        # Sorted: the links come out sorted, and routing builds its graph fastest from those.
        return candidate_pairs(sites, sat_itrs_km, online, min_elevation_deg, turn_rad, climb_km,
                               sort=True)


def coverage_half_angle_rad(orbit_radius_km: float, min_elevation_deg: float) -> float:
    """Earth-central angle between a site and a satellite at `orbit_radius_km` seen at the
    minimum elevation, plus a 1 degree margin for the geodetic vs geocentric vertical."""
    el = np.radians(min_elevation_deg)
    ratio = np.clip(EARTH_RADIUS_KM * np.cos(el) / orbit_radius_km, -1.0, 1.0)
    return float(np.arccos(ratio) - el + np.radians(1.0))
