"""Round trips for the app's conversation log: the phases with their times, and a status
line. Reads RoundTripViews of the Snapshot only."""
from __future__ import annotations

from sim.clock import PHASE_TITLES
from sim.roundtrip_view import LIGHT_PHASES
from viz.words import duration_words

WAITS = ("waiting_up", "waiting_down")


def phase_lines(view) -> list[tuple[str, str, str]]:
    """(title, duration, detail) per phase of a RoundTripView, then the total when done."""
    rows = []
    for phase in view.phases:
        rows.append((PHASE_TITLES.get(phase.name, phase.name), duration_words(phase.duration_s),
                     phase.detail))
    if view.done and view.phases:
        first, last = view.phases[0], view.phases[-1]
        total = (last.start_utc - first.start_utc).total_seconds() + last.duration_s
        rows.append(("total", duration_words(total), "Earth -> orbit -> Earth"))
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
    return f"{title} ({100 * view.leg_progress:.0f}% of the leg)" if view.phase in LIGHT_PHASES else title
