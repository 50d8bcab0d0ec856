"""The live loop's sim clock: fixed steps with a catch-up cap, the presenter's warp, and the
automatic slow motion / fast-forward around prompt round trips.

Why the automatic speeds: light needs milliseconds for any LEO path, so at any useful warp a
packet would cross the screen in less than one frame. While a round trip is in a light-time
phase the clock slows down so that each such phase lasts about `LIGHT_WALL_S` wall seconds,
then returns to the chosen warp. The reverse problem: a 12-satellite cluster may wait hours
for a station to see a satellite with a route; with `auto_fast_forward` the clock speeds up
through such a wait so that it passes in a few seconds. Both are shown on screen.

Steps never jump over the start of a phase (`TripTiming.next_boundary_s`) or past what the
sim's path search has looked at (`search_limit_s`), so no phase is skipped at high warp.
Pure Python: tested without a window.
"""
from __future__ import annotations

import dataclasses

#: Wall seconds each light-time phase (uplink, hops up, hops down, downlink) takes on screen.
LIGHT_WALL_S = 1.6
#: Wall seconds a long wait for a path takes when fast-forwarding.
WAIT_WALL_S = 5.0
#: Warp while the sim searches ahead for a path (the search looks ~240 sim s per step).
SEARCH_WARP = 3000.0
#: A step lands this far past a phase boundary, so it is inside the new phase (sim s).
BOUNDARY_EPS_S = 1e-7
WARP_MIN, WARP_MAX = 1.0, 10000.0
#: Warp presets for the +/- keys.
WARP_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


@dataclasses.dataclass
class TripTiming:
    """What the round trips in flight need from the clock now (all sim seconds, absolute)."""

    light_phase_s: float | None = None  #: duration of the shortest light phase under way
    light_label: str = ""  #: e.g. "uplink Kashi -> SAT-7, 1,120 km"
    next_boundary_s: float | None = None  #: earliest phase start/end after now
    search_limit_s: float | None = None  #: how far pending path searches have looked
    waiting_until_s: float | None = None  #: end of a known wait for a path under way
    in_inference: bool = False  #: a trip's model is generating (or its inference phase runs)
    active: bool = False  #: any trip not finished yet


@dataclasses.dataclass
class ClockDecision:
    dt_sim_s: float
    warp: float  #: effective warp for this step
    mode: str  #: "", "paused", "slow", "realtime", "fast", "wait", "search"
    note: str = ""  #: why, for the screen


def decide(dt_wall_s: float, now_s: float, warp: float, paused: bool, timing: TripTiming,
           auto_fast_forward: bool = True) -> ClockDecision:
    """How far to step the sim for `dt_wall_s` wall seconds, given the chosen `warp`."""
    if paused:
        return ClockDecision(0.0, 0.0, "paused")
    eff, mode, note = warp, "", ""
    if timing.light_phase_s is not None:
        eff = min(warp, max(timing.light_phase_s, 1e-9) / LIGHT_WALL_S)
        mode, note = "slow", timing.light_label
    elif timing.in_inference:
        eff, mode = min(warp, 1.0), "realtime"
        note = "the onboard model answers in real time"
    elif timing.waiting_until_s is not None:
        left = timing.waiting_until_s - now_s
        if auto_fast_forward and left / max(warp, 1e-9) > WAIT_WALL_S:
            eff, mode = left / WAIT_WALL_S, "fast"
        else:  # the chosen warp, but the wait stays on screen until the path opens
            mode = "wait"
        note = f"no path yet, the next pass is {_ahead(left)} ahead"
    elif timing.search_limit_s is not None and auto_fast_forward and warp < SEARCH_WARP:
        eff, mode, note = SEARCH_WARP, "search", "looking ahead for the next path"
    dt = dt_wall_s * eff
    if timing.next_boundary_s is not None:  # land just inside the next phase, never past it
        dt = min(dt, max(timing.next_boundary_s - now_s, 0.0) + BOUNDARY_EPS_S)
    if timing.search_limit_s is not None:  # never run ahead of the path search
        dt = min(dt, max(timing.search_limit_s - now_s, 0.0))
    return ClockDecision(max(dt, 0.0), eff, mode, note)


def _ahead(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"


class FixedStepper:
    """Fixed wall-clock steps with a catch-up cap: a slow frame runs up to `max_steps` steps,
    and time beyond that is dropped (the sim runs slow rather than spiralling)."""

    def __init__(self, step_s: float = 1 / 30, max_steps: int = 3):
        self.step_s = step_s
        self.max_steps = max_steps
        self.accumulator = 0.0
        self.dropped_s = 0.0  #: wall time dropped by the cap so far

    def steps(self, frame_dt_s: float) -> int:
        """Number of fixed steps to run for a frame that took `frame_dt_s` wall seconds."""
        self.accumulator += max(frame_dt_s, 0.0)
        n = min(int(self.accumulator / self.step_s), self.max_steps)
        self.accumulator -= n * self.step_s
        if self.accumulator > self.step_s:
            self.dropped_s += self.accumulator - self.step_s
            self.accumulator = self.step_s * 0.999
        return n


def warp_up(warp: float) -> float:
    return next((float(w) for w in WARP_STEPS if w > warp * 1.001), WARP_MAX)


def warp_down(warp: float) -> float:
    return next((float(w) for w in reversed(WARP_STEPS) if w < warp * 0.999), WARP_MIN)


def format_warp(warp: float) -> str:
    """'x60', 'x1/420' (slow motion), 'paused'."""
    if warp <= 0:
        return "paused"
    if warp >= 1:
        return f"x{warp:,.0f}" if warp >= 10 else f"x{warp:.3g}"
    return f"x1/{1 / warp:,.0f}"
