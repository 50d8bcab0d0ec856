"""A Snapshot as the frame draws it: moved on by the frame's `ahead_s` sim seconds.

The sim steps on its own thread (sim/runner.py) and a frame falls between two Snapshots. The
GPU moves every satellite on (shaders/include/satdata.glsl); the CPU's users of positions
(picking, labels, the followed camera, the Earth's turn, station positions, the layers that
build buffers from positions) read them from a `SnapshotAhead`, which computes the same sums
(sim/ahead.py) only for what is asked: a label asks for one satellite, picking for all.

Everything else (names, links, loads, round trips) is the Snapshot's own: topology and load
change only with the next step.
"""
from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from sim.ahead import earth_turned, positions_ahead
from sim.stations import geodetic_from_itrs


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class SnapshotAhead:
    """`snapshot` seen `ahead_s` sim seconds later (positions, velocities, the Earth's turn).
    Attributes not moved on are the Snapshot's own (read through to it)."""

    def __init__(self, snapshot, ahead_s: float):
        self.stepped = snapshot  #: the Snapshot as the sim made it
        self.ahead_s = float(ahead_s)

    def __getattr__(self, name: str):
        return getattr(self.stepped, name)

    @functools.cached_property
    def time_utc(self) -> dt.datetime:
        """The instant drawn (the caption and the panel's clock show it)."""
        return self.stepped.time_utc + dt.timedelta(seconds=self.ahead_s)

    @functools.cached_property
    def selected_geodetic(self) -> np.ndarray:
        """WGS-84 latitude, longitude (deg), altitude (km) of the selection where it is drawn."""
        i = int(self.stepped.selected)
        if not 0 <= i < self.stepped.n_sats:
            return self.stepped.selected_geodetic
        fixed = self.itrs_to_gcrs.T @ self.sat_positions(i)
        return _read_only(np.array([float(v[0]) for v in geodetic_from_itrs(fixed[None])]))

    @functools.cached_property
    def itrs_to_gcrs(self) -> np.ndarray:
        return _read_only(earth_turned(self.stepped.itrs_to_gcrs, self.ahead_s))

    @functools.cached_property
    def station_positions_km(self) -> np.ndarray:
        st = np.asarray(self.stepped.station_positions_itrs_km, np.float64).reshape(-1, 3)
        return _read_only(st @ self.itrs_to_gcrs.T)

    @functools.cached_property
    def positions_km(self) -> np.ndarray:
        """(N,3) float64 GCRS km of every satellite at the frame's time (computed once)."""
        return _read_only(self.sat_positions(slice(None)))

    @functools.cached_property
    def velocities_km_s(self) -> np.ndarray:
        return _read_only(self.sat_velocities(slice(None)))

    @functools.cached_property
    def flow_paths_km(self) -> np.ndarray:
        """(F,P,3) the traffic routes at the frame's time: satellite points moved on, ground
        ends turned with the Earth."""
        snap = self.stepped
        paths = np.array(snap.flow_paths_km, np.float64)
        index = np.asarray(snap.flow_sat_index)
        if not paths.size:
            return _read_only(paths)
        on_sat = index >= 0
        paths[on_sat] = self.sat_positions(index[on_sat])
        turn = self.itrs_to_gcrs @ np.asarray(snap.itrs_to_gcrs, np.float64).T
        paths[~on_sat] = paths[~on_sat] @ turn.T
        return _read_only(paths.astype(np.float32))

    def sat_positions(self, indices) -> np.ndarray:
        """GCRS km of the satellites `indices` (an index, array or slice) at the frame's time."""
        snap = self.stepped
        pos = snap.positions_km[indices]
        return positions_ahead(pos, snap.velocities_km_s[indices], self.ahead_s).reshape(pos.shape)

    def sat_velocities(self, indices) -> np.ndarray:
        """GCRS km/s of the satellites `indices` at the frame's time: the velocity's change
        over `ahead_s` from the same series, taken as the difference over one second."""
        snap = self.stepped
        pos, vel = snap.positions_km[indices], snap.velocities_km_s[indices]
        later = positions_ahead(pos, vel, self.ahead_s + 0.5)
        earlier = positions_ahead(pos, vel, self.ahead_s - 0.5)
        return (later - earlier).reshape(np.shape(vel))


def snapshot_at_frame(snapshot, ahead_s: float):
    """`snapshot` itself when the frame is at its instant, else a SnapshotAhead. Given one
    already (the window makes it for picking and the camera), the same object when it is at
    `ahead_s`: its cached positions serve the whole frame."""
    if isinstance(snapshot, SnapshotAhead):
        if snapshot.ahead_s == float(ahead_s):
            return snapshot
        snapshot = snapshot.stepped
    return snapshot if ahead_s == 0.0 else SnapshotAhead(snapshot, ahead_s)


def as_stepped(snapshot):
    """The Snapshot as the sim made it, whether `snapshot` is one or a SnapshotAhead."""
    return snapshot.stepped if isinstance(snapshot, SnapshotAhead) else snapshot
