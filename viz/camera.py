"""Orbit camera around the Earth (or a followed satellite): pure numpy, so tests can predict
pixels without a GL context.

Frames and units: the scene frame is GCRS, km. The camera orbits `target` (km, scene frame) at
`distance_km`, placed by `azimuth_deg` / `elevation_deg` measured in the camera's *reference
frame*: GCRS by default, or the Earth-fixed frame (ITRS) when `earth_fixed` is set, so that the
Earth looks still while the sky turns. Elevation is clamped short of the poles, and "up" is always
the reference frame's +z, so the view never flips over the top.

Matrices are float64, column-vector convention (`clip = P @ V @ [x, y, z, 1]`). Pixels: x to the
right from the left edge, y down from the top edge, pixel centres at +0.5 (image convention,
the same as a PNG written by `viz.offscreen`).
"""
from __future__ import annotations

import math

import numpy as np

from sim.constants import EARTH_RADIUS_KM

#: Closest the camera comes to the Earth's centre while it orbits the Earth (not a satellite),
#: km: 800 km above the surface keeps the near plane clear of the globe and its atmosphere.
MIN_EARTH_DISTANCE_KM = EARTH_RADIUS_KM + 800.0
#: Radius that encloses everything the scene draws besides the sky (satellites up to ~2,000 km).
SCENE_RADIUS_KM = 8500.0
MAX_ELEVATION_DEG = 89.0


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Right-handed view matrix (camera looks down -z), float64 4x4."""
    f = target - eye
    f = f / np.linalg.norm(f)
    s = np.cross(f, up)
    s = s / np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def perspective(fov_y_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    """OpenGL perspective matrix (depth -1..1), float64 4x4."""
    f = 1.0 / math.tan(math.radians(fov_y_deg) / 2.0)
    m = np.zeros((4, 4))
    m[0, 0] = f / aspect
    m[1, 1] = f
    m[2, 2] = (far + near) / (near - far)
    m[2, 3] = 2.0 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


def direction_to_azel(v: np.ndarray) -> tuple[float, float]:
    """Azimuth and elevation (deg) of direction `v` (any length) in its own frame."""
    v = np.asarray(v, float) / np.linalg.norm(v)
    return math.degrees(math.atan2(v[1], v[0])), math.degrees(math.asin(np.clip(v[2], -1, 1)))


def local_frame(position_km: np.ndarray, velocity_km_s: np.ndarray) -> np.ndarray:
    """Rotation (rows x, y, z) into a satellite's local frame: z radial up, x along-track."""
    z = np.asarray(position_km, float)
    z = z / np.linalg.norm(z)
    v = np.asarray(velocity_km_s, float)
    x = v - (v @ z) * z
    nx = np.linalg.norm(x)
    x = x / nx if nx > 1e-9 else np.cross([0.0, 0.0, 1.0], z) / max(np.linalg.norm(np.cross([0.0, 0.0, 1.0], z)), 1e-9)
    return np.array([x, np.cross(z, x), z])


