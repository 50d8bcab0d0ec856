"""Ground links against skyfield's topocentric elevation."""
import numpy as np
from skyfield.api import EarthSatellite, wgs84

from sim import ephemeris
from sim.ground import GroundSites, visible
from sim.stations import GroundPoint, geodetic_from_itrs, itrs_from_geodetic


def test_visibility_and_elevation_match_skyfield(network_world):
    world = network_world
    snap = world.snapshot()
    site = GroundPoint("Kashi", 38.4214, 76.7144, alt_km=1.3)
    links = visible(GroundSites.of([site]), snap.positions_itrs_km, snap.online, 25.0)
    ts = ephemeris.timescale()
    t = ephemeris.skyfield_time(snap.time_utc)
    topos = wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.alt_km * 1000)
    elevations = np.array([
        (EarthSatellite.from_satrec(satrec, ts) - topos).at(t).altaz()[0].degrees
        for satrec in world.constellation.satrecs])
    expected = set(np.flatnonzero(elevations >= 25.0).tolist())
    assert set(links.pairs[:, 1].tolist()) == expected and len(expected) >= 3
    for sat, elevation in zip(links.pairs[:, 1], links.elevation_deg):
        assert abs(elevation - elevations[sat]) < 0.01


def test_geodetic_round_trip():
    lat, lon, alt = np.array([38.42, -89.0, 0.0]), np.array([76.71, 10.0, -179.0]), np.array([1.3, 550.0, 0.0])
    back = geodetic_from_itrs(itrs_from_geodetic(lat, lon, alt))
    assert np.allclose(back[0], lat, atol=1e-9) and np.allclose(back[2], alt, atol=1e-6)
    assert np.allclose(back[1][:2], lon[:2], atol=1e-9)
