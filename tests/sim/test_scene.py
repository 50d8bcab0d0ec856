"""The captured scene: its footprint on the WGS-84 ellipsoid, the imagery under it, its
orientation along the ground track and the Sun's elevation at its centre."""
import numpy as np
import pytest

from sim import scene
from sim.constants import WGS84_EQUATORIAL_RADIUS_KM, WGS84_FLATTENING
from sim.stations import itrs_from_geodetic

#: Length of one degree of latitude at the equator on WGS-84, km: the meridian radius of
#: curvature there, a (1 - e^2), times pi / 180 (110.574 km).
E2 = WGS84_FLATTENING * (2 - WGS84_FLATTENING)
KM_PER_DEG_LAT_EQUATOR = WGS84_EQUATORIAL_RADIUS_KM * (1 - E2) * np.pi / 180


def test_footprint_spans_the_swath_on_the_ellipsoid():
    lat, lon = scene.swath_points(0.0, 30.0, 0.0, 290.0)
    assert lat.shape == lon.shape == (scene.TILE_PX, scene.TILE_PX)
    # heading north: row 0 lies ahead (north), column 0 on the left (west)
    assert lat[0].mean() > 0 > lat[-1].mean() and lon[:, 0].mean() < 30 < lon[:, -1].mean()
    spread_km = (lat[0, 32] - lat[-1, 32]) * KM_PER_DEG_LAT_EQUATOR
    assert spread_km == pytest.approx(290.0 * 63 / 64, rel=2e-3)
    # across the track, the first and last pixel centres lie 63/64 of the swath apart
    a, b = itrs_from_geodetic(lat[32, 0], lon[32, 0]), itrs_from_geodetic(lat[32, -1], lon[32, -1])
    assert np.linalg.norm(a - b) == pytest.approx(290.0 * 63 / 64, rel=2e-3)


def test_heading_turns_the_footprint():
    lat, lon = scene.swath_points(45.0, 0.0, 90.0, 200.0)  # heading east
    assert lon[0].mean() > 0 > lon[-1].mean()  # row 0 ahead: east
    assert lat[:, 0].mean() > 45 > lat[:, -1].mean()  # column 0 on the left: north


def test_sample_hits_pixel_centres_exactly_and_wraps_longitude():
    image = scene.imagery(scene.DAY_IMAGE)
    height, width = image.shape[:2]
    rows, cols = np.array([100, 1000, 2000]), np.array([0, 2047, width - 1])
    lat = 90.0 - (rows + 0.5) / height * 180.0
    lon = (cols + 0.5) / width * 360.0 - 180.0
    assert np.array_equal(scene.sample(image, lat, lon), image[rows, cols].astype(np.float32))
    assert np.allclose(scene.sample(image, lat, lon + 360.0), scene.sample(image, lat, lon))


def test_capture_follows_the_ground_track_and_the_sun():
    # a satellite 535 km above (10 N, 20 E) moving due north, the Sun overhead
    position = itrs_from_geodetic(10.0, 20.0, 535.0)
    east, north, up = scene.local_axes(np.float64(10.0), np.float64(20.0))
    shot = scene.capture_scene(position, 7.6 * north, up, 290.0)
    assert (shot.lat_deg, shot.lon_deg) == pytest.approx((10.0, 20.0), abs=1e-6)
    assert shot.heading_deg == pytest.approx(0.0, abs=1e-6)
    assert shot.sun_elevation_deg == pytest.approx(90.0, abs=1e-6) and shot.daylight
    assert shot.tile.shape == (scene.TILE_PX, scene.TILE_PX, 3) and shot.tile.dtype == np.uint8
    moving_east = scene.capture_scene(position, 7.6 * east, -up, 290.0)
    assert moving_east.heading_deg == pytest.approx(90.0, abs=1e-6)
    assert moving_east.sun_elevation_deg == pytest.approx(-90.0, abs=1e-6)
    assert not moving_east.daylight
    # a night scene shows the night lights, not the day imagery
    assert moving_east.tile.mean() < shot.tile.mean()
