"""Named camera views for shots and the app: `apply_preset(camera, name, snapshot)`.

The names are declared once, in sim/timeline.py (CAMERA_PRESETS: the direction-only views a
timeline may use, then the views that frame a subject); this module implements exactly those.

They depend on the snapshot (sun direction, Earth rotation, the selected satellite), so each
preset places the camera relative to what it should show at that instant, in the scene frame
(GCRS, km):
  default  the whole Earth, day and night sides with the terminator and city lights in view;
           for a few satellites in one plane (a first cluster) it looks across that plane
           from 14 deg above it, so their ring arches over the globe
  asia     the whole Earth centred over China (30 N, 108 E) at this instant
  polar    high above the north pole
  close    chasing the selected satellite (or satellite 0), Earth's limb below it
  trip     following the first round trip's target, centred on the trip (target, station,
           leg), seen from its side and 55 deg above, so the beam, the hops and the target
           are all in view; without a trip, the selected satellite and the nearest station
"""
from __future__ import annotations

import numpy as np

from sim.errors import UserError
from sim.timeline import CAMERA_PRESETS
from viz.camera import MIN_EARTH_DISTANCE_KM, OrbitCamera, direction_to_azel, local_frame
from viz.synthetic import latlon_to_unit

PRESETS = CAMERA_PRESETS  #: every named view, in the order the command line lists them
FEW_SATS = 64  #: up to this many satellites the default view faces their mean orbit plane


def _rotate_z(v: np.ndarray, deg: float) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def apply_preset(camera: OrbitCamera, name: str, snapshot) -> OrbitCamera:
    """Set `camera` (instantly, no fly-to) to the named view; raises UserError for a bad name."""
    view = VIEWS.get(name)
    if view is None:
        raise UserError(f"--camera: unknown view {name!r}; choose one of {', '.join(PRESETS)}")
    _reset(camera)
    view(camera, snapshot)
    camera._clamp()
    return camera


def _reset(camera: OrbitCamera) -> None:
    """Inertial frame, no following, no flight, looking at the Earth's centre."""
    camera.earth_fixed = False
    camera.frame_rotation = np.eye(3)
    camera.follow_index = -1
    camera._local = None
    camera.min_distance_km = MIN_EARTH_DISTANCE_KM
    camera.follow_offset_km = np.zeros(3)
    camera.target = np.zeros(3)
    camera._flight = None


def _default_view(camera: OrbitCamera, snapshot) -> None:
    sun = np.asarray(snapshot.sun_dir_gcrs, float)
    plane = _one_plane(snapshot)
    if plane is not None:
        _few_view(camera, snapshot, sun, plane)
        return
    # Sun from the upper left-behind: a lit limb plus a broad night side with cities.
    view = _rotate_z(sun, 98.0)
    view[2] = 0.0
    view = view / np.linalg.norm(view) + np.array([0.0, 0.0, 0.42])
    camera.azimuth_deg, camera.elevation_deg = direction_to_azel(view)
    camera.distance_km = 23500.0


def _asia_view(camera: OrbitCamera, snapshot) -> None:
    view = np.asarray(snapshot.itrs_to_gcrs, float) @ latlon_to_unit(30.0, 108.0)
    camera.azimuth_deg, camera.elevation_deg = direction_to_azel(view)
    camera.distance_km = 22000.0


def _polar_view(camera: OrbitCamera, snapshot) -> None:
    sun = np.asarray(snapshot.sun_dir_gcrs, float)
    az, _ = direction_to_azel(_rotate_z(sun, 100.0))
    camera.azimuth_deg, camera.elevation_deg = az, 78.0
    camera.distance_km = 26000.0


def _close_view(camera: OrbitCamera, snapshot) -> None:
    """Chase the selected satellite (or satellite 0) from behind and above."""
    n = snapshot.n_sats
    if n == 0:
        return _default_view(camera, snapshot)
    idx = int(snapshot.selected) if 0 <= snapshot.selected < n else 0
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


