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


def test_cached_candidates_give_the_same_links_as_a_fresh_search(network_world):
    """Steps inside and across the cache's horizon, forwards and back, find exactly the links
    that a first pass run at that very instant finds."""
    import dataclasses
    import datetime as dt

    from sim.ground import CandidateCache

    world = network_world
    searches = []

    class Counting(CandidateCache):
        def _find(self, *args):
            searches.append(1)
            return super()._find(*args)

    model = dataclasses.replace(world.model, ground_candidates=Counting(horizon_s=20.0))
    start = world.now
    # Steps of 1.7 s, a jump back, steps of 10 s, then high-warp steps of 100 s (each one
    # searched without a margin, then found by a plain first pass), then short steps again.
    offsets = [0.0, 1.7, 5.0, 11.0, 19.9, 20.1, 3.0, 45.0, 55.0, 64.9, 66.0, 166.0, 266.0,
               267.7, 280.0, 290.0]
    for offset in offsets:
        geometry = model.compute(start + dt.timedelta(seconds=offset), world.sites)
        state = geometry.state
        fresh = visible(world.sites, state.positions_itrs_km, state.online,
                        model.min_elevation_deg)
        got, want = geometry.ground, fresh
        mine = np.lexsort((got.pairs[:, 1], got.pairs[:, 0]))
        theirs = np.lexsort((want.pairs[:, 1], want.pairs[:, 0]))
        assert np.array_equal(got.pairs[mine], want.pairs[theirs]), offset
        assert np.array_equal(got.slant_km[mine], want.slant_km[theirs]), offset
        assert len(fresh.pairs) > 1000
    # margin searches at 0, 20.1, 55, 267.7 and 290 s; plain ones at 45, 166 and 266 s
    assert len(searches) == 5


def test_capped_links_are_each_sites_highest_elevation_ones(network_world):
    """With a cap, every ground point keeps exactly its `cap` highest-elevation satellites of
    the uncapped set (all of them when it sees no more), and the cut-back ones are counted."""
    state, sites = network_world.geometry.state, network_world.sites
    full = visible(sites, state.positions_itrs_km, state.online, 25.0)
    capped = visible(sites, state.positions_itrs_km, state.online, 25.0, cap=20)
    counts = np.bincount(full.pairs[:, 0], minlength=len(sites))
    assert (counts > 20).sum() > 10 and (counts <= 20).sum() > 10  # both cases occur
    assert capped.capped_sites == (counts > 20).sum() and full.capped_sites == 0
    for site in range(len(sites)):
        mine = full.pairs[:, 0] == site
        best = full.pairs[mine, 1][np.argsort(-full.sin_elevation[mine], kind="stable")[:20]]
        kept = capped.pairs[capped.pairs[:, 0] == site, 1]
        assert sorted(kept.tolist()) == sorted(best.tolist())


def test_cached_capped_candidates_keep_the_best_links_over_the_horizon(network_world):
    """The cache leaves out, for a ground point that sees many satellites, those that cannot
    be among its best within the horizon: steps across the horizon give exactly the capped
    links of a fresh, unpruned search, while far fewer candidates are tested."""
    import dataclasses
    import datetime as dt

    from sim.ground import CandidateCache

    world = network_world
    model = dataclasses.replace(world.model, ground_candidates=CandidateCache(horizon_s=20.0),
                                ground_link_cap=3)
    start = world.now
    pruned_seen = 0
    for offset in [0.0, 1.7, 5.0, 11.0, 19.9, 20.1, 3.0, 45.0, 55.0, 64.9, 66.0, 166.0]:
        geometry = model.compute(start + dt.timedelta(seconds=offset), world.sites)
        state = geometry.state
        fresh = visible(world.sites, state.positions_itrs_km, state.online,
                        model.min_elevation_deg, cap=3)
        got, want = geometry.ground, fresh
        mine = np.lexsort((got.pairs[:, 1], got.pairs[:, 0]))
        theirs = np.lexsort((want.pairs[:, 1], want.pairs[:, 0]))
        assert np.array_equal(got.pairs[mine], want.pairs[theirs]), offset
        assert np.array_equal(got.slant_km[mine], want.slant_km[theirs]), offset
        assert geometry.ground.capped_sites == fresh.capped_sites, offset
        entry = next(iter(model.ground_candidates._entries.values()))
        if entry[5].pruned is not None:
            pruned_seen = max(pruned_seen, int(entry[5].pruned.sum()))
    assert pruned_seen > 10, "the bound left candidates out for many ground points"


def test_capped_candidates_come_sorted(network_world):
    """By ground point, then satellite: routing builds its graph from them in that order."""
    from sim.ground import CandidateCache

    state, sites = network_world.geometry.state, network_world.sites
    found = CandidateCache().get(sites, 0.0, state.positions_itrs_km,
                                 state.velocities_itrs_km_s, state.online, 25.0, 20)
    keys = found.ground.astype(np.int64) * len(state.online) + found.sat
    assert len(keys) > 1000 and np.all(np.diff(keys) > 0)
