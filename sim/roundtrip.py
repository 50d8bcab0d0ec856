"""Round trips: a prompt sent from a ground station to a chosen satellite, answered by the
onboard model, and the answer brought back down; timed phase by phase in sim time.

Phases (snapshot.ROUND_TRIP_PHASES): waiting for a path up, uplink, laser hops to the target,
queue (the target serves one request at a time), inference, waiting for a path down, laser hops
to a satellite in view of a station (the same or another: the target has moved), downlink.
Routes are recomputed at the start of each leg, at that leg's instant.

Light-time phases last milliseconds; waits for a path can last hours (a 12-satellite cluster);
inference lasts what the model measured on this machine ("measured" timing), the roofline
estimate on the satellite's hardware profile ("onboard" timing: sim/onboard/roofline.py), or
tokens / a fixed rate ("fixed" timing: deterministic, for recordings). A model that does not
fit the satellite's memory is refused when the prompt is submitted. Searches for the next
path are spread over steps (`evaluations_per_step`) so a live frame never stalls, unless the
service is `blocking` (command line, recording), where each step resolves everything due.

`sim.onboard` (torch) is imported only where a trip needs it, so that worlds that never ask
anything start without loading torch.

This module is the service that moves trips on. Beside it: the trip record (trip.py), the
inference's text (trip_text.py), the clock's view (trip_schedule.py) and the Snapshot's
(roundtrip_view.py).
"""
from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import queue

import numpy as np

from .clock import TripSchedule
# TIMINGS stays importable from here (it lives with the Ask command).
from .commands import TIMINGS, check_max_tokens, check_tokens_per_s  # noqa: F401
from .constants import SPEED_OF_LIGHT_KM_S
from .errors import UserError
from .geometry import GeometryModel
from .ground import GroundSites
from .pathfinder import RouteSearch, ground_to_sat_best
from .routing import Route
from .roundtrip_view import trip_view
from .snapshot import ROLE_NAMES, RoundTripView
from .stations import ASSETS
# The trip record, its text and the clock's view live beside this module; their names stay
# importable from here.
from .trip import Leg, Phase, RoundTrip, generating, inference_duration_s  # noqa: F401
from .trip_schedule import trip_schedule
from .trip_text import inference_detail

#: The onboard model shipped with the app (sim/onboard/loading.py loads it by default).
SHIPPED_MODEL_DIR = ASSETS.resolve() / "model"
#: How far ahead to look for a path before giving up, s.
PATH_HORIZON_S = 86400.0
#: Finished round trips kept for the conversation log.
KEEP_FINISHED = 20


