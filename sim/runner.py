"""The simulation on its own thread: the frame never waits for a step.

At 100,000 satellites a step takes tens of milliseconds, at a million about a second; a window
that stepped the World itself would draw at that rate. A `SimRunner` owns a World and steps it
on a worker thread as fast as the steps go (at most `max_rate_hz` a second), each step by the
wall time since the last one began, and publishes each new Snapshot with the wall instant its
sim time belongs to (`published`). The renderer draws every frame from the latest one and moves
the satellites on to the frame's own time (viz/ahead.py, shaders/include/satdata.glsl).

It is a `sim.interface.SimWorld`, so the app's Session holds either a World or a runner:

- `snapshot()` is the latest published Snapshot; it never waits.
- `apply(command)` hands the command to the worker, which applies it between steps. The call
  waits up to `apply_wait_s` for it: a fast step gives the result (and a UserError) at once as
  a World would; behind a slow step it returns the latest Snapshot and the outcome comes later:
  a refusal through `take_errors()`, the changed world in a later Snapshot.
- `advance(dt)` holds the free-running loop and runs exactly that step on the worker, waiting
  for it (the recorder and scripted playback step it like a World); `run_free()` lets it run
  on its own again.

Only the worker thread touches the World while the runner lives (World is not thread-safe);
other calls are queued to it. A thread, not a process: the World's model worker, real training
and Snapshots stay in one address space (no copies of 100 MB arrays a second); the numerical
work releases the GIL in numpy, sgp4 and scipy. `run.py bench --frame` measures what the
window keeps (see README, "A million satellites").
"""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import queue
import threading
import time
from typing import Callable

from .errors import UserError

#: a step covers at most this much wall time: behind a slower step the sim runs slow (as the
#: window's fixed stepper drops time) instead of leaping ahead
MAX_STEP_WALL_S = 2.0
#: Where the app may run the World: "auto" (a process for big scenarios), its own "process"
#: (sim/worker_process.py), a "thread" here, or "off" (the frame steps it)
SIM_WORKERS = ("auto", "process", "thread", "off")


def describe_error(error: BaseException) -> str:
    """One line for the app: a UserError's own words, else the exception's type and text."""
    return str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"


@dataclasses.dataclass(frozen=True)
class Published:
    """A Snapshot and the wall clock (time.perf_counter seconds) its sim time belongs to: the
    sim instant `snapshot.sim_time_s` was reached at wall time `wall_s`, and the clock then ran
    at `rate` sim seconds per wall second (0 while paused or held)."""

    snapshot: object
    wall_s: float
    rate: float
    step_s: float = 0.0  #: wall seconds the step took on the worker


