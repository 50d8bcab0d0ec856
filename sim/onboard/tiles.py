"""Labelled tiles for the on-board vision model, cut from the shipped imagery (sim/scene.py).

A tile's label is decided per tile from its pixels' ground points (the same points the tile is
sampled at), by these rules in this order (assets/vision/TRAINING.md says the same):

    night       the scene is unlit: rendered from the night-lights map instead of the day one
    ice         half or more of its pixels are white in the day imagery (min(R, G, B) >= 180)
    ocean       half or more of its pixels are water in the water mask (earth_water_2048.png)
    urban       a tenth or more of its pixels are lit at night (night-lights luminance >= 128
                in earth_night_marble_2048.jpg): cities and the settled farmland around them
    desert      half or more of its land pixels that are not white are bare: red >= green in
                the day imagery (sand, rock and dry steppe are reddish, plants green)
    vegetation  every other land tile

The model sees only the tile's RGB pixels; the water mask and the night lights are outside
truth it must learn to recognise from colour and texture (the urban class is the hard one: at
~10 km per pixel of the day imagery a city is a few greyish pixels).

Centres: uniform on the sphere, a share `CITY_SHARE` near large cities instead (labels still
follow the rules: a city tile may well be ocean or vegetation).

Held-out tiles: every tile whose ground points all lie in one of `HELDOUT_BANDS` (longitude
bands over North America's interior and South Asia); training tiles have no point in them.
"""
from __future__ import annotations

import numpy as np

from sim import scene

CLASSES: tuple[str, ...] = ("ocean", "ice", "desert", "vegetation", "urban", "night")
#: Longitude bands (deg east, [low, high)) kept out of training, for validation.
HELDOUT_BANDS: tuple[tuple[float, float], ...] = ((-110.0, -90.0), (70.0, 90.0))
#: Swath widths the tiles are cut at, km (uniform): around the payloads' 290 km.
SWATH_RANGE_KM = (100.0, 400.0)
#: Share of tiles rendered as night scenes.
NIGHT_SHARE = 1 / 6
#: Share of open-water centres kept (the rest redrawn), so that land classes are not rare.
WATER_KEEP = 0.3
#: Share of centres drawn near a large city of assets/catalog/cities.csv (within ~1 deg), so
#: that lit (urban) tiles are not rare; the rest are uniform on the sphere.
CITY_SHARE = 0.2

WHITE_MIN = 180  #: min(R, G, B) at or above this: snow or ice
LIT_MIN = 128  #: night-lights luminance at or above this: lit
ICE_SHARE, WATER_SHARE, LIT_SHARE, BARE_SHARE = 0.5, 0.5, 0.1, 0.5


def label_points(lat: np.ndarray, lon: np.ndarray, night: np.ndarray,
                 day: np.ndarray | None = None) -> np.ndarray:
    """Class index (into CLASSES) of each tile (K, size, size points) by the module's rules;
    `night` (K,) says which tiles are night scenes; `day`: the day imagery sampled at the
    points, if the caller has it already."""
    if day is None:
        day = scene.sample(scene.imagery(scene.DAY_IMAGE), lat, lon)
    water = scene.sample(scene.imagery(scene.WATER_MASK), lat, lon)[..., 0] >= 128
    lights = scene.sample(scene.imagery(scene.NIGHT_IMAGE), lat, lon) @ \
        np.array([0.299, 0.587, 0.114], np.float32)
    white = day.min(axis=-1) >= WHITE_MIN
    bare = day[..., 0] >= day[..., 1]
    axes = (1, 2)
    land = ~water & ~white
    bare_share = (bare & land).sum(axis=axes) / np.maximum(land.sum(axis=axes), 1)
    labels = np.full(len(lat), CLASSES.index("vegetation"))
    labels[bare_share >= BARE_SHARE] = CLASSES.index("desert")
    labels[(lights >= LIT_MIN).mean(axis=axes) >= LIT_SHARE] = CLASSES.index("urban")
    labels[water.mean(axis=axes) >= WATER_SHARE] = CLASSES.index("ocean")
    labels[white.mean(axis=axes) >= ICE_SHARE] = CLASSES.index("ice")
    labels[np.asarray(night, bool)] = CLASSES.index("night")
    return labels


