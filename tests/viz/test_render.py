"""Offscreen renders (EGL, llvmpipe): pixel placement, day/night, golden images."""
import pathlib

import numpy as np
import pytest

from sim.constants import EARTH_RADIUS_KM
from sim.layers import LayerSettings
from viz.camera import OrbitCamera
from viz.frame import FrameContext
from viz.offscreen import OffscreenTarget, save_png
from viz.presets import apply_preset
from viz.synthetic import single_satellite

GOLDEN = pathlib.Path(__file__).parent / "golden"
SIZE = (320, 180)


def test_satellite_lands_on_predicted_pixel(draw):
    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 0.0, 0.0, 30000.0
    # In space beside the Earth (off the disc), sun behind the camera's back.
    pos = np.array([0.0, 9500.0, 2500.0])
    snap = single_satellite(pos, sun_dir=(-1.0, 0.0, 0.0))
    img = draw(snap, cam).astype(float).sum(axis=2)
    (px, py), = cam.project(pos[None])[0]
    win = img[int(py) - 12:int(py) + 13, int(px) - 12:int(px) + 13]
    ys, xs = np.nonzero(win >= win.max() * 0.9)
    cy, cx = ys.mean() + int(py) - 12 + 0.5, xs.mean() + int(px) - 12 + 0.5
    assert win.max() > 300, "no marker drawn near the predicted pixel"
    assert abs(cx - px) <= 1.0 and abs(cy - py) <= 1.0


