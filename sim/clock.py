"""The one sim clock: the presenter's warp, pause, slow motion around light-time legs and
fast-forward through waits. The World owns it; the window, the recorder and the command line
all step the World through it (`World.advance(dt_wall_s)`), none keeps a second copy.

Why the automatic speeds: light needs milliseconds for any LEO path, so at any useful warp a
packet would cross the screen in less than one frame. While a round trip is in a light-time
phase the clock slows down (by default so that each such phase lasts `LIGHT_WALL_S` wall
seconds; a script may fix the warp instead), then returns to the chosen warp. The reverse
problem: a 12-satellite cluster may wait hours for a station to see a satellite with a route;
with `fast_forward_waits` the clock speeds up through such a wait so that it passes in
`WAIT_WALL_S` seconds. Both are reported in the decision's `mode` and `note` for the screen.

Steps never jump over the start of a phase (`TripSchedule.next_boundary_s`) or past what the
sim's path search has looked at (`search_limit_s`), so no phase is skipped at high warp.

Two policies: `LIVE` (the app: every automatic speed on) and `SCRIPTED` (a scenario script,
played in the app or recorded: the script's warp governs, no fast-forward, no real-time
inference, slow motion only where the script sets a `light_warp`). Pure Python, no numpy.
"""
from __future__ import annotations

import dataclasses

#: Wall seconds each light-time phase (uplink, hops up, hops down, downlink) takes on screen
#: under the "auto" slow motion.
LIGHT_WALL_S = 1.6
#: Wall seconds a long wait for a path takes when fast-forwarding.
WAIT_WALL_S = 5.0
#: Warp while the sim searches ahead for a path (the search looks ~240 sim s per step).
SEARCH_WARP = 3000.0
#: A step lands this far past a phase boundary, so it is inside the new phase (sim s).
BOUNDARY_EPS_S = 1e-7
#: The presenter's warp range in the app (the +/- keys and the slider).
WARP_MIN, WARP_MAX = 1.0, 10000.0
#: Any warp a command or a script may set (0 stops time without pausing).
WARP_LIMIT = 1e6
#: Warp presets for the +/- keys.
WARP_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
SLOW_MOTION_MODES = ("auto", "fixed", "off")

#: Titles of the phases for the screen ("uplink: Kashi -> XS-03, 1,120 km").
PHASE_TITLES = {
    "waiting_up": "waiting for a path up", "uplink": "uplink", "hops_up": "laser hops up",
    "queue": "queue on board", "inference": "inference", "waiting_down": "waiting for a path down",
    "hops_down": "laser hops down", "downlink": "downlink", "done": "done",
    "deploy": "checkpoint deploy",
}


@dataclasses.dataclass(frozen=True)
class TripSchedule:
    """What the clock needs to know about the round trips in flight (sim seconds since the
    epoch, absolute): the Snapshot shows only phases already begun, but a clock stepping at
    high warp must not jump over a millisecond-long uplink or past what a path search has
    looked at. Made by sim/roundtrip.py `RoundTripService.schedule`."""

    active: bool = False  #: some trip is not finished
    light_phase_s: float | None = None  #: length of the shortest light-time phase under way
    light_phase: str = ""  #: its name ...
    light_detail: str = ""  #: ... and hops, e.g. "Kashi -> XS-03, 1,795 km"
    next_boundary_s: float | None = None  #: earliest phase start or end after now
    search_limit_s: float | None = None  #: how far pending path searches have looked
    waiting_until_s: float | None = None  #: end of a known wait for a path under way
    in_inference: bool = False  #: an inference phase is under way (or still generating)
    model_busy: bool = False  #: the onboard model is generating for some trip


@dataclasses.dataclass(frozen=True)
class ClockPolicy:
    """How the clock departs from the chosen warp around round trips."""

    #: "auto": each light-time phase lasts LIGHT_WALL_S wall seconds; "fixed": `light_warp`
    #: sim seconds per wall second during light-time phases; "off": no slow motion.
    slow_motion: str = "auto"
    light_warp: float = 0.0  #: with slow_motion "fixed", sim s per wall s in light phases
    fast_forward_waits: bool = True  #: speed through a long wait for a path
    realtime_inference: bool = True  #: at most x1 while the onboard model answers
    search_warp: bool = True  #: speed up to SEARCH_WARP while a path search is pending


LIVE = ClockPolicy()
SCRIPTED = ClockPolicy(slow_motion="off", fast_forward_waits=False, realtime_inference=False,
                       search_warp=False)
POLICIES = {"live": LIVE, "scripted": SCRIPTED}


def clock_policy(current: ClockPolicy, command) -> ClockPolicy:
    """The policy after a `sim.commands.SetClock`: its preset (if any) first, then each field
    it sets; UserError for an unknown preset or mode or a light warp out of range."""
    from .errors import UserError

    policy = current
    if command.preset:
        if command.preset not in POLICIES:
            raise UserError(f"clock preset must be one of {', '.join(POLICIES)}, "
                            f"got {command.preset!r}")
        policy = POLICIES[command.preset]
    changes = {name: getattr(command, name) for name in
               ("slow_motion", "light_warp", "fast_forward_waits", "realtime_inference")
               if getattr(command, name) is not None}
    if changes.get("slow_motion", policy.slow_motion) not in SLOW_MOTION_MODES:
        raise UserError(f"slow motion must be one of {', '.join(SLOW_MOTION_MODES)}, "
                        f"got {changes['slow_motion']!r}")
    if "light_warp" in changes and not 0 < changes["light_warp"] <= WARP_LIMIT:
        raise UserError(f"light warp must be above 0 and at most {WARP_LIMIT:g}, "
                        f"got {changes['light_warp']}")
    return dataclasses.replace(policy, **changes)


