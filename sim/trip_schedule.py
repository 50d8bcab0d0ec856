"""The clock's view of the round trips in flight: which phases and searches lie ahead, so a
clock stepping at high warp does not jump over a millisecond-long light-time leg or past what a
path search has looked at (sim/clock.py TripSchedule says what each field means)."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from .clock import TripSchedule
from .roundtrip_view import LIGHT_PHASES
from .trip import Phase, RoundTrip, generating


def trip_schedule(trips: Iterable[RoundTrip], now_s: float, epoch: dt.datetime) -> TripSchedule:
    """Scheduled phases, pending searches and waits of the trips in flight at `now_s` (sim s
    since `epoch`)."""
    boundaries, limits, waits = [], [], []
    light: tuple[float, Phase] | None = None
    active = in_inference = busy = False
    for trip in trips:
        if trip.stage == "done" and (not trip.phases or now_s >= trip.phases[-1].end_s):
            continue
        active = True
        busy |= generating(trip)
        for phase in trip.phases:
            if phase.start_s <= now_s < phase.end_s:
                length = phase.end_s - phase.start_s
                if phase.name in LIGHT_PHASES and (light is None or length < light[0]):
                    light = (length, phase)
                waits += [phase.end_s] if phase.name.startswith("waiting") else []
                in_inference |= phase.name == "inference"
            boundaries += [edge for edge in (phase.start_s, phase.end_s) if edge > now_s]
        start, end = trip.inference_start_s, trip.inference_end_s
        in_inference |= trip.stage == "inference" and start is not None and now_s >= start
        boundaries += [edge for edge in (start, end) if edge is not None and edge > now_s]
        if trip.search is not None:
            limits.append((trip.search.searched_until - epoch).total_seconds())
        elif trip.stage == "search_up" or (trip.stage == "search_down" and now_s >= end):
            limits.append(now_s)  # a search is due but has not started: hold until it has
    return TripSchedule(
        active=active, light_phase_s=light[0] if light else None,
        light_phase=light[1].name if light else "", light_detail=light[1].detail if light else "",
        next_boundary_s=min(boundaries, default=None), search_limit_s=min(limits, default=None),
        waiting_until_s=min(waits, default=None), in_inference=in_inference, model_busy=busy)
