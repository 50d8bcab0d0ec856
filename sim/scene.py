"""The captured scene: the ground under a satellite's swath, cut from the shipped Earth imagery.

A satellite images the square of side `swath_km` centred on its nadir (the foot of the WGS-84
ellipsoid normal through it: the geodetic sub-satellite point), rows along its ground track
(row 0 ahead), columns across it (column 0 on the left, looking forward). Each tile pixel's
ground point is laid out on the plane tangent to the ellipsoid at nadir (offsets in km along
and across the track) and brought down to the ellipsoid along its normal
(`stations.geodetic_from_itrs`); within a 300 km swath the tangent-plane distances differ from
distances on the ground by under 0.01%. The imagery is then sampled bilinearly at those
latitudes and longitudes.

Honest resolution: the day imagery (NASA Blue Marble, assets/textures/earth_day_4096.jpg) is
equirectangular, 4096 px over 360 deg of longitude: ~9.8 km per pixel at the equator (less
east-west towards the poles), and the water, height and night-light maps are 2048 px (~19.6 km
per pixel). A real imager's 10 m pixels are a thousand times finer; the tile (`TILE_PX` square,
e.g. 4.5 km per tile pixel for a 290 km swath) shows what the shipped imagery holds there, not
what the sensor would resolve. Blue Marble is a cloud-free composite, so scenes have no clouds.

Units: degrees for latitude / longitude (geodetic, WGS-84; longitude east), km for lengths,
ITRS (Earth-fixed) for positions and velocities.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .stations import ASSETS, geodetic_from_itrs, itrs_from_geodetic

#: Side of a captured tile, pixels: the vision model's input (sim/onboard/vision.py).
TILE_PX = 64
#: The shipped imagery (equirectangular: column 0 at -180 deg longitude, row 0 at the north
#: pole, as the globe's shader samples it).
DAY_IMAGE = "textures/earth_day_4096.jpg"
NIGHT_IMAGE = "textures/earth_night_marble_2048.jpg"
WATER_MASK = "textures/earth_water_2048.png"  #: white = water
HEIGHT_MAP = "textures/earth_height_2048.png"


@functools.cache
def imagery(relpath: str) -> np.ndarray:
    """A shipped equirectangular map as a read-only uint8 array (H, W, C), decoded once."""
    from PIL import Image

    with Image.open(ASSETS / relpath) as image:
        array = np.asarray(image.convert("RGB" if image.mode not in ("L", "I", "I;16")
                                         else "L"))
    if array.ndim == 2:
        array = array[:, :, None]
    array.setflags(write=False)
    return array


def local_axes(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit east, north and up (ellipsoid normal) vectors in ITRS at geodetic points,
    each (..., 3)."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    east = np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], axis=-1)
    north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)],
                     axis=-1)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    return east, north, up


def swath_points(lat_deg, lon_deg, heading_deg, swath_km, size: int = TILE_PX
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Geodetic latitude and longitude (deg) of every pixel centre of square scenes centred on
    (lat_deg, lon_deg), rows along `heading_deg` (clockwise from north), `swath_km` across.
    Scalars give (size, size) arrays; arrays of K centres give (K, size, size)."""
    lat, lon = np.atleast_1d(lat_deg).astype(float), np.atleast_1d(lon_deg).astype(float)
    heading = np.radians(np.broadcast_to(heading_deg, lat.shape).astype(float))
    swath = np.broadcast_to(np.asarray(swath_km, float), lat.shape)
    east, north, _ = local_axes(lat, lon)
    ahead = np.cos(heading)[:, None] * north + np.sin(heading)[:, None] * east
    right = -np.sin(heading)[:, None] * north + np.cos(heading)[:, None] * east
    centre = itrs_from_geodetic(lat, lon)
    # Pixel centres at (k + 0.5) / size of the swath, from -swath/2 to +swath/2.
    offsets = (np.arange(size) + 0.5) / size - 0.5
    along = -offsets[None, :, None, None] * swath[:, None, None, None]  # row 0 ahead
    across = offsets[None, None, :, None] * swath[:, None, None, None]
    points = (centre[:, None, None, :] + along * ahead[:, None, None, :]
              + across * right[:, None, None, :])
    plat, plon, _ = geodetic_from_itrs(points.reshape(-1, 3))
    shape = (len(lat), size, size)
    plat, plon = plat.reshape(shape), plon.reshape(shape)
    if np.ndim(lat_deg) == 0:
        return plat[0], plon[0]
    return plat, plon


