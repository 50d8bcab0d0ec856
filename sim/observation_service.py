"""Captures in the live sim: the `Capture` command (sim/commands.py) images the ground below a
satellite now; the vision model classifies the tile on the onboard worker's thread (the same
worker and per-satellite queues as the language model, `TaskRequest`), never on the frame; the
result then waits on board until a route to a station is found (a bounded search per step, as
for round trips) and is on the ground once sim time reaches its arrival.

States (capture_view.CAPTURE_STATES): "captured" while the model decides, "stored" while the
result is on board, "downlinked" once it reached a station, "failed" when the model or the
route search gave up. The figures are those of `run.py observe` (sim/observation.py); the
result is ready after the roofline time on the satellite's hardware (or the time measured
here, without a profile).

Scheduled captures (a payload's `every_min`, sim/payload.py; slots from
sim/capture_schedule.py): each step, numpy picks the carriers with a slot since the last step;
those over water, or over dark ground when the payload needs daylight, are skipped and
counted. Of the rest at most SCHEDULED_PER_STEP are taken (the ones that imaged longest ago
first), and none while SCHEDULED_WAITING of them wait for the onboard worker or
SCHEDULED_OPEN are not yet down: the others are skipped and counted as over the limit, so a
burst (a high warp, a big Advance) never grows the worker's queue, and a step that spans
several of a carrier's slots takes at most one of them. A scheduled capture's scene position
and Sun are computed at once (vectorised), its 64x64 tile is cut on the worker's thread
together with the model's decision (the capture shows in the Snapshot once its tile is cut),
and its way down is the route to the nearest station in the step's own network (one search
for all of the step's captures; the result is ready microseconds later, when the satellites
have moved millimetres); only when there is none is a route searched ahead in time, one
scheduled capture at a time, a bounded number of evaluations per step.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import queue

import numpy as np

from .capture_schedule import CaptureSchedule
from .capture_view import CaptureView, ObservationView
from .observation import (Downlink, capture, downlink_finder, downlink_of, payload_of,
                          result_message, sun_itrs, vision_figures)
from .pathfinder import RouteResult, RouteSearch
from .payload import ImagingPayload
from .roundtrip import PATH_HORIZON_S
from .routing import Route
from .scene import TILE_PX, Scene, cut_scene, nadir_geometry, over_water

#: Finished captures kept for the Snapshot (the oldest are dropped; their bytes stay counted).
KEEP_FINISHED = 32
#: Scheduled captures taken in one step at most (the rest of the step's due slots are skipped).
SCHEDULED_PER_STEP = 4
#: Scheduled captures waiting for the onboard worker (tile and model) at most: the bound on
#: what the schedule can put in the worker's queue.
SCHEDULED_WAITING = 8
#: Scheduled captures not yet on the ground (waiting for the worker, a route or their arrival)
#: at most.
SCHEDULED_OPEN = 64
#: Satellites' worth of route evaluations per step for scheduled captures' searches ahead
#: (see ObservationService._scheduled_evaluations).
SCHEDULED_SEARCH_SATS = 1000
#: What a scheduled capture whose tile was never cut (the worker failed) shows.
BLANK_TILE = np.zeros((TILE_PX, TILE_PX, 3), np.uint8)
BLANK_TILE.setflags(write=False)


@dataclasses.dataclass
class CaptureJob:
    """One capture on its way from the sensor to the ground (times in sim seconds)."""

    capture_id: int
    sat: int
    taken_s: float
    scene: Scene
    payload: ImagingPayload
    label: str = ""
    confidence: float = 0.0
    result: str = ""  #: the result message (JSON) once classified
    ready_s: float | None = None  #: the result is ready on board
    search: RouteSearch | None = None
    downlink: Downlink | None = None
    error: str = ""
    counted: bool = False  #: its result's bytes are in the downlinked / saved totals
    scheduled: bool = False  #: taken by the payload's schedule, not by a Capture command
    #: a scheduled capture's route from the nearest station up to it at the capture instant
    #: (None: none then, searched ahead once classified)
    route_up: Route | None = None

    #: the Snapshot's view of it, and what it was made from (see `key`)
    view: CaptureView | None = None
    view_key: tuple = ()

    @property
    def open(self) -> bool:
        """Not yet down, not failed."""
        return not self.counted and not self.error

    def key(self) -> tuple:
        """What its view shows besides the state: it changes when the model or the search
        answers."""
        return (self.label, self.error, self.downlink is not None, self.scene.tile is not None)

    def state(self, now_s: float, epoch: dt.datetime) -> str:
        if self.error:
            return "failed"
        if self.downlink is None or self.downlink.on_ground is None:
            return "captured" if not self.label else "stored"
        arrived_s = (self.downlink.on_ground - epoch).total_seconds()
        return "downlinked" if now_s >= arrived_s else "stored"


class ObservationService:
    """Every capture of one World. `world`: its owner (read for geometry, stations, the
    onboard worker; never changed)."""

    def __init__(self, world, evaluations_per_step: int = 12):
        self.world = world
        self.evaluations_per_step = evaluations_per_step
        self._open: list[CaptureJob] = []  #: not yet down nor failed, oldest first
        self._finished: list[CaptureJob] = []  #: the latest KEEP_FINISHED finished ones
        self._events: queue.Queue = queue.Queue()
        self._ids = itertools.count(1)
        self._raw_collected = 0.0
        self._downlinked = 0.0
        self._saved = 0.0
        self._imaging_shells: tuple[int, ...] | None = None
        self.schedule, self._needs_daylight = self._schedule_of(world)
        self._last_s = world.sim_time_s  #: the schedule has been looked at up to here
        #: sim time each carrier last took a scheduled capture (-inf: never)
        self._last_taken_s = np.full(world.constellation.size if self.schedule.size else 0,
                                     -np.inf)
        #: scheduled slots: taken, skipped over dark ground, over water, over the limits
        self._counts = {"taken": 0, "dark": 0, "water": 0, "limit": 0}
        self._view: ObservationView | None = None  #: the latest view, while nothing changed
        self._pending: list = []  #: TaskRequests of this step's scheduled captures, not sent
        self._view_s = -np.inf

    @staticmethod
    def _schedule_of(world) -> tuple[CaptureSchedule, np.ndarray]:
        """The carriers' slots, and whether each satellite's payload needs daylight."""
        con, scenario = world.constellation, world.scenario
        carriers: dict[str, list[np.ndarray]] = {}
        every_s: dict[str, float] = {}
        daylight = np.zeros(con.size, bool)
        for index, shell in enumerate(con.shells):
            payload = scenario.payload_of_shell(shell)
            if payload is None or payload.every_s <= 0:
                continue
            members = np.flatnonzero(con.shell_index == index)
            carriers.setdefault(payload.name, []).append(members)
            every_s[payload.name] = payload.every_s
            daylight[members] = payload.needs_daylight
        schedule = CaptureSchedule.of({k: np.concatenate(v) for k, v in carriers.items()},
                                      every_s)
        return schedule, daylight

    def submit_pending(self) -> None:
        """Send the captures taken in this step to the onboard worker (World.step calls it
        once the Snapshot is made)."""
        if self._pending:
            worker = self.world.round_trips.worker()
            for request in self._pending:
                worker.submit(request, self._events)
            self._pending.clear()

    def prepare(self) -> None:
        """Load the vision model and decode the imagery now, so that the first capture does
        not hold up the onboard worker (World.load_model calls it for a scenario with
        payloads)."""
        from .onboard import vision
        from .scene import DAY_IMAGE, NIGHT_IMAGE, WATER_MASK, imagery

        vision.load()
        vision.tile_flops()
        for relpath in (DAY_IMAGE, NIGHT_IMAGE, WATER_MASK):
            imagery(relpath)

    def restart(self, now_s: float) -> None:
        """The clock jumped (SetTime): the schedule goes on from `now_s`, no catching up."""
        self._last_s = now_s
        self._view = None

    def capture(self, sat: int, now_s: float) -> CaptureJob:
        """Image the ground below `sat` now and hand the tile to the onboard worker. UserError
        for a satellite without a payload, or a dark scene when the payload needs daylight."""
        payload = payload_of(self.world, sat)
        scene = capture(self.world, sat, payload)
        job = CaptureJob(next(self._ids), sat, now_s, scene, payload)
        self._submit(job, self._on_board(sat, now_s, payload, lambda: scene))
        return job

    def _on_board(self, sat: int, now_s: float, payload, scene_of):
        """The work a capture does on the worker thread, not the frame's: `scene_of()` (the
        scene with its tile: at once for a command, cut there for a scheduled capture), the
        model's decision and its FLOP count, the result message."""
        from .onboard.vision import classify

        world = self.world
        name, taken = world.constellation.names[sat], self._utc(now_s)

        def on_board():
            scene = scene_of()
            decided = classify(scene.tile)
            return (scene.tile, decided, vision_figures(world, sat, payload),
                    result_message(name, taken, scene, *decided))

        return on_board

    def _submit(self, job: CaptureJob, on_board, now: bool = True) -> None:
        """Hand a capture's on-board work to the worker: at once, or (`now` False, a live
        World) at the end of the step (`submit_pending`), so that the worker does not share
        Python's lock with the rest of the step."""
        from .onboard.worker import TaskRequest

        self._pending.append(TaskRequest(job.sat, on_board, request_id=job.capture_id))
        if now or self.blocking:
            self.submit_pending()
        self._open.append(job)
        self._raw_collected += job.payload.raw_scene_bytes()
        self._view = None

    def _scheduled_step(self, now_s: float) -> None:
        """Take the scheduled captures due since the last step (see the module's docstring)."""
        start_s, self._last_s = self._last_s, now_s
        due = self.schedule.due(start_s, now_s)
        if not len(due.sats) and not due.extra:
            return
        self._view = None
        self._counts["limit"] += due.extra
        state = self.world.geometry.state
        placed = state.online[due.sats]  # a satellite SGP4 cannot place takes no scene
        sats = due.sats[placed]
        lat, lon, heading, sun_deg = nadir_geometry(state.positions_itrs_km[sats],
                                                    state.velocities_itrs_km_s[sats],
                                                    sun_itrs(state))
        dark = self._needs_daylight[sats] & (sun_deg <= 0.0)
        water = ~dark & over_water(lat, lon)
        self._counts["dark"] += int(dark.sum())
        self._counts["water"] += int(water.sum())
        chosen = np.flatnonzero(~dark & ~water)
        if not len(chosen):
            return
        waiting = sum(1 for j in self._open if j.scheduled and not j.label)
        still_open = sum(1 for j in self._open if j.scheduled)
        room = max(0, min(SCHEDULED_PER_STEP, SCHEDULED_WAITING - waiting,
                          SCHEDULED_OPEN - still_open))
        if len(chosen) > room:  # those that imaged longest ago first, then by slot
            order = np.lexsort((np.arange(len(chosen)), self._last_taken_s[sats[chosen]]))
            self._counts["limit"] += len(chosen) - room
            chosen = np.sort(chosen[order[:room]])
        if not len(chosen):
            return
        network = self.world.geometry.network
        routes = network.routes_best_ground_to_sats(np.arange(self.world.n_stations),
                                                    sats[chosen])
        for k, route in zip(chosen, routes):
            self._take_scheduled(int(sats[k]), now_s, float(lat[k]), float(lon[k]),
                                 float(heading[k]), float(sun_deg[k]), route)

    def _take_scheduled(self, sat: int, now_s: float, lat: float, lon: float, heading: float,
                        sun_deg: float, route_up: Route | None) -> None:
        payload = payload_of(self.world, sat)
        scene = Scene(lat, lon, heading, payload.swath_km, sun_deg, None)  # tile: on board
        job = CaptureJob(next(self._ids), sat, now_s, scene, payload, scheduled=True,
                         route_up=route_up)
        self._submit(job, self._on_board(
            sat, now_s, payload, lambda: cut_scene(lat, lon, heading, payload.swath_km, sun_deg)),
            now=False)
        self._counts["taken"] += 1
        self._last_taken_s[sat] = now_s

    @property
    def blocking(self) -> bool:
        """Wait for the model and search routes to the end (command line, recordings)."""
        return self.world.round_trips.blocking

    def step(self, now_s: float) -> None:
        """Take the scheduled captures due, take in the model's answers and move every capture
        on to `now_s`."""
        if self.schedule.size:
            self._scheduled_step(now_s)
        if not self._open:
            return
        self._drain(block=self.blocking)
        scheduled_search = True  # one scheduled capture's search ahead per step
        for job in self._open:
            if job.label and job.downlink is None and not job.error:
                if not job.scheduled:
                    self._search(job, None if self.blocking else self.evaluations_per_step)
                elif scheduled_search:
                    scheduled_search = False
                    self._search(job, self._scheduled_evaluations())
            if not job.error and job.state(now_s, self.world.scenario.epoch) == "downlinked":
                job.counted = True
                result_bytes = len(job.result.encode("utf-8"))
                self._downlinked += result_bytes
                self._saved += job.payload.raw_scene_bytes() - result_bytes
        if any(not job.open for job in self._open):
            self._view = None
            self._finished += [job for job in self._open if not job.open]
            self._open = [job for job in self._open if job.open]
            del self._finished[:-KEEP_FINISHED]

    def _scheduled_evaluations(self) -> int:
        """Route evaluations ahead in time per step for a scheduled capture whose result found
        no route at once: each one places the whole constellation, so about
        SCHEDULED_SEARCH_SATS satellites' worth per step (at least one, at most as many as
        for a Capture command)."""
        return int(np.clip(SCHEDULED_SEARCH_SATS // max(self.world.constellation.size, 1),
                           1, self.evaluations_per_step))

    @property
    def jobs(self) -> list[CaptureJob]:
        """The captures the Snapshot shows: the latest finished ones and the open ones, in
        the order they were taken."""
        return sorted(self._finished + self._open, key=lambda job: job.capture_id)

    def _drain(self, block: bool) -> None:
        if not self._open or (not block and self._events.empty()):
            return  # and torch (through sim.onboard) loads only once a capture is made
        from .onboard.worker import ErrorEvent, TaskDoneEvent

        by_id = {j.capture_id: j for j in self._open}
        while True:
            waiting = block and any(not j.label and not j.error for j in self._open)
            try:
                event = self._events.get(block=waiting)
            except queue.Empty:
                return
            job = by_id.get(event.request_id)
            if job is None:
                continue
            self._view = None
            if isinstance(event, ErrorEvent):
                job.error = event.message
                if job.scene.tile is None:
                    job.scene = dataclasses.replace(job.scene, tile=BLANK_TILE)
            elif isinstance(event, TaskDoneEvent):
                self._classified(job, event)

    def _classified(self, job: CaptureJob, event) -> None:
        tile, (job.label, job.confidence, _), cost, job.result = event.result
        if job.scene.tile is None:  # a scheduled capture: its tile was cut on board
            job.scene = dataclasses.replace(job.scene, tile=tile)
        job.ready_s = job.taken_s + (cost.onboard_s if cost.onboard_s is not None
                                     else event.measured_s)
        ready = self._utc(job.ready_s)
        if job.route_up is not None:  # the step's own network had a route at the capture
            job.downlink = downlink_of(self.world, ready, RouteResult(ready, job.route_up, 0.0))
            return
        job.search = RouteSearch(downlink_finder(self.world, job.sat), ready, PATH_HORIZON_S)

    def _search(self, job: CaptureJob, evaluations: int | None) -> None:
        result = job.search.advance(evaluations)
        if result is None:
            return
        job.search = None
        self._view = None
        job.downlink = downlink_of(self.world, self._utc(job.ready_s), result)
        if job.downlink.path == "none":
            job.error = (f"no station can be reached from {self.world.constellation.names[job.sat]}"
                         f" within {PATH_HORIZON_S / 3600:.0f} h")

    def _capture_view(self, job: CaptureJob, state: str) -> CaptureView:
        down = job.downlink
        return CaptureView(
            job.capture_id, self.world.constellation.names[job.sat], job.sat,
            self._utc(job.taken_s), job.scene.lat_deg, job.scene.lon_deg, job.scene.heading_deg,
            job.scene.swath_km, job.scene.tile, state, job.label, job.confidence,
            job.payload.raw_scene_bytes(), len(job.result.encode("utf-8")),
            down.path if down else "", down.hops if down else (),
            down.on_ground if down else None, job.error, job.scheduled)

    def _utc(self, seconds: float) -> dt.datetime:
        return self.world.scenario.epoch + dt.timedelta(seconds=seconds)

    def view(self, now_s: float) -> ObservationView:
        """The captures and totals for the Snapshot (scheduled captures once their tile is
        cut); the same object again while nothing has changed."""
        if self._view is not None and now_s >= self._view_s:
            return self._view
        epoch = self.world.scenario.epoch
        views = []
        for job in self.jobs:
            if job.scene.tile is None:
                continue
            state = job.state(now_s, epoch)
            if job.view is None or job.view.state != state or job.view_key != job.key():
                job.view, job.view_key = self._capture_view(job, state), job.key()
            views.append(job.view)
        counts = self._counts
        self._view = ObservationView(
            tuple(views), self._raw_collected, self._downlinked, self._saved,
            self.imaging_shells, counts["taken"], counts["dark"], counts["water"],
            counts["limit"], self.schedule.size)
        self._view_s = now_s
        return self._view

    @property
    def imaging_shells(self) -> tuple[int, ...]:
        """Indices of the shells whose satellites carry an imaging payload (element sets,
        after the shells, carry none)."""
        if self._imaging_shells is None:
            scenario = self.world.scenario
            self._imaging_shells = tuple(i for i, shell in enumerate(self.world.constellation.shells)
                                         if scenario.payload_of_shell(shell) is not None)
        return self._imaging_shells