@dataclasses.dataclass(frozen=True)
class ClockDecision:
    """How far one step moves the sim, and why (for the screen)."""

    dt_sim_s: float
    warp: float  #: effective warp for this step (0 when paused)
    mode: str  #: "", "paused", "slow", "realtime", "fast", "wait", "search"
    note: str = ""  #: why, e.g. the light leg under way


@dataclasses.dataclass(frozen=True)
class ClockView:
    """What the Snapshot shows of the clock."""

    warp_set: float  #: the presenter's (or script's) warp, sim s per wall s
    warp: float  #: the warp of the last step (slow motion, fast-forward), 0 when paused
    paused: bool
    mode: str  #: see ClockDecision.mode
    note: str
    policy: ClockPolicy


class SimClock:
    """Warp, pause and the automatic speeds. `decide` turns wall seconds into sim seconds."""

    def __init__(self, warp: float = 1.0, policy: ClockPolicy = LIVE):
        self.warp = float(warp)
        self.paused = False
        self.policy = policy
        self.last = ClockDecision(0.0, self.warp, "")

    def view(self) -> ClockView:
        last = self.last
        if self.paused:
            last = ClockDecision(0.0, 0.0, "paused")
        elif not last.mode:  # no automatic speed: the chosen warp (also before any step)
            last = ClockDecision(last.dt_sim_s, self.warp, "")
        return ClockView(self.warp, last.warp, self.paused, last.mode, last.note, self.policy)

    def decide(self, dt_wall_s: float, now_s: float, plan: TripSchedule) -> ClockDecision:
        """How far to step the sim for `dt_wall_s` wall seconds at sim time `now_s` (s since
        the epoch) with the round trips' `plan`; remembered as `last`."""
        self.last = decide(dt_wall_s, now_s, self.warp, self.paused, plan, self.policy)
        return self.last


def decide(dt_wall_s: float, now_s: float, warp: float, paused: bool, plan: TripSchedule,
           policy: ClockPolicy = LIVE) -> ClockDecision:
    """The clock's rule, as a pure function (see the module docstring)."""
    if paused:
        return ClockDecision(0.0, 0.0, "paused")
    eff, mode, note = _speed(now_s, warp, plan, policy)
    dt = dt_wall_s * eff
    if plan.next_boundary_s is not None:  # land just inside the next phase, never past it
        dt = min(dt, max(plan.next_boundary_s - now_s, 0.0) + BOUNDARY_EPS_S)
    if plan.search_limit_s is not None:  # never run ahead of the path search
        dt = min(dt, max(plan.search_limit_s - now_s, 0.0))
    return ClockDecision(max(dt, 0.0), eff, mode, note)


def _speed(now_s: float, warp: float, plan: TripSchedule,
           policy: ClockPolicy) -> tuple[float, str, str]:
    """(effective warp, mode, note) before the boundary and search limits."""
    if plan.light_phase_s is not None and policy.slow_motion != "off":
        if policy.slow_motion == "fixed":
            slow = policy.light_warp
        else:
            slow = max(plan.light_phase_s, 1e-9) / LIGHT_WALL_S
        return min(warp, slow), "slow", light_label(plan)
    if plan.in_inference and policy.realtime_inference:
        return min(warp, 1.0), "realtime", "the onboard model answers in real time"
    if plan.waiting_until_s is not None:
        left = plan.waiting_until_s - now_s
        note = f"no path yet, the next pass is {_ahead(left)} ahead"
        if policy.fast_forward_waits and left / max(warp, 1e-9) > WAIT_WALL_S:
            return left / WAIT_WALL_S, "fast", note
        return warp, "wait", note  # the chosen warp; the wait stays on screen until it opens
    if plan.search_limit_s is not None and policy.search_warp and warp < SEARCH_WARP:
        return SEARCH_WARP, "search", "looking ahead for the next path"
    return warp, "", ""


def light_label(plan: TripSchedule) -> str:
    """'uplink: Kashi -> XS-03, 1,120 km' for the light phase under way ('' if none)."""
    if not plan.light_phase:
        return ""
    return f"{PHASE_TITLES.get(plan.light_phase, plan.light_phase)}: {plan.light_detail}"


def _ahead(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"


class FixedStepper:
    """Fixed wall-clock steps with a catch-up cap (the window loop): a slow frame runs up to
    `max_steps` steps, and time beyond that is dropped (the sim runs slow rather than
    spiralling)."""

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
    """The next warp preset above `warp` (the + key)."""
    return next((float(w) for w in WARP_STEPS if w > warp * 1.001), WARP_MAX)


def warp_down(warp: float) -> float:
    """The next warp preset below `warp` (the - key)."""
    return next((float(w) for w in reversed(WARP_STEPS) if w < warp * 0.999), WARP_MIN)


def format_warp(warp: float) -> str:
    """'x60', 'x1/420' (slow motion), 'paused'."""
    if warp <= 0:
        return "paused"
    if warp >= 1:
        return f"x{warp:,.0f}" if warp >= 10 else f"x{warp:.3g}"
    return f"x1/{1 / warp:,.0f}"
