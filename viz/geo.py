"""Geometry for the overlay layers, in numpy alone (no GL): coastlines and country borders from
the world-atlas TopoJSON files in assets/catalog, and the rings of the orbital planes.

Frames and units: coastlines come out as Earth-fixed (ITRS) line segments in km, to be turned
into the scene frame by `itrs_to_gcrs`; plane rings are GCRS km.
"""
from __future__ import annotations

import functools
import json

import numpy as np

from viz.glutil import ASSETS

LAND = "catalog/world-atlas_land-50m.json"
COUNTRIES = "catalog/world-atlas_countries-110m.json"


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """Every arc of a TopoJSON topology as an (n,2) float array of (longitude, latitude) deg.

    Quantized topologies store each arc as integer deltas: the positions are the running sum,
    then `transform` scales and translates them into degrees."""
    tf = topo.get("transform")
    out = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, float).reshape(-1, 2)
        if tf:
            a = np.cumsum(a, axis=0) * np.asarray(tf["scale"]) + np.asarray(tf["translate"])
        out.append(a)
    return out


def _arc_ids(geometry: dict):
    """Arc indices used by a geometry (negative index ~i means arc i reversed)."""
    arcs = geometry.get("arcs", [])
    kind = geometry.get("type")
    rings = {"LineString": [arcs], "MultiLineString": arcs, "Polygon": arcs,
             "MultiPolygon": [r for poly in arcs for r in poly]}.get(kind, [])
    for ring in rings:
        for i in ring:
            yield i if i >= 0 else ~i


def shared_arcs(topo: dict, obj: str) -> np.ndarray:
    """Indices of the arcs that two or more geometries of `obj` share: the land borders between
    countries (coastline arcs belong to one country only)."""
    count = np.zeros(len(topo["arcs"]), int)
    for geom in topo["objects"][obj]["geometries"]:
        for i in set(_arc_ids(geom)):
            count[i] += 1
    return np.flatnonzero(count >= 2)


def lonlat_to_itrs(lonlat_deg: np.ndarray, radius_km: float) -> np.ndarray:
    """(n,2) longitude/latitude deg -> (n,3) Earth-fixed points on a sphere of radius_km."""
    lon, lat = np.radians(lonlat_deg[:, 0]), np.radians(lonlat_deg[:, 1])
    return radius_km * np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                 np.sin(lat)], -1)


def arcs_to_segments(arcs: list[np.ndarray], radius_km: float) -> np.ndarray:
    """(S,2,3) float32 ITRS segments (km) of polylines, skipping jumps across the date line
    (a longitude step over 180 deg is a wrap, not a line around the globe) and the cuts the
    data makes along the date line and the south pole (edges of the map, not coasts)."""
    parts = []
    for a in arcs:
        if len(a) < 2:
            continue
        edge = (np.abs(a[:, 0]) > 179.99) | (a[:, 1] < -89.9)
        keep = (np.abs(np.diff(a[:, 0])) < 180.0) & ~(edge[:-1] & edge[1:])
        p = lonlat_to_itrs(a, radius_km)
        parts.append(np.stack([p[:-1][keep], p[1:][keep]], 1))
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 2, 3), np.float32)


@functools.lru_cache(maxsize=4)
def coastline_segments(radius_km: float) -> np.ndarray:
    """Coastlines (Natural Earth 1:50m land outlines) as (S,2,3) ITRS km segments."""
    topo = json.loads((ASSETS / LAND).read_text())
    return arcs_to_segments(decode_arcs(topo), radius_km)


@functools.lru_cache(maxsize=4)
def coarse_coastline_segments(radius_km: float) -> np.ndarray:
    """Coastlines at 1:110m (the countries' arcs that only one country uses): ~5,000
    segments instead of ~59,000, for views from far away where 1:50m detail is sub-pixel."""
    topo = json.loads((ASSETS / COUNTRIES).read_text())
    arcs = decode_arcs(topo)
    shared = set(shared_arcs(topo, "countries").tolist())
    return arcs_to_segments([a for i, a in enumerate(arcs) if i not in shared], radius_km)


@functools.lru_cache(maxsize=4)
def border_segments(radius_km: float) -> np.ndarray:
    """Land borders between countries (1:110m) as (S,2,3) ITRS km segments."""
    topo = json.loads((ASSETS / COUNTRIES).read_text())
    arcs = decode_arcs(topo)
    return arcs_to_segments([arcs[i] for i in shared_arcs(topo, "countries")], radius_km)


def plane_rings(positions_km, velocities_km_s, shell_index, plane_index,
                steps: int = 72, max_planes: int = 3000):
    """One circle per orbital plane, fitted from its satellites' orbit normals.

    Satellites are grouped by (shell, plane) (plane -1 = unknown, skipped). Each group's normal
    is the mean of the unit angular-momentum vectors r x v; the radius is the mean |r|, so
    near-circular orbits (all the scenarios') fall on their ring. Returns ((G, steps+1, 3)
    float32 GCRS km closed polylines, (G,) int group sizes, (G,) int shell of each ring); at
    most `max_planes` rings (the largest groups), so 100,000-satellite worlds stay cheap."""
    pos = np.asarray(positions_km, float).reshape(-1, 3)
    vel = np.asarray(velocities_km_s, float).reshape(-1, 3)
    plane = np.asarray(plane_index, np.int64)
    ok = plane >= 0
    if not ok.any():
        return np.zeros((0, steps + 1, 3), np.float32), np.zeros(0, int), np.zeros(0, int)
    stride = int(plane.max()) + 1
    key = np.asarray(shell_index, np.int64)[ok] * stride + plane[ok]
    groups, inverse, sizes = np.unique(key, return_inverse=True, return_counts=True)
    h = np.cross(pos[ok], vel[ok])
    h /= np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-12)
    normal = np.zeros((len(groups), 3))
    np.add.at(normal, inverse, h)
    radius = np.bincount(inverse, np.linalg.norm(pos[ok], axis=1)) / sizes
    keep = np.argsort(-sizes, kind="stable")[:max_planes]
    normal, radius, sizes, shells = normal[keep], radius[keep], sizes[keep], groups[keep] // stride
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    # In-plane basis: e1 towards the ascending node (z x n), or x when the orbit is equatorial.
    e1 = np.cross(np.array([0.0, 0.0, 1.0]), normal)
    flat = np.linalg.norm(e1, axis=1) < 1e-6
    e1[flat] = (1.0, 0.0, 0.0)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(normal, e1)
    a = np.linspace(0.0, 2 * np.pi, steps + 1)
    ring = (np.cos(a)[None, :, None] * e1[:, None] + np.sin(a)[None, :, None] * e2[:, None])
    return (ring * radius[:, None, None]).astype(np.float32), sizes, shells
