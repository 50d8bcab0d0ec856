"""Picking: which satellite is under pixel (x, y)? Pure numpy over the camera maths.

A satellite counts when its marker centre projects within `radius_px` of the pixel, it is in
front of the camera, and the Earth does not hide it (the segment eye -> satellite misses the
globe). The nearest in pixels wins; ties go to the one closer to the camera.
"""
from __future__ import annotations

import numpy as np

from sim.constants import EARTH_RADIUS_KM


def occluded_by_earth(eye: np.ndarray, points: np.ndarray,
                      radius_km: float = EARTH_RADIUS_KM) -> np.ndarray:
    """(N,) bool: the straight segment from `eye` to each point passes through the sphere."""
    d = points - eye
    dd = np.einsum("ij,ij->i", d, d)
    t = np.clip(-(d @ eye) / np.maximum(dd, 1e-12), 0.0, 1.0)   # closest point on the segment
    closest = eye + d * t[:, None]
    return np.einsum("ij,ij->i", closest, closest) < radius_km * radius_km


def pick(camera, positions_km: np.ndarray, x: float, y: float, radius_px: float = 8.0,
         online: np.ndarray | None = None) -> int | None:
    """Index of the satellite drawn at pixel (x, y) (image convention, origin top-left), or
    None for empty space. positions_km: (N,3) GCRS km."""
    pos = np.asarray(positions_km, float).reshape(-1, 3)
    if not len(pos):
        return None
    px, _, in_front = camera.project(pos)
    d2 = (px[:, 0] - x) ** 2 + (px[:, 1] - y) ** 2
    cand = np.nonzero(in_front & (d2 <= radius_px * radius_px))[0]
    if online is not None:
        cand = cand[np.asarray(online, bool)[cand]]
    if not len(cand):
        return None
    eye = camera.eye()
    cand = cand[~occluded_by_earth(eye, pos[cand])]
    if not len(cand):
        return None
    dist = np.linalg.norm(pos[cand] - eye, axis=1)
    order = np.lexsort((dist, np.round(d2[cand], 1)))
    return int(cand[order[0]])
