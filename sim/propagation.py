"""Cheap TEME states for a World that steps in small increments: staggered exact SGP4 samples
on a fixed time grid, joined by cubic interpolation.

Each satellite keeps four exact SGP4 samples (position and velocity, TEME km and km/s) at grid
times t_{n-1}, t_n, t_{n+1}, t_{n+2} spaced H apart, and between t_n and t_{n+1} its position
and velocity are the cubic (4-point Lagrange) interpolants of those samples, each on its own.
Position is deliberately not a Hermite cubic through (p0, v0, p1, v1): SGP4's velocity is not
exactly the time derivative of its position (it leaves out the rates of some periodic terms;
measured 26 mm/s for network-2035 and 1.7 m/s for one object of the 2018 TLE catalogue), and a
Hermite cubic turns that mismatch into centimetres to metres of position error.

The satellites are split into `GROUPS` contiguous groups, each with its own `SatrecArray`;
group g's grid is offset by g*H/GROUPS, so moving the window forward (one new SGP4 sample per
satellite every H sim seconds) is spread evenly over the steps instead of every satellite
re-propagating at once. Steps of H or more (high warp) and time jumps fall back to exact SGP4
for every satellite, as `constellation.propagate` does without a source; the windows are then
rebuilt lazily on the following small steps, a few groups per step (groups still waiting are
evaluated exactly at the step time, so nothing is ever stale).

A satellite with an SGP4 error in any of its samples (decayed, ...) is evaluated exactly at
each step until its samples are clean again, so its `online` flag and coordinates are what
direct SGP4 gives.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from sgp4.api import SatrecArray

from .constellation import (SGP4_GROUPS, Constellation, SatrecGroups, group_slices,
                            utc_julian_date)

#: Sim seconds between a satellite's SGP4 samples. Interpolating in the middle interval of
#: four equally spaced samples errs by at most 9/16 * H^4/24 * max|x''''| ~ 0.023 H^4 |x''''|;
#: in LEO |x''''| ~ n^4 r ~ (1.1e-3 /s)^4 * 6,900 km ~ 1e-8 km/s^4: about 1 mm of position for
#: H = 8 s, and n times that (~0.001 mm/s) of velocity. Measured against direct SGP4 over many
#: steps (tests/sim/test_interpolation.py): worst 0.97 mm / 0.0011 mm/s for network-2035 (half
#: a day) and 3.4 mm / 0.014 mm/s for the 2018 TLE catalogue (a day; the worst is a Molniya at
#: perigee, e = 0.75; it was 8.3 mm with H = 10 s, hence 8).
SAMPLE_SPACING_S = 8.0
#: Groups with staggered sample grids; each step samples only the groups whose window it
#: left: on average N * dt / H satellite-evaluations per step of dt seconds.
GROUPS = SGP4_GROUPS
#: After a jump, this many groups per step build their windows (four samples each) while the
#: others are evaluated exactly: for GROUPS/4 steps, steps cost (1 + 3/16) times one exact
#: propagation of every satellite, instead of one step costing 4 times that.
REBUILD_GROUPS_PER_STEP = GROUPS // 16


class StaggeredPropagator:
    """TEME states of a constellation at successive instants (one owner; not thread-safe).

    `teme(when)` returns what SGP4 gives at `when` to within the interpolation error above.
    `evaluations` counts satellite-evaluations of SGP4 (for tests and measurements).
    """

    def __init__(self, constellation: Constellation, reference: dt.datetime,
                 spacing_s: float = SAMPLE_SPACING_S, groups: int = GROUPS,
                 rebuild_per_step: int = REBUILD_GROUPS_PER_STEP):
        self.constellation = constellation
        self.reference = reference
        self.spacing_s = float(spacing_s)
        n = constellation.size
        self._slices = group_slices(n, groups)
        k = self.groups = len(self._slices)
        self.rebuild_per_step = max(1, rebuild_per_step)
        self._sizes = np.array([s.stop - s.start for s in self._slices], int)
        shared = constellation.sat_array
        if isinstance(shared, SatrecGroups) and shared.slices == self._slices:
            self._arrays = shared.arrays  # the constellation's own records: no second copy
        else:
            self._arrays = [SatrecArray(constellation.satrecs[s]) for s in self._slices] \
                if n else []
        self._offsets = np.arange(k) * self.spacing_s / k
        # Ring of four samples per satellite; grid index j lives in slot j % 4. Positions and
        # velocities apart, so that what `teme` hands out is contiguous: (N,3) @ (3,3) on a
        # strided view skips BLAS and cost 1 s per step at a million satellites.
        self._samples_r = np.zeros((4, n, 3))  # km, TEME
        self._samples_v = np.zeros((4, n, 3))  # km/s, TEME
        self._errors = np.zeros((4, n), np.uint8)
        self._held = np.full((k, 4), np.iinfo(np.int64).min, np.int64)  # grid index per slot
        self._bad: list[np.ndarray] = [np.zeros(0, int)] * k  # per group: errored samples
        self._bad_arrays: list[SatrecArray | None] = [None] * k
        self._r = np.empty((n, 3))  # the interpolated r, v handed out by `teme`
        self._v = np.empty((n, 3))
        self._last_t: float | None = None
        self.evaluations = 0
        self.exact_steps = 0  # calls answered by exact SGP4 for every satellite

    # --- public ---------------------------------------------------------------------------

    def teme(self, when: dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(online (N,) bool, r (N,3) km, v (N,3) km/s) in TEME at UTC `when`; r and v are
        NaN where SGP4 reports an error, as with `SatrecArray.sgp4`. r and v may be views of a
        buffer that the next call overwrites: copy them to keep them."""
        t = (when - self.reference).total_seconds()
        if self.constellation.size == 0 or self._last_t is None or \
                abs(t - self._last_t) >= self.spacing_s:
            self._last_t = t
            return self._exact_all(when)
        self._last_t = t
        h = self.spacing_s
        index = np.floor((t - self._offsets) / h).astype(np.int64)  # t in [t_n, t_n+1]
        index[self._offsets + index * h > t] -= 1  # floating-point edges
        index[self._offsets + (index + 1) * h < t] += 1
        needed = index[:, None] + np.arange(-1, 3)  # (K,4) grid indices n-1 .. n+2
        slots = needed % 4
        have = np.take_along_axis(self._held, slots, axis=1) == needed
        direct: list[int] = []
        budget = self.rebuild_per_step
        for g in np.flatnonzero(~have.all(axis=1)):
            missing = np.flatnonzero(~have[g])
            if len(missing) > 2:  # a window to build from scratch: a few groups per step
                if budget == 0:
                    direct.append(int(g))
                    continue
                budget -= 1
            for k in missing:
                self._sample(int(g), int(needed[g, k]))
            self._note_errors(int(g))
        return self._interpolate(when, t, index, slots, direct)

    # --- internals --------------------------------------------------------------------------

    def _sgp4(self, array: SatrecArray, count: int, when: dt.datetime):
        jd, fr = utc_julian_date(when)
        errors, r, v = array.sgp4(np.array([jd]), np.array([fr]))
        self.evaluations += count
        return errors[:, 0], r[:, 0, :], v[:, 0, :]

    def _exact_all(self, when: dt.datetime):
        self.exact_steps += 1
        self._held[:] = np.iinfo(np.int64).min  # windows are rebuilt on later small steps
        errors, r, v = self._sgp4(self.constellation.sat_array, self.constellation.size, when)
        return errors == 0, r, v

    def _sample(self, g: int, j: int) -> None:
        """Exact SGP4 for group g at its grid time j into slot j % 4."""
        sl, slot = self._slices[g], j % 4
        when = self.reference + dt.timedelta(seconds=float(self._offsets[g] + j * self.spacing_s))
        errors, r, v = self._sgp4(self._arrays[g], int(self._sizes[g]), when)
        self._samples_r[slot, sl] = r
        self._samples_v[slot, sl] = v
        self._errors[slot, sl] = errors
        self._held[g, slot] = j

    def _note_errors(self, g: int) -> None:
        sl = self._slices[g]
        bad = np.flatnonzero(self._errors[:, sl].any(axis=0)) + sl.start
        if len(bad) or len(self._bad[g]):
            self._bad[g] = bad
            self._bad_arrays[g] = SatrecArray(
                [self.constellation.satrecs[i] for i in bad]) if len(bad) else None

    def _interpolate(self, when: dt.datetime, t: float, index: np.ndarray, slots: np.ndarray,
                     direct: list[int]):
        x = (t - (self._offsets + index * self.spacing_s)) / self.spacing_s  # (K,) in [0, 1]
        weights = np.empty((self.groups, 4))  # Lagrange weights of nodes -1, 0, 1, 2
        weights[:, 0] = -x * (x - 1) * (x - 2) / 6
        weights[:, 1] = (x + 1) * (x - 1) * (x - 2) / 2
        weights[:, 2] = -(x + 1) * x * (x - 2) / 2
        weights[:, 3] = (x + 1) * x * (x - 1) / 6
        by_slot = np.empty_like(weights)
        np.put_along_axis(by_slot, slots, weights, axis=1)
        r, v = self._r, self._v  # reused: page-faulting fresh arrays costs more than the sums
        for g, sl in enumerate(self._slices):  # matrix-vector products per group (BLAS:
            # run.py keeps it on one thread, where it beats einsum: 21 against 38 us a group
            # at a million satellites)
            np.dot(by_slot[g], self._samples_r[:, sl].reshape(4, -1), out=r[sl].reshape(-1))
            np.dot(by_slot[g], self._samples_v[:, sl].reshape(4, -1), out=v[sl].reshape(-1))
        online = np.ones(len(r), bool)
        for g in direct:  # windows not built yet: exact SGP4 at `when`
            sl = self._slices[g]
            errors, r[sl], v[sl] = self._sgp4(self._arrays[g], int(self._sizes[g]), when)
            online[sl] = errors == 0
        waiting = set(direct)
        for g, array in enumerate(self._bad_arrays):
            if array is None or g in waiting:
                continue
            idx = self._bad[g]
            errors, r[idx], v[idx] = self._sgp4(array, len(idx), when)
            online[idx] = errors == 0
        return online, r, v

