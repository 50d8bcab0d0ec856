"""Picking: the satellite under a pixel, None for empty space and for satellites behind Earth."""
import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.camera import OrbitCamera
from viz.picking import occluded_by_earth, pick


def test_pick_projected_satellite(snapshot):
    cam = OrbitCamera((640, 360))
    pos = snapshot.positions_km
    px, _, front = cam.project(pos)
    visible = np.nonzero(front & ~occluded_by_earth(cam.eye(), pos))[0]
    # Only satellites with no neighbour on screen within 10 px: the answer is unambiguous.
    d = np.linalg.norm(px[:, None] - px[None], axis=2) + np.eye(len(px)) * 1e9
    visible = [k for k in visible if d[k].min() > 10]
    assert len(visible) > 5
    for k in visible[:10]:
        assert pick(cam, pos, px[k, 0] + 1.5, px[k, 1] - 1.0) == k


def test_pick_empty_space_is_none(snapshot):
    cam = OrbitCamera((640, 360))
    assert pick(cam, snapshot.positions_km, 5.0, 5.0) is None
    assert pick(cam, np.zeros((0, 3)), 100, 100) is None


def test_pick_behind_earth_is_none():
    cam = OrbitCamera((640, 360))
    behind = -cam.offset_direction() * (EARTH_RADIUS_KM + 550.0)  # far side, centre of disc
    front = cam.offset_direction() * (EARTH_RADIUS_KM + 550.0)
    (x, y), = cam.project(behind[None])[0]
    assert pick(cam, behind[None], x, y) is None
    assert pick(cam, np.array([behind, front]), x, y) == 1


def test_pick_skips_offline():
    cam = OrbitCamera((640, 360))
    p = cam.offset_direction() * (EARTH_RADIUS_KM + 550.0)
    (x, y), = cam.project(p[None])[0]
    assert pick(cam, p[None], x, y, online=np.array([False])) is None


def test_renderer_pick_matches_drawn_marker(renderer, snapshot):
    cam = OrbitCamera((320, 180))
    px, _, front = cam.project(snapshot.positions_km)
    ok = np.nonzero(front & ~occluded_by_earth(cam.eye(), snapshot.positions_km))[0]
    d = np.linalg.norm(px[:, None] - px[None], axis=2) + np.eye(len(px)) * 1e9
    k = next(k for k in ok if d[k].min() > 10)  # no other marker within 10 px
    assert renderer.pick(snapshot, cam, *px[k]) == k
    assert renderer.pick(snapshot, cam, 2.0, 2.0) is None


def test_pick_reads_the_positions_the_frame_draws(snapshot):
    """With the sim a step behind the frame (viz/ahead.py), a click on a drawn marker picks
    that satellite, where the Snapshot's own positions would miss it."""
    from viz.ahead import SnapshotAhead

    cam = OrbitCamera((640, 360))
    drawn = SnapshotAhead(snapshot, 120.0)
    pos = drawn.positions_km
    px, _, front = cam.project(pos)
    stepped_px, _, _ = cam.project(snapshot.positions_km)
    visible = np.nonzero(front & ~occluded_by_earth(cam.eye(), pos))[0]
    d = np.linalg.norm(px[:, None] - px[None], axis=2) + np.eye(len(px)) * 1e9
    clear = [k for k in visible if d[k].min() > 10 and
             np.linalg.norm(px[k] - stepped_px[k]) > 12]  # moved well past the click radius
    assert len(clear) > 3
    for k in clear[:8]:
        assert pick(cam, drawn.positions_km, *px[k], radius_px=8.0) == k
        assert pick(cam, snapshot.positions_km, *px[k], radius_px=8.0) != k
