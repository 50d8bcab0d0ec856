"""Ground links: which satellites each ground point sees above its minimum elevation.

Works in the Earth-fixed frame (ITRS), where ground points do not move. The test is
`(r_sat - r_ground) . up >= |r_sat - r_ground| * sin(min_elevation)`, with `up` the geodetic
vertical. A cheap first pass (one float32 matrix product) keeps only satellites inside each
site's coverage cone; the exact test runs on those few.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .ephemeris import EARTH_RADIUS_KM
from .stations import GroundPoint, itrs_from_geodetic

#: Ground points handled per matrix product, to bound memory at 100,000 satellites.
_CHUNK_CELLS = 4_000_000


@dataclasses.dataclass(frozen=True)
class GroundSites:
    """Ground points with their fixed Earth-fixed geometry."""

    points: tuple[GroundPoint, ...]
    itrs_km: np.ndarray  #: (G,3)
    up: np.ndarray  #: (G,3) unit geodetic vertical
    up_t32: np.ndarray  #: (3,G) the same, transposed, contiguous float32 (for one fast matmul)

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
        return cls(points, itrs, up, np.ascontiguousarray(up.T, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.points)


@dataclasses.dataclass(frozen=True)
class GroundLinks:
    pairs: np.ndarray  #: (K,2) int32 [ground index, satellite index]
    slant_km: np.ndarray  #: (K,)
    elevation_deg: np.ndarray  #: (K,)


def visible(sites: GroundSites, sat_itrs_km: np.ndarray, online: np.ndarray,
            min_elevation_deg: float) -> GroundLinks:
    """Every (ground point, satellite) pair with the satellite above the minimum elevation."""
    if len(sites) == 0 or len(sat_itrs_km) == 0:
        return GroundLinks(np.zeros((0, 2), np.int32), np.zeros(0), np.zeros(0))
    radius = np.linalg.norm(sat_itrs_km, axis=1)
    cos_cone = np.cos(coverage_half_angle_rad(float(radius.max()), min_elevation_deg))
    # First pass: satellites inside each site's coverage cone (geocentric angle), float32.
    unit32 = (sat_itrs_km / np.maximum(radius, 1e-9)[:, None]).astype(np.float32)
    step = max(1, _CHUNK_CELLS // len(sat_itrs_km))
    g_parts, s_parts = [], []
    for start in range(0, len(sites), step):
        up_t = sites.up_t32[:, start:start + step]
        s, g = np.divmod(np.flatnonzero(unit32 @ up_t > cos_cone), up_t.shape[1])
        g_parts.append(g + start)
        s_parts.append(s)
    g, s = np.concatenate(g_parts), np.concatenate(s_parts)
    keep = online[s]
    g, s = g[keep], s[keep]
    # Exact test on the few candidates.
    d = sat_itrs_km[s] - sites.itrs_km[g]
    slant = np.linalg.norm(d, axis=1)
    sin_el = np.einsum("ij,ij->i", d, sites.up[g]) / np.maximum(slant, 1e-9)
    ok = sin_el >= np.sin(np.radians(min_elevation_deg))
    order = np.lexsort((s[ok], g[ok]))
    return GroundLinks(
        np.stack([g[ok], s[ok]], axis=1)[order].astype(np.int32), slant[ok][order],
        np.degrees(np.arcsin(np.clip(sin_el[ok][order], -1, 1))),
    )


def coverage_half_angle_rad(orbit_radius_km: float, min_elevation_deg: float) -> float:
    """Earth-central angle between a site and a satellite at `orbit_radius_km` seen at the
    minimum elevation, plus a 1 degree margin for the geodetic vs geocentric vertical."""
    el = np.radians(min_elevation_deg)
    ratio = np.clip(EARTH_RADIUS_KM * np.cos(el) / orbit_radius_km, -1.0, 1.0)
    return float(np.arccos(ratio) - el + np.radians(1.0))
