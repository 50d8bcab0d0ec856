"""Round trips for the app: the clock's view of what is scheduled, and the conversation log's
text (phases with their times).

`trip_timing` reads the World's round-trip schedule beyond the Snapshot: the Snapshot shows
only phases already begun, but the clock must know when the next one starts (so a step at high
warp does not jump over a millisecond-long uplink) and how far the path search has looked.
"""
from __future__ import annotations

from viz.ui.clock import TripTiming

LIGHT = ("uplink", "hops_up", "hops_down", "downlink")
WAITS = ("waiting_up", "waiting_down")
PHASE_TITLES = {
    "waiting_up": "waiting for a path up", "uplink": "uplink", "hops_up": "laser hops up",
    "queue": "queue on board", "inference": "inference", "waiting_down": "waiting for a path down",
    "hops_down": "laser hops down", "downlink": "downlink", "done": "done",
}


def trip_timing(world) -> TripTiming:
    """What the clock needs about the trips in flight (the sim's own schedule, see
    sim/roundtrip.py RoundTripService.schedule), with the light phase titled for the screen."""
    plan = world.round_trips.schedule(world.sim_time_s)
    label = (f"{PHASE_TITLES.get(plan.light_phase, plan.light_phase)}: {plan.light_detail}"
             if plan.light_phase else "")
    return TripTiming(light_phase_s=plan.light_phase_s, light_label=label,
                      next_boundary_s=plan.next_boundary_s, search_limit_s=plan.search_limit_s,
                      waiting_until_s=plan.waiting_until_s, in_inference=plan.in_inference,
                      active=plan.active)


def model_busy(world) -> bool:
    """True while the onboard model is generating for some trip (for the frame-gap figures)."""
    return world.round_trips.schedule(world.sim_time_s).model_busy


def format_duration(seconds: float) -> str:
    """Human scale: '3.70 ms', '12.4 s', '6 min 40 s', '2 h 05 min'."""
    s = float(seconds)
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def phase_lines(view) -> list[tuple[str, str, str]]:
    """(title, duration, detail) per phase of a RoundTripView, then the total when done."""
    rows = []
    for phase in view.phases:
        rows.append((PHASE_TITLES.get(phase.name, phase.name), format_duration(phase.duration_s),
                     phase.detail))
    if view.done and view.phases:
        first, last = view.phases[0], view.phases[-1]
        total = (last.start_utc - first.start_utc).total_seconds() + last.duration_s
        rows.append(("total", format_duration(total), "Earth -> orbit -> Earth"))
    return rows


def status_line(view, sat_names) -> str:
    """One line for the log header: where the request is now."""
    target = sat_names[view.sat] if 0 <= view.sat < len(sat_names) else f"#{view.sat}"
    if view.error:
        return f"failed: {view.error}"
    if view.done:
        return f"answered by {target}"
    title = PHASE_TITLES.get(view.phase, view.phase)
    if view.phase in WAITS:
        why = view.phases[-1].detail if view.phases else "searching for the next path"
        return f"{title}: {why}"
    if view.phase == "inference":
        return f"{target} is thinking: {view.tokens} tokens so far"
    return f"{title} ({100 * view.leg_progress:.0f}% of the leg)" if view.phase in LIGHT else title