class Hosted:
    """What a World running on its own shows the frame: the latest Published Snapshot and the
    refusals that came after `apply` had returned. Shared by SimRunner and SimProcess."""

    _published: Published

    def __init__(self):
        self._errors: list[str] = []
        self._errors_lock = threading.Lock()

    @property
    def published(self) -> Published:
        return self._published

    def snapshot(self):
        return self._published.snapshot

    def take_errors(self) -> list[str]:
        """Refusals of commands that were applied after `apply` had returned (oldest first)."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        return errors

    def post_error(self, text: str) -> None:
        with self._errors_lock:
            self._errors.append(text)

    def _report_late(self, future: concurrent.futures.Future) -> None:
        """A done-callback for an `apply` that returned before the command ran."""
        error = future.exception()
        if error is not None:
            self.post_error(describe_error(error))


class SimRunner(Hosted):
    """A World stepped on a worker thread (see the module docstring)."""

    where = "thread"  #: where the World steps (the panel and the test probe say it)

    def __init__(self, world, max_rate_hz: float = 60.0, apply_wait_s: float = 0.1):
        super().__init__()
        self.world = world
        self.min_period_s = 1.0 / max_rate_hz
        self.apply_wait_s = apply_wait_s
        self._tasks: queue.Queue = queue.Queue()
        self._free = threading.Event()  #: set: the worker steps on its own
        self._stop = threading.Event()
        self._last_step_start = time.perf_counter()
        self.steps = 0  #: steps the worker has run
        self._recent_starts: collections.deque = collections.deque(maxlen=16)
        self._published = Published(world.snapshot(), self._last_step_start, 0.0)
        self._thread = threading.Thread(target=self._loop, name="sim-runner", daemon=True)
        self._thread.start()

    @property
    def free_running(self) -> bool:
        return self._free.is_set()

    @property
    def refresh_hz(self) -> float:
        """New Snapshots per wall second over the last steps (0 before two steps)."""
        starts = tuple(self._recent_starts)
        if len(starts) < 2 or starts[-1] <= starts[0]:
            return 0.0
        return (len(starts) - 1) / (starts[-1] - starts[0])

    # --- SimWorld ------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.world.title

    @property
    def model_loaded(self) -> bool:
        return self.world.model_loaded

    def timeline(self):
        return self.world.timeline()  # reads only the scenario, which never changes

    def find_satellite(self, query: str) -> int:
        return self.world.find_satellite(query)  # reads only the names

    def load_model(self) -> None:
        self.world.load_model()  # the model loads on the calling thread, as with a World

    def apply(self, command):
        """Apply `command` on the worker; see the module docstring for when it returns."""
        future = self._submit(lambda: self.world.apply(command))
        try:
            return future.result(timeout=self.apply_wait_s)
        except concurrent.futures.TimeoutError:
            future.add_done_callback(self._report_late)
            return self._published.snapshot

    def advance(self, dt_wall_s: float):
        """Stop free running and step once by `dt_wall_s` on the worker; returns the Snapshot."""
        self._free.clear()
        return self._call(lambda: self.world.advance(dt_wall_s))

    def finish_round_trips(self):
        return self._call(self.world.finish_round_trips)

    def finish_real_training(self):
        return self._call(self.world.finish_real_training)

    def run_free(self) -> None:
        """Let the worker step on its own (the first step covers the wall time from now)."""
        if not self._free.is_set():
            self._call(self._start_free)

    def close(self) -> None:
        self._stop.set()
        self._tasks.put(None)
        self._thread.join(timeout=30.0)
        self.world.close()

    # --- the worker ----------------------------------------------------------------------------
    def _submit(self, fn: Callable) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._tasks.put((fn, future))
        return future

    def _call(self, fn: Callable):
        """Run `fn` on the worker and wait for it; its exception (e.g. UserError) is raised."""
        if threading.current_thread() is self._thread:
            return fn()
        return self._submit(fn).result()

    def _start_free(self) -> None:
        """On the worker: free running from now, the Snapshot published as of now."""
        self._free.set()
        self._recent_starts.clear()
        self._last_step_start = time.perf_counter()
        self._publish(self.world.snapshot(), self._last_step_start, 0.0)

    def _publish(self, snapshot, wall_s: float, step_s: float) -> None:
        rate = 0.0 if not self._free.is_set() else snapshot.clock.warp
        self._published = Published(snapshot, wall_s, rate, step_s)  # one atomic store

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._run_tasks(wait_s=self._wait_s())
            if self._stop.is_set():
                break
            if self._free.is_set() and self._due():
                self._step()

    def _wait_s(self) -> float | None:
        """How long the worker may sleep waiting for a task: until the next step is due while
        free running, else until a task comes."""
        if not self._free.is_set():
            return None
        return max(self._last_step_start + self.min_period_s - time.perf_counter(), 0.0)

    def _due(self) -> bool:
        return time.perf_counter() >= self._last_step_start + self.min_period_s

    def _run_tasks(self, wait_s: float | None) -> None:
        """Run the queued tasks (waiting up to `wait_s` for the first; None: until one)."""
        try:
            task = self._tasks.get(timeout=wait_s) if wait_s != 0.0 else self._tasks.get_nowait()
        except queue.Empty:
            return
        while task is not None or not self._tasks.empty():
            if task is not None:
                fn, future = task
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as error:  # noqa: BLE001 (handed to the caller)
                        future.set_exception(error)
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
        if not self._free.is_set():
            self._publish(self.world.snapshot(), time.perf_counter(), 0.0)
        else:  # the command's effect, from the same wall instant (a pause stops it at once)
            snapshot = self.world.snapshot()
            self._published = dataclasses.replace(self._published, snapshot=snapshot,
                                                   rate=snapshot.clock.warp)

    def _step(self) -> None:
        start = time.perf_counter()
        dt_wall = min(start - self._last_step_start, MAX_STEP_WALL_S)
        self._last_step_start = start
        self._recent_starts.append(start)
        try:
            snapshot = self.world.advance(dt_wall)
        except UserError as error:  # e.g. a model error surfaced by the round-trip service
            self.post_error(str(error))
            snapshot = self.world.snapshot()
        self.steps += 1
        self._publish(snapshot, start, time.perf_counter() - start)


def sim_seconds_ahead(published: Published, wall_now_s: float) -> float:
    """Sim seconds from `published.snapshot` to wall time `wall_now_s` at its clock rate. At
    most MAX_STEP_WALL_S of wall time: the next step covers no more than that, so a frame
    never runs ahead of the Snapshot that comes next (a slow step then pauses the picture
    instead of making it jump back)."""
    wall = min(max(wall_now_s - published.wall_s, 0.0), MAX_STEP_WALL_S)
    return published.rate * wall
