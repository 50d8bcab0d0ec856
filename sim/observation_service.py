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
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import queue

from .capture_view import CaptureView, ObservationView
from .observation import (Downlink, capture, downlink_finder, downlink_of, payload_of,
                          result_message, vision_figures)
from .pathfinder import RouteSearch
from .payload import ImagingPayload
from .roundtrip import PATH_HORIZON_S
from .scene import Scene

#: Finished captures kept for the Snapshot (the oldest are dropped; their bytes stay counted).
KEEP_FINISHED = 32


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
        self.jobs: list[CaptureJob] = []
        self._events: queue.Queue = queue.Queue()
        self._ids = itertools.count(1)
        self._raw_collected = 0.0
        self._downlinked = 0.0
        self._saved = 0.0
        self._imaging_shells: tuple[int, ...] | None = None

    def capture(self, sat: int, now_s: float) -> CaptureJob:
        """Image the ground below `sat` now and hand the tile to the onboard worker. UserError
        for a satellite without a payload, or a dark scene when the payload needs daylight."""
        from .onboard.vision import classify
        from .onboard.worker import TaskRequest

        payload = payload_of(self.world, sat)
        scene = capture(self.world, sat, payload)
        job = CaptureJob(next(self._ids), sat, now_s, scene, payload)
        world, tile = self.world, scene.tile

        def on_board():  # on the worker thread: the model and its FLOP count, not the frame's
            return classify(tile), vision_figures(world, sat, payload)

        self.world.round_trips.worker().submit(
            TaskRequest(sat, on_board, request_id=job.capture_id), self._events)
        self.jobs.append(job)
        self._raw_collected += payload.raw_scene_bytes()
        return job

    @property
    def blocking(self) -> bool:
        """Wait for the model and search routes to the end (command line, recordings)."""
        return self.world.round_trips.blocking

    def step(self, now_s: float) -> None:
        """Take in the model's answers and move every capture on to `now_s`."""
        if not self.jobs:
            return
        self._drain(block=self.blocking)
        for job in self.jobs:
            if job.label and job.downlink is None and not job.error:
                self._search(job)
            if not job.counted and job.state(now_s, self.world.scenario.epoch) == "downlinked":
                job.counted = True
                result_bytes = len(job.result.encode("utf-8"))
                self._downlinked += result_bytes
                self._saved += job.payload.raw_scene_bytes() - result_bytes
        finished = [j for j in self.jobs if j.counted or j.error]
        for job in finished[:-KEEP_FINISHED]:
            self.jobs.remove(job)

    def _drain(self, block: bool) -> None:
        if not self.jobs or (not block and self._events.empty()):
            return  # and torch (through sim.onboard) loads only once a capture is made
        from .onboard.worker import ErrorEvent, TaskDoneEvent

        by_id = {j.capture_id: j for j in self.jobs}
        while True:
            waiting = block and any(not j.label and not j.error for j in self.jobs)
            try:
                event = self._events.get(block=waiting)
            except queue.Empty:
                return
            job = by_id.get(event.request_id)
            if job is None:
                continue
            if isinstance(event, ErrorEvent):
                job.error = event.message
            elif isinstance(event, TaskDoneEvent):
                self._classified(job, event)

    def _classified(self, job: CaptureJob, event) -> None:
        (job.label, job.confidence, probabilities), cost = event.result
        job.ready_s = job.taken_s + (cost.onboard_s if cost.onboard_s is not None
                                     else event.measured_s)
        taken = self._utc(job.taken_s)
        job.result = result_message(self.world.constellation.names[job.sat], taken, job.scene,
                                    job.label, job.confidence, probabilities)
        job.search = RouteSearch(downlink_finder(self.world, job.sat), self._utc(job.ready_s),
                                 PATH_HORIZON_S)

    def _search(self, job: CaptureJob) -> None:
        result = job.search.advance(None if self.blocking else self.evaluations_per_step)
        if result is None:
            return
        job.search = None
        job.downlink = downlink_of(self.world, self._utc(job.ready_s), result)
        if job.downlink.path == "none":
            job.error = (f"no station can be reached from {self.world.constellation.names[job.sat]}"
                         f" within {PATH_HORIZON_S / 3600:.0f} h")

    def _utc(self, seconds: float) -> dt.datetime:
        return self.world.scenario.epoch + dt.timedelta(seconds=seconds)

    def view(self, now_s: float) -> ObservationView:
        """The captures and totals for the Snapshot."""
        epoch = self.world.scenario.epoch
        names = self.world.constellation.names
        views = []
        for job in self.jobs:
            down = job.downlink
            views.append(CaptureView(
                job.capture_id, names[job.sat], job.sat, self._utc(job.taken_s),
                job.scene.lat_deg, job.scene.lon_deg, job.scene.heading_deg, job.scene.swath_km,
                job.scene.tile, job.state(now_s, epoch), job.label, job.confidence,
                job.payload.raw_scene_bytes(), len(job.result.encode("utf-8")),
                down.path if down else "", down.hops if down else (),
                down.on_ground if down else None, job.error))
        return ObservationView(tuple(views), self._raw_collected, self._downlinked, self._saved,
                               self.imaging_shells)

    @property
    def imaging_shells(self) -> tuple[int, ...]:
        """Indices of the shells whose satellites carry an imaging payload (element sets,
        after the shells, carry none)."""
        if self._imaging_shells is None:
            scenario = self.world.scenario
            self._imaging_shells = tuple(i for i, shell in enumerate(self.world.constellation.shells)
                                         if scenario.payload_of_shell(shell) is not None)
        return self._imaging_shells
