"""Round trips for the app: the clock's view of what is scheduled, and the conversation log's
text (phases with their times).

`trip_timing` is the one place that reads the sim's round-trip service beyond the Snapshot:
the Snapshot shows only phases already begun, but the clock must know when the next one
starts (so a step at high warp does not jump over a millisecond-long uplink) and how far the
path search has looked ahead. Everything is read with getattr so an older or newer service
degrades to "nothing scheduled" instead of breaking the frame.
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
    """Scheduled phases of the trips in flight, relative to the world's sim time."""
    service = getattr(world, "round_trips", None)
    trips = list(getattr(service, "trips", ()) or ())
    now = float(getattr(world, "sim_time_s", 0.0))
    epoch = getattr(service, "epoch", None)
    timing = TripTiming()
    boundaries, limits, waits = [], [], []
    for trip in trips:
        phases = list(getattr(trip, "phases", ()) or ())
        stage = getattr(trip, "stage", "done")
        if stage == "done" and (not phases or now >= phases[-1].end_s):
            continue
        timing.active = True
        for phase in phases:
            if phase.start_s <= now < phase.end_s:
                if phase.name in LIGHT:
                    duration = phase.end_s - phase.start_s
                    if timing.light_phase_s is None or duration < timing.light_phase_s:
                        timing.light_phase_s = duration
                        timing.light_label = f"{PHASE_TITLES[phase.name]}: {phase.detail}"
                elif phase.name in WAITS:
                    waits.append(phase.end_s)
                elif phase.name == "inference":
                    timing.in_inference = True
            for edge in (phase.start_s, phase.end_s):
                if edge > now:
                    boundaries.append(edge)
        start, end = getattr(trip, "inference_start_s", None), getattr(trip, "inference_end_s", None)
        if stage == "inference" and start is not None and now >= start:
            timing.in_inference = True  # the model is still generating: run in real time
        for edge in (start, end):
            if edge is not None and edge > now:
                boundaries.append(edge)  # the way down is routed exactly at inference end
        search = getattr(trip, "search", None)
        if search is not None and epoch is not None:
            limits.append((search.searched_until - epoch).total_seconds())
        elif stage == "search_up" or (stage == "search_down" and end is not None and now >= end):
            limits.append(now)  # a search is due but not started: hold until it is
    timing.next_boundary_s = min(boundaries) if boundaries else None
    timing.search_limit_s = min(limits) if limits else None
    timing.waiting_until_s = min(waits) if waits else None
    return timing


def model_busy(world) -> bool:
    """True while the onboard model is generating for some trip (for the frame-gap figures)."""
    service = getattr(world, "round_trips", None)
    return any(getattr(t, "handle", None) is not None and getattr(t, "figures", 1) is None
               and not getattr(t, "error", "") for t in getattr(service, "trips", ()) or ())


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
