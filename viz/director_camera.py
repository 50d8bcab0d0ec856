"""Camera work of scripted scenarios: keyframes (orbit angles, distance, target, field of
view, following a satellite, flying over a place) blended with easing, for viz/director.py.

Pure numpy on top of viz/camera.py.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from sim import timeline as tl
from sim.constants import EARTH_RADIUS_KM
from sim.script import smootherstep
from viz.camera import OrbitCamera, direction_to_azel, local_frame, look_at

#: The eye never goes closer to the Earth's centre than this (km): interpolating between a
#: far view and a satellite close-up must not pass through the ground.
MIN_EYE_RADIUS_KM = EARTH_RADIUS_KM + 60.0


def ease(kind: str, u: float) -> float:
    if kind == "linear":
        return min(max(u, 0.0), 1.0)
    if kind == "cut":
        return 1.0 if u >= 1.0 else 0.0
    return smootherstep(u)


def _unit(az_deg: float, el_deg: float) -> np.ndarray:
    az, el = math.radians(az_deg), math.radians(el_deg)
    return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])


def _slerp(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    dot = float(np.clip(a @ b, -1.0, 1.0))
    angle = math.acos(dot)
    if angle < 1e-6:
        return b.copy()
    if angle > math.pi - 1e-3:  # opposite: go round any perpendicular
        perp = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(perp) < 1e-3:
            perp = np.cross(a, [0.0, 1.0, 0.0])
        perp /= np.linalg.norm(perp)
        return math.cos(math.pi * s) * a + math.sin(math.pi * s) * perp
    out = (math.sin((1 - s) * angle) * a + math.sin(s * angle) * b) / math.sin(angle)
    return out / np.linalg.norm(out)


# --- camera ------------------------------------------------------------------------------------

class DirectedCamera(OrbitCamera):
    """An OrbitCamera whose eye, target and up are set directly by the director each frame
    (so the view can blend between reference frames without a jump of the horizon)."""

    def __init__(self, size, fov_y_deg: float = 40.0):
        super().__init__(size, fov_y_deg)
        self._eye = np.array([0.0, -26000.0, 0.0])
        self._up = np.array([0.0, 0.0, 1.0])

    def set_pose(self, eye, target, up, fov_deg: float) -> None:
        self._eye = np.asarray(eye, float)
        self.target = np.asarray(target, float)
        self._up = np.asarray(up, float)
        self.fov_y_deg = float(fov_deg)
        self.distance_km = float(np.linalg.norm(self._eye - self.target))
        self.follow_index = -1  # the director tracks; camera.move_with must not

    def eye(self) -> np.ndarray:
        return self._eye

    def offset_direction(self) -> np.ndarray:
        d = self._eye - self.target
        return d / max(np.linalg.norm(d), 1e-9)

    def view_matrix(self) -> np.ndarray:
        forward = self.target - self._eye
        forward /= max(np.linalg.norm(forward), 1e-9)
        up = self._up
        if np.linalg.norm(np.cross(forward, up)) < 1e-3:  # looking straight along "up"
            up = np.cross(forward, [1.0, 0.0, 0.0])
            if np.linalg.norm(up) < 1e-3:
                up = np.cross(forward, [0.0, 1.0, 0.0])
        return look_at(self._eye, self.target, up)


@dataclasses.dataclass
class Pose:
    """A resolved keyframe at one instant (scene frame GCRS, km)."""

    target: np.ndarray
    rotation: np.ndarray  #: rows = the keyframe's reference frame axes in scene coordinates
    azimuth_deg: float
    elevation_deg: float
    distance_km: float
    fov_deg: float


class CameraPath:
    """Camera keyframes -> a pose per frame. Keyframes are resolved against the current
    snapshot (a followed satellite or a place moves with it), then blended: direction in
    the destination keyframe's frame (shortest way in azimuth), distance in log space,
    target and field of view linearly, the up vector by slerp."""

    def __init__(self, keys: tuple[tl.CameraKey, ...]):
        self.keys = keys or (tl.CameraKey(0.0, None, **{**tl.CAMERA_DEFAULTS, "ease": "cut"}),)
        #: `follow` reference -> satellite index (sim.timeline.check_names resolves them)
        self.follow_index: dict[str, int] = {}

    def _resolve(self, key: tl.CameraKey, snap) -> Pose:
        target = np.zeros(3)
        index = self.follow_index.get(key.follow, -1) if key.follow else -1
        if index >= 0:
            target = np.asarray(snap.positions_km[index], float)
        if key.frame == "earth":
            rotation = np.asarray(snap.itrs_to_gcrs, float).T
        elif key.frame == "chase" and index >= 0:
            rotation = local_frame(snap.positions_km[index], snap.velocities_km_s[index])
        else:
            rotation = np.eye(3)
        az, el = key.azimuth_deg, key.elevation_deg
        if key.place is not None:
            el, az = key.place
            el = float(np.clip(el, -89.0, 89.0))
        elif key.preset is not None:
            from viz.presets import apply_preset

            scratch = apply_preset(OrbitCamera((16, 16)), key.preset, snap)
            az, el = direction_to_azel(rotation @ _unit(scratch.azimuth_deg,
                                                        scratch.elevation_deg))
        return Pose(target, rotation, az, el, key.distance_km, key.fov_deg)

    def segment(self, t: float) -> tuple[tl.CameraKey, tl.CameraKey, float]:
        keys = self.keys
        if t <= keys[0].at:
            return keys[0], keys[0], 1.0
        for a, b in zip(keys, keys[1:]):
            if a.at <= t < b.at:
                return a, b, ease(b.ease, (t - a.at) / (b.at - a.at))
        return keys[-1], keys[-1], 1.0

    def pose(self, t: float, snap) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """(eye, target, up, fov_deg) at video time t."""
        a, b, s = self.segment(t)
        pb = self._resolve(b, snap)
        if a is b or s >= 1.0:
            return self._place(pb, pb, 1.0)
        pa = self._resolve(a, snap)
        if a.follow != b.follow:
            return self._travel(pa, pb, s)
        return self._place(pa, pb, s)

    @staticmethod
    def _travel(pa: Pose, pb: Pose, s: float):
        """Between keyframes looking at different things (the Earth, a satellite): the eye
        moves round the Earth (direction by slerp, radius in log space) while the look-at
        point slides across, so a far view can swoop down to a satellite without passing
        through the ground."""
        eye_a = pa.target + pa.distance_km * (pa.rotation.T @ _unit(pa.azimuth_deg,
                                                                    pa.elevation_deg))
        eye_b = pb.target + pb.distance_km * (pb.rotation.T @ _unit(pb.azimuth_deg,
                                                                    pb.elevation_deg))
        ra, rb = max(np.linalg.norm(eye_a), 1.0), max(np.linalg.norm(eye_b), 1.0)
        radius = math.exp(math.log(ra) + (math.log(rb) - math.log(ra)) * s)
        eye = _slerp(eye_a, eye_b, s) * max(radius, MIN_EYE_RADIUS_KM)
        target = pa.target + (pb.target - pa.target) * s
        up = _slerp(pa.rotation[2], pb.rotation[2], s)
        return eye, target, up, pa.fov_deg + (pb.fov_deg - pa.fov_deg) * s

    @staticmethod
    def _place(pa: Pose, pb: Pose, s: float):
        # A's direction expressed in B's frame, so both blend in one frame.
        dir_a = pa.rotation.T @ _unit(pa.azimuth_deg, pa.elevation_deg)
        az_a, el_a = direction_to_azel(pb.rotation @ dir_a)
        az_b = az_a + ((pb.azimuth_deg - az_a + 180.0) % 360.0 - 180.0)
        az = az_a + (az_b - az_a) * s
        el = el_a + (pb.elevation_deg - el_a) * s
        dist = math.exp(math.log(pa.distance_km) + (math.log(pb.distance_km)
                                                    - math.log(pa.distance_km)) * s)
        target = pa.target + (pb.target - pa.target) * s
        fov = pa.fov_deg + (pb.fov_deg - pa.fov_deg) * s
        up = _slerp(pa.rotation[2], pb.rotation[2], s)
        eye = target + dist * (pb.rotation.T @ _unit(az, el))
        r = np.linalg.norm(eye)
        if r < MIN_EYE_RADIUS_KM:
            eye = eye * (MIN_EYE_RADIUS_KM / max(r, 1e-6))
        return eye, target, up, fov