def _trip_view(camera: OrbitCamera, snapshot) -> None:
    """Frame a round trip: the camera follows its target satellite, orbiting the centre of
    the trip's points, from its side and 55 deg above the local horizontal."""
    n = snapshot.n_sats
    trips = snapshot.round_trips
    idx = trips[0].sat if trips else int(snapshot.selected)
    if not 0 <= idx < n:
        return _default_view(camera, snapshot)
    target = np.asarray(snapshot.positions_km[idx], float)
    pts = [target]
    stations = np.asarray(snapshot.station_positions_km, float).reshape(-1, 3)
    station = trips[0].station if trips else -1
    if not 0 <= station < len(stations) and len(stations):
        station = int(np.argmin(np.linalg.norm(stations - target, axis=1)))
    if 0 <= station < len(stations):
        pts.append(stations[station])
    if trips and len(trips[0].leg_path_km):
        pts.extend(np.asarray(trips[0].leg_path_km, float).reshape(-1, 3))
    pts = np.array(pts)
    centre = pts.mean(axis=0)
    # Follow the target in its local frame (z up, x along-track) so the horizon stays level,
    # orbiting the trip's centre; look at the trip from the side and 55 deg above, so that it
    # spreads across the wide screen axis rather than running away from the camera.
    local = local_frame(target, np.asarray(snapshot.velocities_km_s, float)[idx])
    offset = local @ (centre - target)
    axis = local @ (pts[1] - target) if len(pts) > 1 else np.array([1.0, 0.0, 0.0])
    az = np.degrees(np.arctan2(axis[1], axis[0])) - 90.0 if np.hypot(*axis[:2]) > 1.0 else 205.0
    camera.follow_index = idx
    camera._local = local
    camera.frame_rotation = local
    camera.follow_offset_km = offset
    camera.min_distance_km = 30.0
    camera.target = centre.copy()
    camera.azimuth_deg, camera.elevation_deg = float(az), 55.0
    half = float(np.max(np.linalg.norm(pts - centre, axis=1)))
    camera.distance_km = 2.2 * half + 1500.0


def _one_plane(snapshot):
    """Unit normal of the orbit plane when the snapshot holds a few satellites (up to
    FEW_SATS) that all share one plane (their unit r x v agree), else None."""
    n = snapshot.n_sats
    if not 0 < n <= FEW_SATS:
        return None
    h = np.cross(np.asarray(snapshot.positions_km, float),
                 np.asarray(snapshot.velocities_km_s, float))
    h = (h / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-9)).mean(axis=0)
    norm = float(np.linalg.norm(h))
    return h / norm if norm > 0.95 else None


def _few_view(camera: OrbitCamera, snapshot, sun: np.ndarray, h: np.ndarray) -> None:
    """A view of a few satellites' ring (one plane, normal h): 14 deg above the plane,
    looking across it with the Sun to the side, so the near half of the ring arches across
    the globe over the terminator. (Face-on, a 500 km ring hugs the limb and reads as
    nothing.)"""
    across = np.cross(h, sun)
    if np.linalg.norm(across) < 0.2:  # plane faces the Sun: any direction in it will do
        across = np.cross(h, [0.0, 0.0, 1.0]) if abs(h[2]) < 0.9 else np.cross(h, [1.0, 0.0, 0.0])
    across /= np.linalg.norm(across)
    # Of the four such views, the one farthest north: most land and city lights, no ice cap.
    views = [a * across * np.cos(np.radians(14.0)) + b * h * np.sin(np.radians(14.0))
             for a in (1, -1) for b in (1, -1)]
    view = max(views, key=lambda v: v[2])
    camera.azimuth_deg, camera.elevation_deg = direction_to_azel(view)
    camera.distance_km = 22000.0


#: name -> function(camera, snapshot) that sets the view on a reset camera (apply_preset
#: clamps it after). Exactly the names of sim's CAMERA_PRESETS (a test checks).
VIEWS = {"default": _default_view, "asia": _asia_view, "polar": _polar_view,
         "close": _close_view, "trip": _trip_view}
