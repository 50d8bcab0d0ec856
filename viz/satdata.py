"""Per-satellite GPU data shared by every layer that needs satellite positions: three float
textures, 1024 texels per row, indexed by satellite (see shaders/include/satdata.glsl).

`u_sat_pos`  RGBA32F: xyz GCRS position, km (w unused)
`u_sat_vel`  RGBA32F: xyz GCRS velocity, km/s (w unused): the shaders move each satellite on
             by the frame's `u_ahead_s` sim seconds past the Snapshot (sim/ahead.py)
`u_sat_state` RGBA32F: role code, sunlit 0/1, utilisation 0..1, online 0/1

Uploads happen only when the snapshot's `positions` / `load` / `satellites` versions change; a
frame with nothing new uploads nothing. The float64 -> float32 conversion writes into a
preallocated staging array (no per-frame allocation at 100,000 satellites).
"""
from __future__ import annotations

import numpy as np

from viz.glutil import Versions

ROW = 1024
POS_UNIT, STATE_UNIT, VEL_UNIT = 0, 1, 2  #: texture units the shaders' samplers are bound to


class SatelliteData:
    def __init__(self, ctx):
        self.ctx = ctx
        self.n = 0
        self._rows = 0
        self._pos = self._state = self._vel = None
        self._stage_pos = self._stage_state = None
        self._versions = Versions()

    def _allocate(self, n: int) -> None:
        rows = max((n + ROW - 1) // ROW, 1)
        if rows != self._rows:
            self.release()
            self._rows = rows
            self._pos = self.ctx.texture((ROW, rows), 4, dtype="f4")
            self._state = self.ctx.texture((ROW, rows), 4, dtype="f4")
            self._vel = self.ctx.texture((ROW, rows), 4, dtype="f4")
            for tex in (self._pos, self._state, self._vel):
                tex.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
            self._stage_pos = np.zeros((rows * ROW, 4), np.float32)
            self._stage_state = np.zeros((rows * ROW, 4), np.float32)
            self._versions.reset()
        self.n = n

    def update(self, snapshot) -> None:
        n = snapshot.n_sats
        self._allocate(n)
        v = self._versions
        pos_changed = v.changed(snapshot, "positions", n)
        if pos_changed:
            self._stage_pos[:n, :3] = snapshot.positions_km
            self._stage_pos[n:, :3] = 0.0
            self._pos.write(self._stage_pos)
            self._stage_pos[:n, :3] = snapshot.velocities_km_s  # the same staging, in turn
            self._vel.write(self._stage_pos)
        roles = v.changed(snapshot, "satellites", n)
        load = v.changed(snapshot, "load", n)
        if pos_changed or roles or load:
            st = self._stage_state
            st[:n, 0] = snapshot.roles
            st[:n, 1] = snapshot.sunlit
            st[:n, 2] = snapshot.utilisation
            st[:n, 3] = snapshot.online
            st[n:, 3] = 0.0
            self._state.write(st)

    def bind(self) -> None:
        if self._pos is not None:
            self._pos.use(POS_UNIT)
            self._state.use(STATE_UNIT)
            self._vel.use(VEL_UNIT)

    def uniforms(self) -> dict:
        return dict(u_sat_pos=POS_UNIT, u_sat_state=STATE_UNIT, u_sat_vel=VEL_UNIT)

    def release(self) -> None:
        for tex in (self._pos, self._state, self._vel):
            if tex is not None:
                tex.release()
        self._pos = self._state = self._vel = None
        self._rows = 0
