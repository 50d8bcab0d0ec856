"""Ground links: which satellites each ground point sees above its minimum elevation.

Works in the Earth-fixed frame (ITRS), where ground points do not move. The test is
`(r_sat - r_ground) . up >= |r_sat - r_ground| * sin(min_elevation)`, with `up` the geodetic
vertical. A cheap first pass (k-d trees of unit vectors) keeps only satellites inside each
site's coverage cone; the exact test runs on those few.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial import cKDTree

from .ephemeris import EARTH_RADIUS_KM
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
    pairs: np.ndarray  #: (K,2) int32 [ground index, satellite index], in no particular order
    slant_km: np.ndarray  #: (K,)
    elevation_deg: np.ndarray  #: (K,)


def visible(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
            min_elevation_deg: float) -> GroundLinks:
    """Every (ground point, satellite) pair with the satellite above the minimum elevation."""
    if len(sites) == 0 or len(sat_itrs_km) == 0:
        return GroundLinks(np.zeros((0, 2), np.int32), np.zeros(0), np.zeros(0))
    radius = np.sqrt(np.einsum("ij,ij->i", sat_itrs_km, sat_itrs_km))
    cone = coverage_half_angle_rad(float(radius.max()), min_elevation_deg)
    # First pass: satellites inside each site's coverage cone, found as unit vectors within
    # the cone's chord of the site's vertical (k-d trees: near-linear in N, unlike an N x G
    # table of dot products).
    unit = sat_itrs_km / np.maximum(radius, 1e-9)[:, None]
    # An unbalanced tree builds twice as fast and queries as fast for points on a sphere.
    tree = cKDTree(unit, balanced_tree=False, compact_nodes=False)
    close = tree.sparse_distance_matrix(sites.up_tree, 2 * np.sin(cone / 2),
                                        output_type="ndarray")
    s, g = close["i"].astype(np.int64), close["j"].astype(np.int64)
    keep = online[s]
    g, s = g[keep], s[keep]
    # Exact test on the few candidates.
    d = sat_itrs_km[s] - sites.itrs_km[g]
    slant = np.sqrt(np.einsum("ij,ij->i", d, d))
    sin_el = np.einsum("ij,ij->i", d, sites.up[g]) / np.maximum(slant, 1e-9)
    ok = sin_el >= np.sin(np.radians(min_elevation_deg))
    return GroundLinks(np.stack([g[ok], s[ok]], axis=1).astype(np.int32), slant[ok],
                       np.degrees(np.arcsin(np.clip(sin_el[ok], -1, 1))))


def coverage_half_angle_rad(orbit_radius_km: float, min_elevation_deg: float) -> float:
    """Earth-central angle between a site and a satellite at `orbit_radius_km` seen at the
    minimum elevation, plus a 1 degree margin for the geodetic vs geocentric vertical."""
    el = np.radians(min_elevation_deg)
    ratio = np.clip(EARTH_RADIUS_KM * np.cos(el) / orbit_radius_km, -1.0, 1.0)
    return float(np.arccos(ratio) - el + np.radians(1.0))