def _other_than_shipped(model_dir: str | None) -> str | None:
    """`model_dir`, or None when it names the model shipped in assets/model (so that the
    Snapshot and the app's picker call it the shipped model however it was given)."""
    if model_dir is not None and pathlib.Path(model_dir).resolve() == SHIPPED_MODEL_DIR:
        return None
    return model_dir


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class RoundTripService:
    """Owns the onboard worker and every round trip of one World."""

    def __init__(self, model: GeometryModel, stations: GroundSites, epoch: dt.datetime,
                 sat_names: tuple[str, ...], capacity_pflops: np.ndarray,
                 model_dir: str | None = None, blocking: bool = False,
                 evaluations_per_step: int = 12, roles: np.ndarray | None = None,
                 hardware: dict | None = None):
        self.model = model
        self.stations = stations
        self.epoch = epoch
        self.sat_names = sat_names
        self.capacity_pflops = capacity_pflops
        #: role code per satellite, and role name -> HardwareProfile (roles without a profile
        #: have no on-board estimate)
        self.roles = roles
        self.hardware = hardware or {}
        self.model_dir = _other_than_shipped(model_dir)
        self.blocking = blocking
        self.evaluations_per_step = evaluations_per_step
        self.trips: list[RoundTrip] = []
        self.busy_until_s: dict[int, float] = {}
        #: finished requests per satellite; replaced (never written in place) when one more
        #: finishes, so that Snapshots can hold it read-only
        self.served = _read_only(np.zeros(len(sat_names), np.int64))
        self._worker = None
        self._events = queue.Queue()
        self._ids = itertools.count(1)  #: request ids of this World's trips: 1, 2, ...
        #: (sat, sim s) -> the newest deployed checkpoint the satellite holds then, or None
        #: (sim/deploy.py DeployService.checkpoint_for; the World sets it)
        self.checkpoint_for = lambda sat, at_s: None

    # --- submitting ---------------------------------------------------------------------------

    def submit(self, sat: int, prompt: str, now_s: float, station: int | None = None,
               max_tokens: int = 48, seed: int = 0, timing: str = "measured",
               tokens_per_s_fixed: float = 40.0) -> RoundTrip:
        """Start a round trip at sim time `now_s`. The model is loaded now (so a bad model
        folder fails here); the prompt reaches it when the route up is found."""
        from .onboard import SamplingParams

        if not prompt or not prompt.strip():
            raise UserError("empty prompt: give the satellite something to answer")
        if timing not in TIMINGS:
            raise UserError(f"timing must be {', '.join(TIMINGS)}; got {timing!r}")
        if timing == "onboard" and self.hardware_of(sat) is None:
            raise UserError(f"{self.sat_names[sat]} has no hardware profile in this scenario, so "
                            "no on-board time: use timing 'measured' or 'fixed'")
        check_max_tokens(max_tokens)
        check_tokens_per_s(tokens_per_s_fixed)  # a zero rate would never end the inference
        if not len(self.stations):
            raise UserError("this scenario has no ground stations to send a prompt from")
        candidates = tuple(range(len(self.stations))) if station is None else (station,)
        self._check_fits(sat, prompt, max_tokens)
        trip = RoundTrip(next(self._ids), sat, prompt.strip(), candidates, now_s, timing,
                         tokens_per_s_fixed, SamplingParams(max_new_tokens=max_tokens, seed=seed))
        self.trips.append(trip)
        return trip

    def hardware_of(self, sat: int):
        """The satellite's HardwareProfile (by its role), or None."""
        if self.roles is None:
            return None
        return self.hardware.get(ROLE_NAMES[int(self.roles[sat])])

    def _check_fits(self, sat: int, prompt: str, max_tokens: int) -> None:
        """Load the model (a bad model folder fails here) and refuse the prompt when the
        weights and its KV cache exceed the satellite's memory: such a satellite cannot run it."""
        worker = self.worker()
        profile = self.hardware_of(sat)
        if profile is None:
            return
        from .onboard.roofline import check_fits

        # The station is not chosen yet: frame without it (a few tokens of difference).
        prep = worker.model.prepare(prompt, "", self.sat_names[sat], max_tokens)
        check_fits(worker.shape, profile, prep.prompt_tokens + prep.max_new_tokens,
                   self.sat_names[sat])

    def _put_on_board(self, trip: RoundTrip, station: int) -> None:
        """Hand the prompt to the onboard model, framed as `station` talking to the target.
        The model answers in the background while the sim shows the trip up."""
        from .onboard import InferenceRequest

        tops = float(self.capacity_pflops[trip.sat]) * 1000.0 or None  # 1 PFLOPS = 1,000 TOPS
        # The weights the satellite holds when the prompt arrives answer it.
        checkpoint = self.checkpoint_for(trip.sat, trip.up.end_s)
        trip.model_label = checkpoint.label if checkpoint is not None else self.model_label
        request = InferenceRequest(trip.sat, trip.prompt, self.station_name(station),
                                   self.sat_names[trip.sat], trip.params, hardware_tops=tops,
                                   request_id=trip.request_id, hardware=self.hardware_of(trip.sat),
                                   checkpoint=checkpoint)
        trip.handle = self.worker().submit(request, self._events)

    def worker(self):
        """The onboard model's worker thread, started on first use (loading the model)."""
        if self._worker is None:
            from .onboard import OnboardWorker, load_model

            self._worker = OnboardWorker(load_model(self.model_dir))
        return self._worker

    def set_model(self, model_dir: str | None) -> None:
        """Use the checkpoint folder `model_dir` (None: the shipped model) from the next
        prompt on. UserError for a folder without config.json, or while a prompt is on
        board (its answer would never come)."""
        if model_dir is not None and not (pathlib.Path(model_dir) / "config.json").is_file():
            raise UserError(f"model folder {model_dir}: no config.json there (expected a "
                            "Qwen3 checkpoint folder)")
        if self.model_busy:
            raise UserError("a prompt is on board: switch the model once it is answered")
        self.close()
        self.model_dir = _other_than_shipped(model_dir)

    @property
    def model_label(self) -> str:
        """"shipped", or the name of the model folder every satellite started with."""
        return pathlib.Path(self.model_dir).name if self.model_dir else "shipped"

    @property
    def model_loaded(self) -> bool:
        """True once the onboard model's worker runs (the model is loaded)."""
        return self._worker is not None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def station_name(self, index: int) -> str:
        """A short name for prompts: the first words of the station's name."""
        name = self.stations.points[index].name
        return name.split("(")[0].split(",")[0].strip()

    # --- advancing -----------------------------------------------------------------------------

    def step(self, now_s: float) -> None:
        """Take in the model's output and move every trip on to `now_s`."""
        self._drain_events()
        for trip in self.trips:
            self._advance(trip, now_s)
        finished = [t for t in self.trips if t.stage == "done"]
        for trip in finished[:-KEEP_FINISHED] if len(finished) > KEEP_FINISHED else []:
            self.trips.remove(trip)

    def resolve(self, trip: RoundTrip) -> RoundTrip:
        """Run a trip to its end at once (blocking on the model): for the command line."""
        blocking, self.blocking = self.blocking, True
        try:
            self._advance(trip, float("inf"))
        finally:
            self.blocking = blocking
        return trip

    def finish_all(self) -> None:
        """Resolve every unfinished trip now (command line and shots)."""
        for trip in self.trips:
            if trip.stage != "done":
                self.resolve(trip)

    def _drain_events(self, block_for: RoundTrip | None = None) -> None:
        if block_for is None and self._events.empty():
            return  # nothing to read; and sim.onboard (torch, ~1 s) loads only once it is used
        from .onboard import DoneEvent, ErrorEvent, TokenEvent

        by_id = {t.request_id: t for t in self.trips}
        while True:
            try:
                waiting = block_for is not None and block_for.figures is None and not block_for.error
                event = self._events.get(block=waiting)
            except queue.Empty:
                return
            trip = by_id.get(event.request_id)
            if trip is None:
                continue
            if isinstance(event, TokenEvent):
                trip.pieces.append((event.time_s, event.text))
            elif isinstance(event, DoneEvent):
                trip.figures = event.figures
            elif isinstance(event, ErrorEvent):
                trip.error = event.message
            if block_for is not None and (block_for.figures is not None or block_for.error):
                return

    def _advance(self, trip: RoundTrip, now_s: float) -> None:
        budget = None if self.blocking else self.evaluations_per_step
        if trip.stage == "search_up" and not self._search_up(trip, budget):
            return
        if trip.stage == "inference" and not self._finish_inference(trip, now_s):
            return
        if trip.stage == "search_down":
            if now_s < trip.inference_end_s:
                return  # the way down is routed when the answer is ready, not before
            self._search_down(trip, budget)

    def _utc(self, seconds: float) -> dt.datetime:
        return self.epoch + dt.timedelta(seconds=seconds)

    def _search(self, trip: RoundTrip, start_s: float, budget):
        if trip.search is None:
            finder = ground_to_sat_best(self.model, self.stations, np.array(trip.stations),
                                        trip.sat)
            trip.search = RouteSearch(finder, self._utc(start_s), PATH_HORIZON_S)
        result = trip.search.advance(budget)
        if result is not None:
            trip.search = None
        return result

    def _search_up(self, trip: RoundTrip, budget) -> bool:
        result = self._search(trip, trip.submitted_s, budget)
        if result is None:
            return False
        if result.route is None:
            return self._fail(trip, f"no station can reach {self.sat_names[trip.sat]} "
                                    f"within {PATH_HORIZON_S / 3600:.0f} h")
        opened = trip.submitted_s + result.waited_s
        if result.waited_s > 0:
            trip.phases.append(Phase("waiting_up", trip.submitted_s, opened,
                                     "no station sees a satellite with a route to the target"))
        trip.up = Leg(result.route, opened)
        self._put_on_board(trip, result.route.nodes[0] - len(self.sat_names))
        self._add_leg_phases(trip, trip.up, "uplink", "hops_up", uplink_first=True)
        arrival = trip.up.end_s
        start = max(arrival, self.busy_until_s.get(trip.sat, arrival))
        if start > arrival:
            trip.phases.append(Phase("queue", arrival, start, "earlier requests on this satellite"))
        trip.inference_start_s = start
        trip.stage = "inference"
        return True

    def _finish_inference(self, trip: RoundTrip, now_s: float) -> bool:
        if trip.figures is None and not trip.error:
            self._drain_events(block_for=trip if self.blocking else None)
        if trip.error:
            return self._fail(trip, trip.error)
        if trip.figures is None:
            return False
        figures = trip.figures
        trip.inference_end_s = trip.inference_start_s + inference_duration_s(trip)
        self.busy_until_s[trip.sat] = max(self.busy_until_s.get(trip.sat, 0.0),
                                          trip.inference_end_s)
        trip.phases.append(Phase("inference", trip.inference_start_s, trip.inference_end_s,
                                 inference_detail(trip.timing, figures, trip.tokens_per_s_fixed)))
        trip.stage = "search_down"
        return True

    def _search_down(self, trip: RoundTrip, budget) -> None:
        result = self._search(trip, trip.inference_end_s, budget)
        if result is None:
            return
        if result.route is None:
            self._fail(trip, f"no station can be reached from {self.sat_names[trip.sat]} "
                             f"within {PATH_HORIZON_S / 3600:.0f} h")
            return
        opened = trip.inference_end_s + result.waited_s
        if result.waited_s > 0:
            trip.phases.append(Phase("waiting_down", trip.inference_end_s, opened,
                                     "no route from the target to any station"))
        route = result.route
        trip.down = Leg(Route(tuple(reversed(route.nodes)), tuple(reversed(route.hop_km))), opened)
        self._add_leg_phases(trip, trip.down, "hops_down", "downlink", uplink_first=False)
        trip.stage = "done"
        served = self.served.copy()
        served[trip.sat] += 1
        self.served = _read_only(served)

    def _add_leg_phases(self, trip: RoundTrip, leg: Leg, first: str, second: str,
                        uplink_first: bool) -> None:
        """Split a leg into its ground hop and its laser hops (either order)."""
        ground_km = leg.route.hop_km[0] if uplink_first else leg.route.hop_km[-1]
        laser_km = leg.route.length_km - ground_km
        names = [self._node_name(n) for n in leg.route.nodes]
        t = leg.start_s
        parts = [(first, ground_km), (second, laser_km)] if uplink_first else \
            [(first, laser_km), (second, ground_km)]
        for name, km in parts:
            if km <= 0:
                continue
            hops = len(leg.route.nodes) - 2
            detail = (f"{names[0]} -> {names[1]}" if name == "uplink" else
                      f"{names[-2]} -> {names[-1]}" if name == "downlink" else
                      f"{hops} laser hop{'s' if hops != 1 else ''}")
            trip.phases.append(Phase(name, t, t + km / SPEED_OF_LIGHT_KM_S,
                                     f"{detail}, {km:,.0f} km"))
            t += km / SPEED_OF_LIGHT_KM_S

    def _node_name(self, node: int) -> str:
        n = len(self.sat_names)
        return self.sat_names[node] if node < n else self.station_name(node - n)

    def _fail(self, trip: RoundTrip, message: str) -> bool:
        trip.error = message
        trip.stage = "done"
        if not trip.phases:
            trip.phases.append(Phase("waiting_up", trip.submitted_s, trip.submitted_s, message))
        return False

    # --- the live clock's view ----------------------------------------------------------------

    @property
    def model_busy(self) -> bool:
        """The onboard model is generating for some trip (without building a schedule)."""
        return any(generating(t) for t in self.trips)

    def schedule(self, now_s: float) -> TripSchedule:
        """Scheduled phases, pending searches and waits of the trips in flight at `now_s`."""
        return trip_schedule(self.trips, now_s, self.epoch)

    # --- views ------------------------------------------------------------------------------

    def views(self, now_s: float, sat_positions_km: np.ndarray,
              station_positions_km: np.ndarray) -> tuple[RoundTripView, ...]:
        """What the Snapshot shows of every kept trip at `now_s`."""
        n = len(self.sat_names)
        return tuple(trip_view(t, now_s, n, self.epoch, sat_positions_km, station_positions_km)
                     for t in self.trips)
