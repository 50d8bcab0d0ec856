"""The Snapshot as a frame past it draws it (viz/ahead.py): every CPU reader sees the positions
the shaders draw, and the ground turns with the Earth."""
import numpy as np
import pytest

from sim.ahead import positions_ahead
from viz.ahead import SnapshotAhead, snapshot_at_frame


def test_at_its_own_instant_the_frame_reads_the_snapshot(snapshot):
    assert snapshot_at_frame(snapshot, 0.0) is snapshot
    assert isinstance(snapshot_at_frame(snapshot, 3.0), SnapshotAhead)


def test_positions_move_on_and_agree_per_index(snapshot):
    drawn = SnapshotAhead(snapshot, 90.0)
    expect = positions_ahead(snapshot.positions_km, snapshot.velocities_km_s, 90.0)
    assert np.allclose(drawn.positions_km, expect)
    assert np.allclose(drawn.sat_positions(7), expect[7])
    assert np.allclose(drawn.sat_positions(np.array([3, 1])), expect[[3, 1]])
    with pytest.raises(ValueError):
        drawn.positions_km[0, 0] = 1.0  # read-only like the Snapshot's own arrays
    # velocity: the derivative of the same motion (1 s central difference)
    assert np.allclose(drawn.sat_velocities(7),
                       positions_ahead(snapshot.positions_km[7:8],
                                       snapshot.velocities_km_s[7:8], 90.5)[0]
                       - positions_ahead(snapshot.positions_km[7:8],
                                         snapshot.velocities_km_s[7:8], 89.5)[0])
    assert drawn.sat_names is snapshot.sat_names  # the rest is the Snapshot's own


def test_the_ground_turns_with_the_earth(snapshot):
    drawn = SnapshotAhead(snapshot, 600.0)
    # Earth-fixed coordinates of stations are the same before and after
    fixed_before = np.asarray(snapshot.station_positions_km) @ snapshot.itrs_to_gcrs
    fixed_after = drawn.station_positions_km @ drawn.itrs_to_gcrs
    assert np.allclose(fixed_before, fixed_after, atol=1e-6)
    assert not np.allclose(drawn.station_positions_km, snapshot.station_positions_km, atol=1.0)


def test_routes_follow_their_satellites_and_ground_ends():
    from sim.world import World

    world = World.from_scenario("network-2035")
    for _ in range(5):
        snapshot = world.step(2.0)  # traffic under way
    drawn = SnapshotAhead(snapshot, 60.0)
    index = np.asarray(snapshot.flow_sat_index)
    on_sat = index >= 0
    assert on_sat.any() and (~on_sat).any()
    paths = drawn.flow_paths_km
    assert np.allclose(paths[on_sat], drawn.positions_km[index[on_sat]], atol=0.01)
    before = np.asarray(snapshot.flow_paths_km, np.float64)[~on_sat] @ snapshot.itrs_to_gcrs
    after = paths[~on_sat].astype(np.float64) @ drawn.itrs_to_gcrs
    assert np.allclose(before, after, atol=0.01)


def test_the_clock_and_the_selection_read_the_instant_drawn():
    import dataclasses

    from sim.stations import geodetic_from_itrs
    from viz.synthetic import make_snapshot

    snapshot = dataclasses.replace(make_snapshot(planes=2, per_plane=4), selected=3)
    drawn = SnapshotAhead(snapshot, 30.0)
    assert (drawn.time_utc - snapshot.time_utc).total_seconds() == 30.0
    fixed = drawn.itrs_to_gcrs.T @ drawn.positions_km[3]
    lat, lon, alt = (float(v[0]) for v in geodetic_from_itrs(fixed[None]))
    assert np.allclose(drawn.selected_geodetic, (lat, lon, alt))


def test_a_frame_reuses_the_snapshot_ahead_it_was_given(snapshot):
    """The window makes the frame's SnapshotAhead; the renderer, given it, draws the same
    object (its positions computed once a frame) and the stepped Snapshot under it."""
    from viz.ahead import as_stepped

    drawn = snapshot_at_frame(snapshot, 4.0)
    assert snapshot_at_frame(drawn, 4.0) is drawn
    again = snapshot_at_frame(drawn, 9.0)  # another instant: moved on from the stepped one
    assert again.stepped is snapshot and again.ahead_s == 9.0
    assert snapshot_at_frame(drawn, 0.0) is snapshot
    assert as_stepped(drawn) is snapshot and as_stepped(snapshot) is snapshot
