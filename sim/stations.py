"""Ground points: station catalogues shipped in assets/catalog, large cities, and points the user
types as `lat,lon`. Names are matched forgivingly (case, substrings) and unknown names get the
closest suggestions.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import pathlib

import numpy as np

from .constants import WGS84_EQUATORIAL_RADIUS_KM, WGS84_FLATTENING
from .errors import UserError
from .names import match_name

ASSETS = pathlib.Path(__file__).resolve().parents[1] / "assets"
CATALOG = ASSETS / "catalog"
#: Built-in station sets a scenario may name in `[ground] sets = [...]`.
STATION_SETS = {
    "china": CATALOG / "ground_stations_china.csv",
    "commercial": CATALOG / "ground_stations_commercial.csv",
}
CITIES_FILE = CATALOG / "cities.csv"


@dataclasses.dataclass(frozen=True)
class GroundPoint:
    """A place on Earth that can link to satellites: a station, a city or a typed point."""

    name: str
    lat_deg: float
    lon_deg: float
    alt_km: float = 0.0
    kind: str = "station"  # station | city | point
    weight: float = 1.0  # share of generated traffic (population for cities)


def itrs_from_geodetic(lat_deg, lon_deg, alt_km=0.0) -> np.ndarray:
    """Earth-fixed (ITRS) position in km of geodetic latitude/longitude/height on WGS-84.
    Accepts scalars or arrays; returns (..., 3)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    e2 = WGS84_FLATTENING * (2 - WGS84_FLATTENING)
    n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    h = np.asarray(alt_km, dtype=float)
    x = (n + h) * np.cos(lat) * np.cos(lon)
    y = (n + h) * np.cos(lat) * np.sin(lon)
    z = (n * (1 - e2) + h) * np.sin(lat)
    return np.stack([x, y, z], axis=-1)


@functools.cache
def station_set(name: str) -> tuple[GroundPoint, ...]:
    """All stations of a built-in set ('china' or 'commercial')."""
    path = STATION_SETS[name]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    points = []
    for row in rows:
        label = row["name"]
        if name == "commercial":
            label = f"{row['provider']} {row['name']}"
        points.append(GroundPoint(label, float(row["lat_deg"]), float(row["lon_deg"])))
    return tuple(points)


@functools.cache
def cities() -> tuple[GroundPoint, ...]:
    """Large cities that generate inference traffic, weighted by population (millions)."""
    with CITIES_FILE.open(newline="", encoding="utf-8") as handle:
        return tuple(
            GroundPoint(row["name"], float(row["lat_deg"]), float(row["lon_deg"]), kind="city",
                        weight=float(row["population_millions"]))
            for row in csv.DictReader(handle)
        )


def find_by_name(query: str, candidates: tuple[GroundPoint, ...] | list[GroundPoint],
                 what: str = "station") -> GroundPoint:
    """The ground point `query` names (see names.match_name); UserError otherwise."""
    return candidates[match_name(query, [c.name for c in candidates], what)]


def parse_ground_point(text: str, known: tuple[GroundPoint, ...]) -> GroundPoint:
    """A `lat,lon` pair (degrees) or the name of a known station or city."""
    parts = text.split(",")
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if not -90 <= lat <= 90:
                raise UserError(f"point '{text}': latitude must be -90..90 degrees, got {lat}")
            if not -180 <= lon <= 360:
                raise UserError(f"point '{text}': longitude must be -180..360 degrees, got {lon}")
            return GroundPoint(f"{lat:.3f},{lon:.3f}", lat, lon, kind="point")
    return find_by_name(text, known, what="station or city")


def geodetic_from_itrs(xyz_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude (degrees) and height (km) on WGS-84 of Earth-fixed points
    (N,3). Bowring's method with two refinements: well under a millimetre for LEO heights."""
    x, y, z = xyz_km[:, 0], xyz_km[:, 1], xyz_km[:, 2]
    e2 = WGS84_FLATTENING * (2 - WGS84_FLATTENING)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - e2))
    for _ in range(3):
        n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1 - e2 * np.sin(lat) ** 2)
        height = p / np.maximum(np.cos(lat), 1e-12) - n
        lat = np.arctan2(z, p * (1 - e2 * n / (n + height)))
    n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1 - e2 * np.sin(lat) ** 2)
    height = p / np.maximum(np.cos(lat), 1e-12) - n
    return np.degrees(lat), np.degrees(np.arctan2(y, x)), height