@pytest.mark.parametrize("sun", [(1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
def test_sunlit_side_brighter(draw, sun):
    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 90.0, 0.0, 26000.0   # eye on +y
    sun = np.array(sun) / np.linalg.norm(sun)
    snap = single_satellite((0.0, 0.0, 60000.0), sun_dir=sun)  # satellite far outside view
    # Without coastlines: they would light up the night side's patch.
    img = draw(snap, cam, layers=LayerSettings(borders=False)).astype(float).mean(axis=2)
    toward_cam = np.array([0.0, 1.0, 0.0])

    def patch(direction):
        p = EARTH_RADIUS_KM * (direction + toward_cam) / np.linalg.norm(direction + toward_cam)
        (x, y), = cam.project(p[None])[0]
        return img[int(y) - 3:int(y) + 4, int(x) - 3:int(x) + 4].mean()

    day, night = patch(sun), patch(-sun)
    assert day > 40 and day > 3 * night, (day, night)


def golden_compare(name, img, update):
    path = GOLDEN / f"{name}.png"
    if update or not path.exists():
        save_png(img, path)
        if not update:
            pytest.skip(f"golden {path.name} created; rerun to compare")
        return
    from PIL import Image

    ref = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert ref.shape == img.shape
    diff = np.abs(ref - img.astype(int))
    # Tolerant of small rasterisation/driver differences, not of a changed picture.
    assert diff.mean() < 2.0 and np.percentile(diff.max(axis=2), 99) < 60, (
        f"{name}: mean diff {diff.mean():.2f}; regenerate with VIZ_UPDATE_GOLDEN=1 if intended")


@pytest.mark.parametrize("preset", ["default", "close", "polar"])
def test_golden(draw, snapshot, preset, update_golden):
    cam = apply_preset(OrbitCamera(SIZE), preset, snapshot)
    img = draw(snapshot, cam, hovered=5)
    golden_compare(preset, img, update_golden)


def test_many_satellites_and_empty_scene(draw):
    from viz.synthetic import make_snapshot, shell_for

    cam = OrbitCamera(SIZE)
    big = make_snapshot(*shell_for(5000), n_flows=50)
    assert draw(big, cam).mean() > 5
    empty = single_satellite((0.0, 0.0, 7000.0), online=np.array([False]))
    assert draw(empty, cam).mean() > 1   # still draws the Earth


def test_beam_strength_ranks_per_station():
    from viz.layers.traffic import MAX_FAINT_BEAMS, beam_strength

    station = np.array([0, 0, 0, 1, 1])
    length = np.array([900.0, 600.0, 700.0, 1200.0, 800.0])
    a = beam_strength(station, length)
    np.testing.assert_allclose(a, [0.045, 0.55, 0.22, 0.22, 0.55], rtol=1e-6)
    many = beam_strength(np.zeros(MAX_FAINT_BEAMS + 1, int), np.arange(MAX_FAINT_BEAMS + 1.0))
    assert (many > 0).sum() == 2


def test_beam_strength_same_in_any_link_order():
    """The grouped-by-station fast path and the scatter path agree (stations 1 and 4 absent)."""
    from viz.layers.traffic import beam_strength, per_station_min

    rng = np.random.default_rng(3)
    station = np.sort(rng.choice([0, 2, 3, 5], 400))
    length = rng.uniform(500, 2500, 400)
    np.testing.assert_array_equal(per_station_min(station, length, 6)[[1, 4]], [np.inf, np.inf])
    order = rng.permutation(400)
    np.testing.assert_array_equal(beam_strength(station, length)[order],
                                  beam_strength(station[order], length[order]))


def test_flow_packet_heads():
    from viz.layers.traffic import flow_geometry, packet_heads

    paths = np.array([[[0, 0, 0], [10, 0, 0], [10, 10, 0]], [[0, 0, 0], [0, 0, 4], [0, 0, 4]]], float)
    lengths = np.array([3, 2])
    fi, si, arc = flow_geometry(paths, lengths)
    assert list(zip(fi, si)) == [(0, 0), (0, 1), (1, 0)]
    heads = packet_heads(paths, arc, np.array([0.75, 0.5]))
    np.testing.assert_allclose(heads, [[10, 5, 0], [0, 0, 2]])


def test_panel_rectangles_hide_scene_labels(draw):
    """A name label is drawn beside its anchor, and not where an occluder (a panel) covers it."""
    from viz.layers.labels import Label

    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 0.0, 0.0, 30000.0
    pos = np.array([0.0, 9500.0, 2500.0])  # in space beside the Earth's disc
    snap = single_satellite(pos, sun_dir=(-1.0, 0.0, 0.0))
    (px, py), = cam.project(pos[None])[0]
    box = (int(px) + 10, int(py) - 30, int(px) + 70, int(py) - 5)  # where the text goes

    def text_light(labels, occluders=()):
        img = draw(snap, cam, extra_labels=labels, label_occluders=occluders)
        img = img.astype(float).sum(axis=2)
        return img[box[1]:box[3], box[0]:box[2]].sum()

    label = [Label("SAT-1", tuple(pos), (12.0, -22.0), 16.0)]
    none, shown = text_light([]), text_light(label)
    hidden = text_light(label, occluders=[(px, py - 40, px + 100, py + 5)])
    elsewhere = text_light(label, occluders=[(0, 0, 20, 20)])
    assert shown > none + 5000, (shown, none)
    assert hidden == pytest.approx(none, abs=1.0)
    assert elsewhere == pytest.approx(shown, abs=1.0)


def test_draw_reads_the_camera_and_move_with_moves_it(ctx, renderer, snapshot):
    """Camera motion is the caller's explicit step: draw leaves a following camera where it
    is; camera.move_with(snapshot) keeps the followed satellite as its target."""
    import dataclasses

    cam = apply_preset(OrbitCamera(SIZE), "close", snapshot)
    index = cam.follow_index
    later = dataclasses.replace(snapshot, positions_km=snapshot.positions_km * 1.01)
    eye = cam.eye().copy()
    target = OffscreenTarget(ctx, cam.size)
    try:
        renderer.draw(later, cam, target.fbo, FrameContext(time_s=1.25))
    finally:
        target.release()
    np.testing.assert_array_equal(cam.eye(), eye)
    cam.move_with(later)
    np.testing.assert_allclose(cam.target, later.positions_km[index])
    assert not np.allclose(cam.eye(), eye)


def test_marker_moved_on_by_the_frame_lands_on_the_orbit(draw):
    """A frame `ahead_s` past its Snapshot draws the satellite where a circular orbit puts it
    then (the analytic circle, not sim/ahead.py's sums): the GPU's f and g series."""
    from sim.constants import EARTH_MU_KM3_S2

    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 0.0, 0.0, 30000.0
    radius = 9800.0  # beside the Earth's disc as the first test's satellite, moving up
    speed = np.sqrt(EARTH_MU_KM3_S2 / radius)
    start = np.array([0.0, radius, 0.0])
    snap = single_satellite(start, sun_dir=(-1.0, 0.0, 0.0),
                            velocities_km_s=np.array([[0.0, 0.0, speed]]))
    ahead_s = 200.0
    angle = speed / radius * ahead_s
    truth = np.array([0.0, radius * np.cos(angle), radius * np.sin(angle)])
    img = draw(snap, cam, labels=False, ahead_s=ahead_s).astype(float).sum(axis=2)
    (px, py), = cam.project(truth[None])[0]
    (sx, sy), = cam.project(start[None])[0]
    assert np.hypot(px - sx, py - sy) > 10  # the frame is visibly ahead of the Snapshot
    win = img[int(py) - 12:int(py) + 13, int(px) - 12:int(px) + 13]
    ys, xs = np.nonzero(win >= win.max() * 0.9)
    cy, cx = ys.mean() + int(py) - 12 + 0.5, xs.mean() + int(px) - 12 + 0.5
    assert win.max() > 300, "no marker drawn near the predicted pixel"
    assert abs(cx - px) <= 1.0 and abs(cy - py) <= 1.0
