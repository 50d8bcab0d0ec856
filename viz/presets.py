"""Named camera views for shots and the app: `apply_preset(camera, name, snapshot)`.

They depend on the snapshot (sun direction, Earth rotation, the selected satellite), so each
preset places the camera relative to what it should show at that instant, in the scene frame
(GCRS, km):
  default  the whole Earth, day and night sides with the terminator and city lights in view
  asia     the whole Earth centred over China (30 N, 108 E) at this instant
  polar    high above the north pole
  close    chasing the selected satellite (or satellite 0), Earth's limb below it
"""
from __future__ import annotations

import numpy as np

from sim.errors import UserError
from viz.camera import OrbitCamera, direction_to_azel, local_frame
from viz.synthetic import latlon_to_unit

PRESETS = ("default", "asia", "polar", "close")


def _rotate_z(v: np.ndarray, deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def apply_preset(camera: OrbitCamera, name: str, snapshot) -> OrbitCamera:
    """Set `camera` (instantly, no fly-to) to the named view; raises UserError for a bad name."""
    sun = np.asarray(snapshot.sun_dir_gcrs, float)
    camera.earth_fixed = False
    camera.frame_rotation = np.eye(3)
    camera.follow_index = -1
    camera._local = None
    camera.min_distance_km = 6371.0 + 800.0
    camera.target = np.zeros(3)
    camera._flight = None
    if name == "default":
        # Sun from the upper left-behind: a lit limb plus a broad night side with cities.
        view = _rotate_z(sun, 98.0)
        view[2] = 0.0
        view = view / np.linalg.norm(view) + np.array([0.0, 0.0, 0.42])
        camera.azimuth_deg, camera.elevation_deg = direction_to_azel(view)
        camera.distance_km = 26000.0
    elif name == "asia":
        view = np.asarray(snapshot.itrs_to_gcrs, float) @ latlon_to_unit(30.0, 108.0)
        camera.azimuth_deg, camera.elevation_deg = direction_to_azel(view)
        camera.distance_km = 19000.0
    elif name == "polar":
        az, _ = direction_to_azel(_rotate_z(sun, 100.0))
        camera.azimuth_deg, camera.elevation_deg = az, 78.0
        camera.distance_km = 26000.0
    elif name == "close":
        n = snapshot.n_sats
        idx = int(snapshot.selected) if 0 <= snapshot.selected < n else 0
        if n == 0:
            return apply_preset(camera, "default", snapshot)
        p = np.asarray(snapshot.positions_km[idx], float)
        v = np.asarray(snapshot.velocities_km_s[idx], float)
        camera.follow_index = idx
        camera.min_distance_km = 30.0
        camera.target = p.copy()
        camera._local = local_frame(p, v)
        camera.frame_rotation = camera._local
        # Behind and above, a little to the side: the satellite ahead, the Earth below.
        camera.azimuth_deg, camera.elevation_deg = 205.0, 24.0
        camera.distance_km = 1800.0
    else:
        raise UserError(f"--camera: unknown view {name!r}; choose one of {', '.join(PRESETS)}")
    camera._clamp()
    return camera
