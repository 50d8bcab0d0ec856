"""One round trip's record: its phases (sim seconds since the epoch), the legs it flew at light
speed, the onboard model's output as it came, and how long its inference phase lasts.

`RoundTripService` (sim/roundtrip.py) creates and moves these on; the Snapshot's view of them is
sim/roundtrip_view.py, the clock's is sim/trip_schedule.py, their text sim/trip_text.py.
"""
from __future__ import annotations

import dataclasses

from .pathfinder import RouteSearch
from .routing import Route


@dataclasses.dataclass
class Phase:
    """One phase (snapshot.ROUND_TRIP_PHASES) from `start_s` to `end_s`, sim s since the
    epoch; `detail` is its line for the screen (hops and km, or the inference figures)."""

    name: str
    start_s: float
    end_s: float
    detail: str = ""


@dataclasses.dataclass
class Leg:
    """A route flown at light speed from `start_s` (sim s since the epoch)."""

    route: Route
    start_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.route.one_way_s


@dataclasses.dataclass
class RoundTrip:
    request_id: int
    sat: int
    prompt: str
    stations: tuple[int, ...]  #: candidate stations for both ends
    submitted_s: float
    timing: str  #: one of sim.commands.TIMINGS
    tokens_per_s_fixed: float
    params: object = None  #: SamplingParams for the onboard model
    handle: object = None  #: the onboard worker's RequestHandle, once the prompt is on board
    stage: str = "search_up"  #: search_up -> inference -> search_down -> done
    phases: list[Phase] = dataclasses.field(default_factory=list)
    search: RouteSearch | None = None
    up: Leg | None = None
    down: Leg | None = None
    inference_start_s: float | None = None
    inference_end_s: float | None = None
    pieces: list[tuple[float, str]] = dataclasses.field(default_factory=list)  #: (offset s, text)
    figures: object = None  #: InferenceFigures once generation is done
    error: str = ""
    #: which weights answer: "shipped", a model folder's name, or a deployed checkpoint's
    #: "trained step N" (set when the prompt goes on board)
    model_label: str = ""

    @property
    def done_s(self) -> float | None:
        return self.phases[-1].end_s if self.stage == "done" and self.phases else None


def generating(trip: RoundTrip) -> bool:
    """The trip's prompt is on board and its answer is not back from the model yet."""
    return trip.handle is not None and trip.figures is None and not trip.error


def inference_duration_s(trip: RoundTrip) -> float:
    """How long the inference phase lasts in sim time, s, by the trip's timing."""
    figures = trip.figures
    if trip.timing == "measured":
        return figures.measured_s
    if trip.timing == "onboard":
        return figures.onboard_s
    return max(figures.generated_tokens, 1) / trip.tokens_per_s_fixed
