"""When satellites with a scheduled imaging payload (`every_min` > 0, sim/payload.py) are due
to image the ground below: numpy over the carriers, no Python loop over satellites.

Each carrier has a slot every `every_min` minutes of sim time (counted from the scenario's
epoch), at its own phase: the carriers of one payload are spread evenly over the period, in an
order that jumps around the constellation (rank x stride mod n, the stride near n / golden
ratio and coprime with n), so that at any moment the satellites due are scattered over the
planes rather than marching along one, and an equal number fall due in every stretch of time.

`due(t0, t1)` says which carriers have a slot in (t0, t1]. A carrier is due at most once per
step: at high warp, when a step spans several of its slots, the older ones are not caught up
but returned as a count (`extra`), so the caller can say how many it skipped.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

#: 1 / golden ratio: strides near n times this scatter consecutive slots over the carriers.
_SCATTER = (math.sqrt(5.0) - 1.0) / 2.0


def stride_for(n: int) -> int:
    """A stride coprime with `n` near n / golden ratio (1 for n <= 2): rank x stride mod n
    visits every rank once."""
    if n <= 2:
        return 1
    stride = max(1, round(n * _SCATTER))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


@dataclasses.dataclass(frozen=True)
class Due:
    """The carriers due in one step, earliest slot first."""

    sats: np.ndarray  #: satellite indices (int64)
    slot_s: np.ndarray  #: each one's latest slot in the step, sim seconds from the epoch
    extra: int  #: older slots inside the same step (high warp), not caught up


class CaptureSchedule:
    """The slots of every carrier. `sats`: satellite indices; `period_s`: each one's period
    (seconds of sim time, > 0); `phase_s`: each one's first slot after the epoch (0..period)."""

    def __init__(self, sats: np.ndarray, period_s: np.ndarray, phase_s: np.ndarray):
        self.sats = np.asarray(sats, np.int64)
        self.period_s = np.asarray(period_s, float)
        self.phase_s = np.asarray(phase_s, float)
        #: per period: (period, the carriers' indices here sorted by phase, their phases),
        #: for steps shorter than a period (each carrier due at most once: a window search)
        self._groups = []
        for period in np.unique(self.period_s):
            members = np.flatnonzero(self.period_s == period)
            members = members[np.argsort(self.phase_s[members], kind="stable")]
            self._groups.append((float(period), members, self.phase_s[members]))

    @classmethod
    def of(cls, payload_sats: dict[str, np.ndarray], every_s: dict[str, float]
           ) -> "CaptureSchedule":
        """The schedule of the payloads with a period: `payload_sats` maps a payload name to
        its carriers' indices, `every_s` to its period (0: on demand only, no slots)."""
        sats, periods, phases = [], [], []
        for name, carriers in payload_sats.items():
            period = every_s.get(name, 0.0)
            n = len(carriers)
            if period <= 0 or n == 0:
                continue
            order = (np.arange(n, dtype=np.int64) * stride_for(n)) % n
            sats.append(np.sort(np.asarray(carriers, np.int64)))
            periods.append(np.full(n, period))
            phases.append(order * (period / n))
        if not sats:
            return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        return cls(np.concatenate(sats), np.concatenate(periods), np.concatenate(phases))

    @property
    def size(self) -> int:
        """Carriers with a schedule."""
        return len(self.sats)

    def due(self, t0_s: float, t1_s: float) -> Due:
        """The carriers with a slot in (t0_s, t1_s] (nothing when t1_s <= t0_s)."""
        if not self.size or t1_s <= t0_s:
            return Due(np.zeros(0, np.int64), np.zeros(0), 0)
        if all(t1_s - t0_s < period for period, _, _ in self._groups):
            return self._due_in_window(t0_s, t1_s)
        k1 = np.floor((t1_s - self.phase_s) / self.period_s)
        slots = k1 - np.floor((t0_s - self.phase_s) / self.period_s)
        hit = np.flatnonzero(slots > 0)
        latest = self.phase_s[hit] + k1[hit] * self.period_s[hit]
        order = np.argsort(latest, kind="stable")
        return Due(self.sats[hit][order], latest[order], int(slots[hit].sum()) - len(hit))

    def _due_in_window(self, t0_s: float, t1_s: float) -> Due:
        """`due` for a step shorter than every period: the phases inside (t0, t1] modulo the
        period, found by bisection (the cost follows the carriers due, not all of them)."""
        found, slots = [], []
        for period, members, phases in self._groups:
            a, b = t0_s % period, t1_s % period
            if a < b:
                picked = members[np.searchsorted(phases, a, "right"):
                                 np.searchsorted(phases, b, "right")]
            else:  # the window wraps past the end of the period
                picked = np.concatenate([members[np.searchsorted(phases, a, "right"):],
                                         members[:np.searchsorted(phases, b, "right")]])
            found.append(picked)
            slots.append(t1_s - (b - self.phase_s[picked]) % period)
        picked, slot = np.concatenate(found), np.concatenate(slots)
        order = np.argsort(slot, kind="stable")
        return Due(self.sats[picked][order], slot[order], 0)
