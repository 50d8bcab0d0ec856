"""Snapshots cross to the window's process through shared memory: every array arrives equal,
no file is left behind, and a block is unmapped only once nothing views it."""
import numpy as np
import pytest

from sim import worker_process as wp
from sim.snapshot import Snapshot
from sim.world import World


@pytest.fixture(scope="module")
def world():
    return World.from_scenario("cluster-2025")


def _arrays(snapshot: Snapshot) -> dict:
    return {name: value for name, value in vars(snapshot).items()
            if isinstance(value, np.ndarray)}


def test_a_snapshot_arrives_equal_and_leaves_no_file(world):
    snapshot = world.step(30.0)
    name = f"{wp.BLOCK_PREFIX}test-{id(snapshot)}"
    meta, spans = wp._to_shared(snapshot, snapshot.sat_names, name)
    assert all(start % 64 == 0 for start, _ in spans)  # each array on its own cache line
    got, block = wp._from_shared(meta, name, spans, snapshot.sat_names)
    assert not (wp.SHM_DIR / name).exists()
    sent, arrived = _arrays(snapshot), _arrays(got)
    assert sent.keys() == arrived.keys() and len(sent) > 20
    for key, value in sent.items():
        assert arrived[key].dtype == value.dtype and np.array_equal(arrived[key], value,
                                                                    equal_nan=True), key
        assert not arrived[key].flags.writeable, key
    assert got.sat_names is snapshot.sat_names  # the names went once, not with the Snapshot
    assert got.time_utc == snapshot.time_utc and got.round_trips == snapshot.round_trips
    del got, arrived
    unmapper = wp._Unmapper()
    unmapper.hold(block)
    unmapper.release()
    assert block.closed and unmapper.blocks == []


def test_a_block_stays_mapped_while_an_array_views_it(world):
    snapshot = world.step(30.0)
    name = f"{wp.BLOCK_PREFIX}test-{id(snapshot)}"
    meta, spans = wp._to_shared(snapshot, snapshot.sat_names, name)
    got, block = wp._from_shared(meta, name, spans, snapshot.sat_names)
    positions = got.positions_km
    del got
    unmapper = wp._Unmapper()
    unmapper.hold(block)
    unmapper.release()
    assert not block.closed and unmapper.blocks == [block]
    assert np.array_equal(positions, snapshot.positions_km)  # still readable
    del positions
    unmapper.release()
    assert block.closed and unmapper.blocks == []

