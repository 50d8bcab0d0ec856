"""Coastlines (TopoJSON decoding), orbital plane rings, and the renderer's layer settings."""
import numpy as np

from sim.constants import EARTH_RADIUS_KM
from sim.layers import LayerSettings
from viz.camera import OrbitCamera
from viz.geo import border_segments, coastline_segments, decode_arcs, plane_rings, shared_arcs
from viz.picking import occluded_by_earth
from viz.synthetic import make_snapshot, single_satellite, walker

SIZE = (480, 270)


def light(image):
    """Per-pixel brightness: R + G + B."""
    return image.astype(float).sum(axis=2)


def test_decode_quantized_arcs():
    topo = {"transform": {"scale": [0.5, 0.25], "translate": [-180.0, -90.0]},
            "arcs": [[[0, 0], [2, 4], [-1, 0]], [[10, 10], [0, 1]]],
            "objects": {"c": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, ~1]]}, {"type": "Polygon", "arcs": [[1]]}]}}}
    a, b = decode_arcs(topo)
    np.testing.assert_allclose(a, [[-180, -90], [-179, -89], [-179.5, -89]])
    np.testing.assert_allclose(b, [[-175, -87.5], [-175, -87.25]])
    assert list(shared_arcs(topo, "c")) == [1]   # arc 1 borders both polygons (once reversed)


def test_coastlines_land_where_expected():
    segs = coastline_segments(EARTH_RADIUS_KM)
    assert len(segs) > 20000
    np.testing.assert_allclose(np.linalg.norm(segs, axis=2), EARTH_RADIUS_KM, rtol=1e-5)
    # No segment wraps around the globe (date line jumps are dropped): all short.
    assert np.linalg.norm(segs[:, 1] - segs[:, 0], axis=1).max() < 300.0
    # A point of the Cape of Good Hope coast (34.36 S, 18.47 E) is within ~10 km of a segment end.
    lat, lon = np.radians(-34.36), np.radians(18.47)
    cape = EARTH_RADIUS_KM * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon),
                                       np.sin(lat)])
    assert np.linalg.norm(segs.reshape(-1, 3) - cape, axis=1).min() < 10.0


def test_plane_rings_pass_through_their_satellites():
    pos, vel, plane, _ = walker(5, 8, 700.0, 70.0, 123.0)
    rings, sizes, shells = plane_rings(pos, vel, np.zeros(40), plane, steps=720)
    assert rings.shape == (5, 721, 3) and list(sizes) == [8] * 5 and list(shells) == [0] * 5
    for g in range(5):
        gap = np.linalg.norm(rings[g][:, None] - pos[plane == g][None], axis=2).min(axis=0)
        assert gap.max() < 40.0   # 720 samples on a 7,071 km circle: ~31 km apart


def test_coast_and_border_pixels_follow_the_projected_lines(draw):
    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 20.0, 10.0, 20000.0
    snap = single_satellite((0.0, 0.0, 60000.0), sun_dir=(1.0, 0.0, 0.0))
    plain = light(draw(snap, cam, layers=LayerSettings(borders=False)))
    lines = light(draw(snap, cam))
    added = (lines - plain) > 12
    assert added.sum() > 300
    pts = np.concatenate([coastline_segments(EARTH_RADIUS_KM), border_segments(EARTH_RADIUS_KM)])
    pts = pts.reshape(-1, 3).astype(float) @ snap.itrs_to_gcrs.T
    pts = pts[~occluded_by_earth(cam.eye(), pts * 1.002, EARTH_RADIUS_KM)]
    px = cam.project(pts)[0]
    near = np.zeros(added.shape, bool)
    ix, iy = px[:, 0].astype(int), px[:, 1].astype(int)
    ok = (ix >= 2) & (iy >= 2) & (ix < SIZE[0] - 2) & (iy < SIZE[1] - 2)
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            near[iy[ok] + dy, ix[ok] + dx] = True
    assert (added & near).sum() > 0.9 * added.sum()


def test_layer_settings_switch_parts_off(draw):
    assert LayerSettings().borders and not LayerSettings().all_planes and LayerSettings().links
    snap = make_snapshot(6, 10, n_flows=0)
    cam = OrbitCamera(SIZE)
    full = light(draw(snap, cam))
    off = LayerSettings().with_toggles({"links": False, "stars": False})
    bare = light(draw(snap, cam, layers=off))
    rings = light(draw(snap, cam, layers=off.with_toggles({"all_planes": True})))
    sky = np.ones(full.shape, bool)
    sky[SIZE[1] // 2 - 100:SIZE[1] // 2 + 100, SIZE[0] // 2 - 100:SIZE[0] // 2 + 100] = False
    assert bare[sky].sum() < full[sky].sum()                   # stars and links gone
    assert (bare <= full + 3).mean() > 0.99
    assert (rings - bare > 8).sum() > 200                       # six faint plane rings