def _smooth(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


class OrbitCamera:
    """Orbit camera: drag to rotate, zoom with limits, smooth fly-to, follow a point."""

    def __init__(self, size: tuple[int, int] = (1280, 720), fov_y_deg: float = 40.0):
        self.size = (int(size[0]), int(size[1]))
        self.fov_y_deg = fov_y_deg
        self.target = np.zeros(3)  #: km, scene frame: the point the camera orbits
        self.azimuth_deg = 20.0
        self.elevation_deg = 20.0
        self.distance_km = 26000.0
        self.min_distance_km = MIN_EARTH_DISTANCE_KM
        self.max_distance_km = 150000.0
        self.earth_fixed = False
        #: rotation taking scene (GCRS) vectors into the reference frame (identity, or
        #: ITRS<-GCRS when earth_fixed); set each frame by `set_frame`.
        self.frame_rotation = np.eye(3)
        self.follow_index = -1  #: satellite index being followed, -1 for none
        self._local = None  #: local-vertical frame of the followed satellite (rows x, y, z)
        #: while following: orbit this point instead of the satellite itself, km in the
        #: satellite's local frame (x along-track, z up); the 'trip' view centres a round trip
        self.follow_offset_km = np.zeros(3)
        self._flight = None

    # --- state ----------------------------------------------------------------------------
    def set_frame(self, itrs_to_gcrs: np.ndarray) -> None:
        """Update the reference frame for this instant (call once per frame). While following
        a satellite with a known velocity the frame is the satellite's local one (z up from
        the Earth's centre, x along the velocity): a chase view with the Earth below."""
        if self.follow_index >= 0 and self._local is not None:
            self.frame_rotation = self._local
        else:
            self.frame_rotation = np.asarray(itrs_to_gcrs, float).T if self.earth_fixed \
                else np.eye(3)

    def set_earth_fixed(self, flag: bool, itrs_to_gcrs: np.ndarray) -> None:
        """Switch between inertial and Earth-fixed reference frames without a jump in view."""
        offset = self.eye() - self.target
        self.earth_fixed = bool(flag)
        self.set_frame(itrs_to_gcrs)
        self.azimuth_deg, self.elevation_deg = direction_to_azel(self.frame_rotation @ offset)
        self._clamp()

    def _clamp(self) -> None:
        self.elevation_deg = float(np.clip(self.elevation_deg, -MAX_ELEVATION_DEG,
                                           MAX_ELEVATION_DEG))
        self.distance_km = float(np.clip(self.distance_km, self.min_distance_km,
                                         self.max_distance_km))

    def offset_direction(self) -> np.ndarray:
        """Unit vector from the target to the eye, scene frame."""
        az, el = math.radians(self.azimuth_deg), math.radians(self.elevation_deg)
        local = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
        return self.frame_rotation.T @ local

    def eye(self) -> np.ndarray:
        """Camera position, km, scene frame."""
        return self.target + self.distance_km * self.offset_direction()

    # --- matrices -------------------------------------------------------------------------
    def view_matrix(self) -> np.ndarray:
        up = self.frame_rotation.T @ np.array([0.0, 0.0, 1.0])
        return look_at(self.eye(), self.target, up)

    def near_far(self) -> tuple[float, float]:
        """Clip planes (km) that just enclose the Earth and the satellite shells."""
        d = float(np.linalg.norm(self.eye()))
        return max(d - SCENE_RADIUS_KM, d * 0.002, 0.5), d + SCENE_RADIUS_KM

    def projection_matrix(self) -> np.ndarray:
        near, far = self.near_far()
        return perspective(self.fov_y_deg, self.size[0] / self.size[1], near, far)

    def view_projection(self) -> np.ndarray:
        return self.projection_matrix() @ self.view_matrix()

    # --- world <-> pixels -----------------------------------------------------------------
    def project(self, points_km: np.ndarray):
        """Scene points (N,3) km -> (pixels (N,2) float, ndc depth (N,), in_front (N,) bool).

        `in_front` is True when the point is in front of the camera (w > 0); pixels may lie
        outside the image."""
        pts = np.atleast_2d(np.asarray(points_km, float))
        m = self.view_projection()
        clip = pts @ m[:3, :3].T + m[:3, 3]
        w = pts @ m[3, :3] + m[3, 3]
        in_front = w > 1e-9
        wsafe = np.where(in_front, w, 1.0)
        ndc = clip / wsafe[:, None]
        px = np.empty((len(pts), 2))
        px[:, 0] = (ndc[:, 0] + 1.0) * 0.5 * self.size[0]
        px[:, 1] = (1.0 - ndc[:, 1]) * 0.5 * self.size[1]
        return px, ndc[:, 2], in_front

    def unproject(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """Pixel (x, y) -> world ray (origin km, unit direction), scene frame."""
        inv = np.linalg.inv(self.view_projection())
        ndc_x = 2.0 * x / self.size[0] - 1.0
        ndc_y = 1.0 - 2.0 * y / self.size[1]
        a = inv @ np.array([ndc_x, ndc_y, -1.0, 1.0])
        b = inv @ np.array([ndc_x, ndc_y, 1.0, 1.0])
        a, b = a[:3] / a[3], b[:3] / b[3]
        d = b - a
        return a, d / np.linalg.norm(d)

    # --- interaction ------------------------------------------------------------------------
    def drag(self, dx_px: float, dy_px: float) -> None:
        """Rotate by a mouse drag (pixels); slower when close so the ground follows the hand."""
        altitude = max(self.distance_km - (EARTH_RADIUS_KM if self.follow_index < 0 else 0), 1)
        k = 0.25 * min(1.0, max(altitude / self.distance_km, 0.05))
        self._flight = None
        self.azimuth_deg = (self.azimuth_deg - dx_px * k) % 360.0
        self.elevation_deg += dy_px * k
        self._clamp()

    def zoom(self, factor: float) -> None:
        """Multiply the distance by `factor` (<1 zooms in), within the limits. Near the Earth
        the step shrinks with the altitude so the wheel never dives through the ground."""
        base = EARTH_RADIUS_KM if self.follow_index < 0 else 0.0
        self._flight = None
        self.distance_km = base + (self.distance_km - base) * factor
        self._clamp()

    def resize(self, size: tuple[int, int]) -> None:
        self.size = (max(int(size[0]), 1), max(int(size[1]), 1))

    def fly_to(self, azimuth_deg=None, elevation_deg=None, distance_km=None, target=None,
               duration_s: float = 1.5) -> None:
        """Ease from the current view to the given one over `duration_s` (None keeps a value)."""
        start = (self.azimuth_deg, self.elevation_deg, self.distance_km, self.target.copy())
        end_az = self.azimuth_deg if azimuth_deg is None else azimuth_deg
        # Shortest way round in azimuth.
        end_az = start[0] + ((end_az - start[0] + 180.0) % 360.0 - 180.0)
        end = (end_az, self.elevation_deg if elevation_deg is None else elevation_deg,
               self.distance_km if distance_km is None else distance_km,
               self.target.copy() if target is None else np.asarray(target, float))
        self._flight = [start, end, 0.0, max(duration_s, 1e-6)]
        if duration_s <= 0:
            self.advance(0.0)

    @property
    def flying(self) -> bool:
        return self._flight is not None

    def follow(self, index: int, position_km=None, distance_km: float = 2500.0) -> None:
        """Follow satellite `index` (-1 stops and flies back to the Earth's centre)."""
        self.follow_index = int(index)
        self.follow_offset_km = np.zeros(3)
        if self._local is not None:  # back to the plain frame without a jump in view
            offset = self.eye() - self.target
            self._local = None
            self.frame_rotation = np.eye(3)
            self.azimuth_deg, self.elevation_deg = direction_to_azel(offset)
        if index < 0:
            self.min_distance_km = MIN_EARTH_DISTANCE_KM
            self.fly_to(distance_km=max(self.distance_km, 20000.0), target=np.zeros(3))
        else:
            self.min_distance_km = 30.0
            self.fly_to(distance_km=distance_km,
                        target=None if position_km is None else position_km)

    def track(self, position_km: np.ndarray, velocity_km_s: np.ndarray | None = None) -> None:
        """Per frame while following: keep the (moving) satellite as the target; with its
        velocity, orbit in its local frame (the first call converts the view, no jump)."""
        if self.follow_index < 0:
            return
        if velocity_km_s is not None:
            local = local_frame(position_km, velocity_km_s)
            if self._local is None:
                offset = self.eye() - self.target
                self.azimuth_deg, self.elevation_deg = direction_to_azel(local @ offset)
                if self._flight is not None:  # keep the flight's end view in the new frame
                    self._flight[0] = (self.azimuth_deg, self.elevation_deg, *self._flight[0][2:])
                    self._flight[1] = (self.azimuth_deg, self.elevation_deg, *self._flight[1][2:])
            self._local = local
            self.frame_rotation = local
        point = np.asarray(position_km, float).copy()
        if self._local is not None and self.follow_offset_km.any():
            point += self._local.T @ self.follow_offset_km
        if self._flight is not None:
            self._flight[1] = (*self._flight[1][:3], point)
        else:
            self.target = point

    def move_with(self, snapshot) -> None:
        """Once per frame, before drawing `snapshot`: keep a followed satellite as the target
        (orbiting in its local frame) and turn an Earth-fixed view with the Earth. The
        renderer never moves the camera; every caller makes this call."""
        follow = self.follow_index
        if 0 <= follow < snapshot.n_sats:
            self.track(snapshot.sat_positions(follow), snapshot.sat_velocities(follow))
        self.set_frame(snapshot.itrs_to_gcrs)

    def advance(self, dt_s: float) -> None:
        """Advance an ongoing fly-to by `dt_s` wall seconds."""
        if self._flight is None:
            return
        start, end, t, duration = self._flight
        t = min(t + dt_s, duration)
        a = _smooth(t / duration)
        self.azimuth_deg = (start[0] + (end[0] - start[0]) * a) % 360.0
        self.elevation_deg = start[1] + (end[1] - start[1]) * a
        # Ease the distance in log space so long zooms feel even.
        self.distance_km = math.exp(math.log(start[2]) + (math.log(end[2]) - math.log(start[2])) * a)
        self.target = start[3] + (end[3] - start[3]) * a
        self._flight[2] = t
        if t >= duration:
            self._flight = None
        self._clamp()

    def reset(self) -> None:
        """Back to the default view of the whole Earth."""
        self.follow(-1)
        self.min_distance_km = MIN_EARTH_DISTANCE_KM
        self.fly_to(20.0, 20.0, 26000.0, np.zeros(3))
