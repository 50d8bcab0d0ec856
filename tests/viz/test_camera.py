"""Camera maths (pure numpy): projection, unprojection, limits, no flip, fly-to, follow."""
import numpy as np
import pytest

from sim.constants import EARTH_RADIUS_KM
from viz.camera import OrbitCamera, direction_to_azel
from viz.presets import PRESETS, apply_preset
from viz.synthetic import make_snapshot


def test_target_projects_to_centre():
    cam = OrbitCamera((640, 360))
    px, depth, front = cam.project(np.zeros((1, 3)))
    assert front[0] and -1 < depth[0] < 1
    np.testing.assert_allclose(px[0], (320, 180), atol=1e-6)


def test_unproject_inverts_project():
    cam = OrbitCamera((800, 600))
    cam.azimuth_deg, cam.elevation_deg = 33.0, -12.0
    p = np.array([[1000.0, -2000.0, 3000.0]])
    px, _, _ = cam.project(p)
    origin, direction = cam.unproject(*px[0])
    # p lies on the ray
    t = (p[0] - origin) @ direction
    np.testing.assert_allclose(origin + t * direction, p[0], atol=1e-3)


def test_point_behind_camera_flagged():
    cam = OrbitCamera()
    behind = cam.eye() * 2.0
    _, _, front = cam.project(behind[None])
    assert not front[0]


def test_drag_never_flips_and_zoom_limits():
    cam = OrbitCamera()
    for _ in range(200):
        cam.drag(0, 50)
    assert cam.elevation_deg <= 89.0
    # Up stays +z in the image: a point above the target projects above the centre.
    px, _, _ = cam.project(np.array([[0.0, 0.0, 100.0]]))
    assert px[0, 1] < cam.size[1] / 2
    cam.zoom(1e-6)
    assert cam.distance_km >= cam.min_distance_km > EARTH_RADIUS_KM
    cam.zoom(1e9)
    assert cam.distance_km <= cam.max_distance_km
    cam2 = OrbitCamera()
    cam2.elevation_deg = 0.0
    px, _, _ = cam2.project(np.array([[0.0, 0.0, 3000.0]]))
    assert px[0, 1] < cam2.size[1] / 2  # +z is up on screen


def test_fly_to_eases_and_arrives():
    cam = OrbitCamera()
    cam.fly_to(350.0, 40.0, 12000.0, duration_s=1.0)
    cam.advance(0.5)
    assert cam.flying
    mid = cam.distance_km
    assert 12000.0 < mid < 26000.0
    cam.advance(0.6)
    assert not cam.flying
    assert cam.azimuth_deg == pytest.approx(350.0)
    assert cam.elevation_deg == pytest.approx(40.0)
    assert cam.distance_km == pytest.approx(12000.0)


def test_follow_tracks_target():
    cam = OrbitCamera()
    cam.follow(7, position_km=np.array([7000.0, 0, 0]), distance_km=500.0)
    cam.advance(5.0)
    cam.track(np.array([0.0, 7000.0, 0.0]))
    np.testing.assert_allclose(cam.target, [0.0, 7000.0, 0.0])
    px, _, _ = cam.project(cam.target[None])
    np.testing.assert_allclose(px[0], np.array(cam.size) / 2, atol=1e-6)


def test_earth_fixed_switch_keeps_view():
    snap = make_snapshot(2, 2, n_flows=0, t_s=5000.0)
    cam = OrbitCamera()
    eye = cam.eye()
    cam.set_earth_fixed(True, snap.itrs_to_gcrs)
    np.testing.assert_allclose(cam.eye(), eye, atol=1e-6)


def test_direction_to_azel():
    az, el = direction_to_azel(np.array([0.0, 1.0, 1.0]))
    assert az == pytest.approx(90.0) and el == pytest.approx(45.0)


@pytest.mark.parametrize("name", PRESETS)
def test_presets(name, snapshot):
    cam = apply_preset(OrbitCamera(), name, snapshot)
    assert np.linalg.norm(cam.eye()) > EARTH_RADIUS_KM


def test_bad_preset_is_user_error(snapshot):
    from sim.errors import UserError

    with pytest.raises(UserError, match="--camera"):
        apply_preset(OrbitCamera(), "nope", snapshot)


def test_presets_implement_exactly_the_names_sim_declares():
    from sim import timeline as tl
    from viz import presets

    assert set(presets.VIEWS) == set(tl.CAMERA_PRESETS) and presets.PRESETS == tl.CAMERA_PRESETS
    assert set(tl.DIRECTION_PRESETS) | set(tl.SUBJECT_PRESETS) == set(tl.CAMERA_PRESETS)
