"""Round trips for the app's conversation log: the phases with their times, and a status
line. Reads RoundTripViews of the Snapshot only."""
from __future__ import annotations

from sim.clock import PHASE_TITLES
from sim.roundtrip_view import LIGHT_PHASES

WAITS = ("waiting_up", "waiting_down")


def format_duration(seconds: float) -> str:
    """Human scale: '955 ns', '12.3 us', '3.70 ms', '12.4 s', '6 min 40 s', '2 h 05 min'
    (an on-board inference can take microseconds, a wait for a pass hours)."""
    s = float(seconds)
    if 0 < s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if 0 < s < 1e-3:
        return f"{s * 1e6:.3g} us"
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
    return f"{title} ({100 * view.leg_progress:.0f}% of the leg)" if view.phase in LIGHT_PHASES else title