def in_bands(lon: np.ndarray) -> np.ndarray:
    """True where a longitude (deg, any range) lies in a held-out band."""
    wrapped = (np.asarray(lon) + 180.0) % 360.0 - 180.0
    return np.any([(wrapped >= lo) & (wrapped < hi) for lo, hi in HELDOUT_BANDS], axis=0)


def _centres(rng: np.random.Generator, count: int, heldout: bool
              ) -> tuple[np.ndarray, np.ndarray]:
    """Random scene centres (deg): uniform on the sphere (in the held-out bands or
    anywhere), a share CITY_SHARE of them jittered around large cities (of those bands)."""
    from sim.stations import cities

    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    if heldout:
        band = np.array(HELDOUT_BANDS)[rng.integers(len(HELDOUT_BANDS), size=count)]
        lon = rng.uniform(band[:, 0], band[:, 1])
    else:
        lon = rng.uniform(-180.0, 180.0, count)
    towns = np.array([(c.lat_deg, c.lon_deg) for c in cities()])
    towns = towns[in_bands(towns[:, 1]) == heldout]
    near = rng.random(count) < CITY_SHARE
    pick = towns[rng.integers(len(towns), size=int(near.sum()))]
    lat[near] = np.clip(pick[:, 0] + rng.normal(0.0, 1.0, len(pick)), -89.0, 89.0)
    lon[near] = pick[:, 1] + rng.normal(0.0, 1.0, len(pick))
    return lat, lon


def _corners_fit(lat, lon, heading, swath, size: int, heldout: bool) -> np.ndarray:
    """False for tiles whose corner pixels already break the held-out rule (a cheap first
    cut: the corner pixel centres lie (size - 1) / (2 size) of the swath from the centre, as
    a 2 x 2 grid over a swath of 2 (size - 1) / size of it)."""
    _, clon = scene.swath_points(lat, lon, heading, swath * (2 * (size - 1) / size), 2)
    return _fits(clon, heldout)


def _fits(lon_grid: np.ndarray, heldout: bool) -> np.ndarray:
    """(K,) tiles whose (K, n, n) pixel longitudes lie wholly inside HELDOUT_BANDS when
    `heldout`, else wholly outside them."""
    inside = in_bands(lon_grid)
    return inside.all(axis=(1, 2)) if heldout else ~inside.any(axis=(1, 2))


def make_tiles(seed: int, count: int, heldout: bool, size: int = scene.TILE_PX
               ) -> tuple[np.ndarray, np.ndarray]:
    """`count` tiles (K, size, size, 3) uint8 and their labels (K,), from random centres
    (uniform on the sphere, open water thinned by WATER_KEEP), headings and swaths;
    `heldout`: only tiles wholly inside HELDOUT_BANDS, else only tiles wholly outside them.
    Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    tiles, labels = [], []
    have = 0
    while have < count:
        batch = 512
        lat, lon = _centres(rng, batch, heldout)
        heading = rng.uniform(0.0, 360.0, batch)
        swath = rng.uniform(*SWATH_RANGE_KM, batch)
        night = rng.random(batch) < NIGHT_SHARE
        keep_water = rng.random(batch) < WATER_KEEP
        centre_water = scene.sample(scene.imagery(scene.WATER_MASK), lat, lon)[:, 0] >= 128
        keep = _corners_fit(lat, lon, heading, swath, size, heldout) & (~centre_water
                                                                         | keep_water)
        plat, plon = scene.swath_points(lat[keep], lon[keep], heading[keep], swath[keep], size)
        fits = _fits(plon, heldout)
        plat, plon, night = plat[fits], plon[fits], night[keep][fits]
        day = scene.sample(scene.imagery(scene.DAY_IMAGE), plat, plon)
        batch_tiles = scene.as_pixels(day)
        batch_tiles[night] = scene.render_tile(plat[night], plon[night], lit=False)
        tiles.append(batch_tiles)
        labels.append(label_points(plat, plon, night, day))
        have += len(batch_tiles)
    return np.concatenate(tiles)[:count], np.concatenate(labels)[:count]


#: The held-out set: this seed and count (the training script records them, the test
#: regenerates the same tiles).
HELDOUT_SEED = 20260115
HELDOUT_COUNT = 600