def sample(image: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Bilinear samples (float32, 0..255) of an equirectangular map (H, W, C) at geodetic
    points; shape lat_deg.shape + (C,). Longitude wraps; latitude clamps at the poles."""
    height, width = image.shape[:2]
    x = (np.asarray(lon_deg) + 180.0) / 360.0 * width - 0.5
    y = np.clip((90.0 - np.asarray(lat_deg)) / 180.0 * height - 0.5, 0, height - 1)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    x0, x1 = x0 % width, (x0 + 1) % width
    y1 = np.minimum(y0 + 1, height - 1)
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Scene:
    """One captured scene: where it lies, whether it is lit, and its pixels."""

    lat_deg: float  #: geodetic latitude of the centre (nadir), deg
    lon_deg: float  #: longitude of the centre, deg east
    heading_deg: float  #: ground track direction, deg clockwise from north
    swath_km: float
    sun_elevation_deg: float  #: the Sun's elevation seen from the centre, deg
    #: (TILE_PX, TILE_PX, 3) uint8 RGB: day imagery if lit, else night lights (None while a
    #: scheduled capture waits for the onboard worker to cut it)
    tile: np.ndarray | None

    @property
    def daylight(self) -> bool:
        """True when the Sun is above the horizon at the scene's centre."""
        return self.sun_elevation_deg > 0.0


def render_tile(lat: np.ndarray, lon: np.ndarray, lit: bool) -> np.ndarray:
    """RGB uint8 pixels at the given points: the day imagery, or the night lights (a night
    capture sees only the lights; the night map's faint land glow stays as it is)."""
    return as_pixels(sample(imagery(DAY_IMAGE if lit else NIGHT_IMAGE), lat, lon))


def as_pixels(rgb: np.ndarray) -> np.ndarray:
    """Float samples (0..255) rounded to uint8 pixels."""
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def sun_elevation_deg(lat_deg: float, lon_deg: float, sun_dir_itrs: np.ndarray) -> float:
    """Elevation of the Sun (unit direction in ITRS; at infinity) above the horizon of a
    geodetic point, deg."""
    _, _, up = local_axes(np.float64(lat_deg), np.float64(lon_deg))
    return float(np.degrees(np.arcsin(np.clip(up @ sun_dir_itrs, -1.0, 1.0))))


def nadir_geometry(positions_itrs_km: np.ndarray, velocities_itrs_km_s: np.ndarray,
                   sun_dir_itrs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where scenes under K satellites (ITRS positions km, Earth-fixed velocities km/s, each
    (K, 3)) would lie: geodetic latitude and longitude of nadir (deg), the ground track's
    heading (deg clockwise from north: the velocity's horizontal part) and the Sun's
    elevation there (deg); four (K,) arrays. No pixels: cheap enough for every step."""
    lat, lon, _ = geodetic_from_itrs(np.asarray(positions_itrs_km, float).reshape(-1, 3))
    # the local east, north and up axes of `local_axes`, dotted out by hand (fewer small
    # numpy calls: this runs for the satellites due in every step)
    phi, lam = np.radians(lat), np.radians(lon)
    sin_phi, cos_phi, sin_lam, cos_lam = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    vx, vy, vz = np.asarray(velocities_itrs_km_s, float).reshape(-1, 3).T
    v_east = -sin_lam * vx + cos_lam * vy
    v_north = -sin_phi * (cos_lam * vx + sin_lam * vy) + cos_phi * vz
    sx, sy, sz = np.asarray(sun_dir_itrs, float)
    sun_up = cos_phi * (cos_lam * sx + sin_lam * sy) + sin_phi * sz
    heading = np.degrees(np.arctan2(v_east, v_north))
    elevation = np.degrees(np.arcsin(np.clip(sun_up, -1.0, 1.0)))
    return lat, lon, heading, elevation


def over_water(lat_deg, lon_deg) -> np.ndarray:
    """True where the shipped water mask (WATER_MASK, ~19.6 km a pixel) says water, at geodetic
    points (the nearest pixel; oceans, seas and large lakes; sea ice counts as water)."""
    mask = imagery(WATER_MASK)
    height, width = mask.shape[:2]
    col = np.floor((np.asarray(lon_deg) + 180.0) / 360.0 * width).astype(np.int64) % width
    row = np.clip(np.floor((90.0 - np.asarray(lat_deg)) / 180.0 * height).astype(np.int64),
                  0, height - 1)
    return mask[row, col, 0] > 127


def cut_scene(lat_deg: float, lon_deg: float, heading_deg: float, swath_km: float,
              sun_elevation_deg_: float, size: int = TILE_PX) -> Scene:
    """The scene centred at a nadir point (see `nadir_geometry`): its pixels cut from the day
    imagery when the Sun is up there, else from the night lights."""
    plat, plon = swath_points(lat_deg, lon_deg, heading_deg, swath_km, size)
    tile = render_tile(plat, plon, lit=sun_elevation_deg_ > 0.0)
    tile.setflags(write=False)
    return Scene(float(lat_deg), float(lon_deg), float(heading_deg), float(swath_km),
                 float(sun_elevation_deg_), tile)


def capture_scene(position_itrs_km: np.ndarray, velocity_itrs_km_s: np.ndarray,
                  sun_dir_itrs: np.ndarray, swath_km: float, size: int = TILE_PX) -> Scene:
    """The scene under a satellite (ITRS position km, Earth-fixed velocity km/s): centred at
    nadir, rows along the ground track (the velocity's horizontal part)."""
    lat, lon, heading, elevation = nadir_geometry(position_itrs_km, velocity_itrs_km_s,
                                                  sun_dir_itrs)
    return cut_scene(lat[0], lon[0], heading[0], swath_km, elevation[0], size)
