"""The app's hold on the simulation: the World, the clock, commands, scenario switching,
prompts, messages and the figures the panel plots. No GL and no window: tests drive it
with a real World.

The World comes only from `world_factory(args)` (run.py's), so viz never imports the sim's
heavy libraries. Every change goes through a Command (DESIGN.md rule 3); a UserError from
the sim becomes a message in the app, and the current scenario stays.

Switching scenario builds the new World on a background thread ("scenario-loader") while the
current one keeps stepping and drawing; `tick` swaps it in on the main thread (DESIGN.md
rule 7: slow work never runs on the frame). The build touches no GL and no imgui.
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import threading
import time

import numpy as np

from sim import commands as cmd
from sim.errors import UserError
from viz.ui import clock as clock_mod
from viz.ui.trips import model_busy, trip_timing

MAX_PROMPT_CHARS = 400
READY_PROMPTS = (
    "What do you see from orbit?",
    "Tell me of the stars tonight.",
    "Speak of the sea below.",
    "Who commands this ship?",
)


MODEL_THREAD = "onboard-model"  #: the name sim/onboard/worker.py gives its thread
MODEL_NICE = 10
LOADER_THREAD = "scenario-loader"  #: the thread that builds a new scenario's World


@dataclasses.dataclass(eq=False)
class _Load:
    """One scenario switch in flight: filled in by the loader thread, read on the main one."""

    name: str
    args: argparse.Namespace
    on_loaded: object = None  #: called with no argument on the main thread after the swap
    world: object = None  #: the new World once built (None on an error)
    error: str = ""  #: the one-line message when the build failed
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def lower_priority(thread_name: str | None = None) -> bool:
    """Give the onboard model's thread (or the calling thread) a lower CPU priority.

    Why: on a machine without a GPU the scene is rasterised by Mesa's llvmpipe on the same
    cores as the model; at equal priority a generating model stretched frames to 3-4x the
    median. Niced, the model gets what the frame leaves and the answer streams a little
    slower instead. Linux applies nice per thread (the id is the thread's native id);
    elsewhere this does nothing. Returns True when done (or not possible here)."""
    import os
    import threading

    if not hasattr(os, "setpriority"):
        return True
    if thread_name is None:
        ident = threading.get_native_id()
    else:
        found = [t for t in threading.enumerate() if t.name == thread_name]
        if not found or found[0].native_id is None:
            return False
        ident = found[0].native_id
    try:
        os.setpriority(os.PRIO_PROCESS, ident, max(os.getpriority(os.PRIO_PROCESS, ident),
                                                   MODEL_NICE))
    except OSError:
        pass
    return True


class Session:
    """One running scenario plus the presenter's settings that survive a scenario switch."""

    def __init__(self, args: argparse.Namespace, world_factory, model_dir: str | None = None,
                 warp: float = 1.0, sim_hz: float = 30.0):
        self.args = args
        self.world_factory = world_factory
        self.model_dir = model_dir
        self.warp = float(warp)  #: the presenter's warp (the clock may slow down or speed up)
        self.paused = False
        self.auto_fast_forward = True
        self.stepper = clock_mod.FixedStepper(1.0 / sim_hz, max_steps=3)
        self.decision = clock_mod.ClockDecision(0.0, self.warp, "")
        self.messages: collections.deque = collections.deque(maxlen=6)  #: (wall time, text, level)
        self.history: dict[str, collections.deque] = {
            k: collections.deque(maxlen=300) for k in ("t", "rate", "pflops", "mean", "p95")}
        self._last_history = 0.0
        self._loader = None  #: thread loading the onboard model ahead of the first prompt
        self.pending = None  #: an Ask waiting for the model to finish loading
        self._worker_niced = False
        self._load: _Load | None = None  #: the scenario switch in flight (main thread only)
        self._lock = threading.Lock()  #: guards `_load` against a loader thread finishing
        self.world = self._build_world(args)  # the first scenario: synchronous (errors raise)
        self.world.apply(cmd.SetWarp(self.warp))
        self.snapshot = self.world.snapshot()
        self.scenario_name = str(getattr(args, "scenario", ""))

    # --- world -------------------------------------------------------------------------------
    def _build_world(self, args):
        """The World for `args`. Runs on the loader thread: it must not read Session state
        that the main thread changes, nor touch GL or imgui."""
        options = {"model_dir": self.model_dir} if self.model_dir else {}
        return self.world_factory(args, **options)

    @property
    def title(self) -> str:
        return getattr(getattr(self.world, "scenario", None), "title", "") or self.scenario_name

    def switch_scenario(self, name_or_path: str, at: str | None = None, *, wait: bool = False,
                        on_loaded=None) -> bool:
        """Start loading `name_or_path` (a built-in name or a .toml / TLE / OMM file) on the
        "scenario-loader" thread; the current World keeps stepping and drawing meanwhile.

        The first `tick` after the build has finished swaps the new World in on the main
        thread: the old World is closed (its model worker stops), pending prompts and the
        plotted history are dropped, "Loaded <title>" is posted and `on_loaded()` is called
        (the panel resets the camera there). A UserError, OSError or any other exception
        from the build becomes one "Scenario not loaded: ..." message and the current
        scenario stays.

        A second request while one is loading supersedes it: the presenter's latest choice
        wins (picking network-2035 by mistake and then cluster-2025 loads cluster-2025, not
        both in turn). The superseded World is closed by its loader thread as soon as its
        build returns, never installed and never leaked. (The panel disables its scenario
        controls while loading, so this is for scripts, keys and tests.)

        Returns True when the request was accepted. `wait=True` is the old synchronous
        behaviour (the first scenario at launch, tests, command-line paths): it loads, swaps
        and returns whether the new World is now the current one."""
        args = argparse.Namespace(**{**vars(self.args), "scenario": name_or_path, "at": at})
        load = _Load(str(name_or_path), args, on_loaded)
        with self._lock:
            previous, self._load = self._load, load
        if previous is not None:  # (the panel shows a plain "Loading ..." line itself)
            self.message(f"Loading {load.name} instead of {previous.name} ...")
        load.thread = threading.Thread(target=self._run_load, args=(load,), name=LOADER_THREAD,
                                       daemon=True)
        load.thread.start()
        if not wait:
            return True
        self.wait_loaded()
        return self.world is load.world

    def _run_load(self, load: _Load) -> None:
        """The loader thread: build, then hand the World over (or close it if superseded)."""
        world = None
        load.error = f"Scenario not loaded: {load.name}: the loader stopped"  # if it dies
        try:
            lower_priority()  # the frame on the main thread goes first on a busy CPU
            world = self._build_world(load.args)
            load.error = ""
        except (UserError, OSError) as error:  # bad input: its message says what and where
            load.error = f"Scenario not loaded: {error}"
        except Exception as error:  # a sim bug on odd input must not close the app
            load.error = f"Scenario not loaded: {type(error).__name__}: {error}"
        finally:
            with self._lock:
                current = self._load is load
                if current:
                    load.world = world
            try:
                if world is not None and not current:  # superseded, or the session closed
                    world.close()
            finally:
                load.done.set()

    @property
    def loading(self) -> bool:
        """True while a scenario switch is in flight (until `tick` swaps or reports it)."""
        return self._load is not None

    @property
    def loading_name(self) -> str:
        """The scenario being loaded ("" when none)."""
        load = self._load
        return load.name if load is not None else ""

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block (main thread) until the scenario switch in flight is built, then swap it in
        or report its error, as `tick` would. For tests and command-line paths; the window
        never calls it. Returns False if `timeout` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._load is not None:
            load = self._load
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not load.done.wait(left):
                return False
            self._join_loader()  # the swap waits for the model loader; here we may block
            self._finish_load()
        return True

    def _finish_load(self) -> bool:
        """On the main thread: install a finished load. Returns True when a World changed.

        The swap also waits until the onboard model's loader thread is done (it belongs to
        the old World), so that joining it never blocks the frame."""
        load = self._load
        if load is None or not load.done.is_set() or self.model_loading:
            return False
        with self._lock:
            self._load = None
        if load.world is None:
            self.message(load.error, "error")
            return False
        self._join_loader()
        self.world.close()  # stops the old scenario's model worker
        world = load.world
        world.apply(cmd.SetWarp(self.warp))
        self.pending = None
        self._worker_niced = False  # the new world starts its own model thread
        self.world, self.args, self.scenario_name = world, load.args, load.name
        self.snapshot = world.snapshot()
        for series in self.history.values():
            series.clear()
        self.message(f"Loaded {self.title}", "info")
        if load.on_loaded is not None:
            load.on_loaded()
        return True

    def reset(self, wait: bool = False) -> bool:
        """Reload the current scenario from its start (asynchronously unless `wait`)."""
        return self.switch_scenario(self.scenario_name, getattr(self.args, "at", None),
                                    wait=wait)

    def close(self) -> None:
        """Close the World. A scenario still loading is abandoned: its loader thread closes
        the World it builds (a daemon thread: it never holds the process open)."""
        with self._lock:
            self._load = None
        self._join_loader()
        self.world.close()

    # --- the onboard model ----------------------------------------------------------------------
    @staticmethod
    def import_model_runtime() -> None:
        """Import the onboard model's code (torch: 1-2 s) now, on the main thread, before the
        window opens. Imported later on the niced model-loader thread, torch's C-level module
        set-up held the GIL for long stretches while the loaded CPU ran the frame's thread
        first: frames stalled by 100-300 ms when a satellite was first selected (2 cores)."""
        import sim.onboard  # noqa: F401

    def prepare_model(self) -> None:
        """Load the onboard model on a thread (called when a satellite is selected), so the
        first prompt does not freeze the window for the seconds torch takes to start. The
        World still owns the worker: this only calls its loader early."""
        import threading

        world = self.world
        service = getattr(world, "round_trips", None)
        loader = getattr(world, "load_model", None) or getattr(service, "worker", None)
        if self._loader is not None or loader is None \
                or getattr(service, "_worker", None) is not None:
            return

        def load():
            lower_priority()  # the worker thread started from here inherits it
            try:
                loader()
            except Exception as error:  # deque.append is thread-safe; sending retries
                text = str(error) if isinstance(error, UserError) else \
                    f"{type(error).__name__}: {error}"
                self.message(f"The onboard model did not load: {text}", "error")

        self._loader = threading.Thread(target=load, name="model-loader", daemon=True)
        self._loader.start()

    @property
    def model_loading(self) -> bool:
        return self._loader is not None and self._loader.is_alive()

    def _join_loader(self) -> None:
        if self._loader is not None:
            self._loader.join()
            self._loader = None

    # --- commands -------------------------------------------------------------------------------
    def apply(self, command) -> bool:
        try:
            self.snapshot = self.world.apply(command)
            return True
        except UserError as error:
            self.message(str(error), "error")
            return False

    def set_warp(self, warp: float) -> None:
        self.warp = float(np.clip(warp, clock_mod.WARP_MIN, clock_mod.WARP_MAX))
        self.apply(cmd.SetWarp(self.warp))

    def set_paused(self, paused: bool) -> None:
        self.paused = bool(paused)
        self.apply(cmd.SetPaused(self.paused))

    def select(self, index: int) -> None:
        self.apply(cmd.Select(int(index)))

    def set_time(self, utc: str) -> bool:
        return self.apply(cmd.SetTime(utc.strip()))

    def ask(self, prompt: str, station: str = "", max_tokens: int = 48) -> bool:
        """Send `prompt` to the selected satellite. Bad input and model faults become messages."""
        text = prompt.strip()
        if not text:
            self.message("Type a prompt first (or pick a ready one).", "error")
            return False
        if len(text) > MAX_PROMPT_CHARS:
            self.message(f"Prompt too long: {len(text)} characters (at most {MAX_PROMPT_CHARS}).",
                         "error")
            return False
        sat = int(self.snapshot.selected)
        if sat < 0:
            self.message("Click a satellite first: it is the one that answers.", "error")
            return False
        command = cmd.Ask(str(sat), text, station, max_tokens)
        if self.model_loading:  # never wait for the model on the frame: send when loaded
            self.pending = command
            self.message("Loading the onboard model; the prompt goes as soon as it is ready.")
            return True
        return self._send(command)

    def _send(self, command) -> bool:
        try:
            self.snapshot = self.world.apply(command)
        except UserError as error:
            self.message(f"Not sent: {error}", "error")
            return False
        except Exception as error:  # a model that fails to load must not close the app
            self.message(f"Not sent: the onboard model failed: {type(error).__name__}: {error}",
                         "error")
            return False
        return True

    def message(self, text: str, level: str = "info") -> None:
        self.messages.append((time.monotonic(), text, level))
        if level == "error":
            import sys

            print(f"orbitviz: {text}", file=sys.stderr)

    # --- time -------------------------------------------------------------------------------------
    def tick(self, frame_dt_s: float, exact: bool = False) -> int:
        """Advance the sim for one frame of `frame_dt_s` wall seconds: fixed steps, each as
        long as the clock decides (slow motion around light-time phases). Returns steps run.

        `exact` (recording): exactly one step of `frame_dt_s`, so that every video frame
        advances the same time; the accumulator would sometimes give 0 and then 2 steps.

        A scenario that finished loading on the loader thread is swapped in first."""
        if self._load is not None:
            self._finish_load()
        if self.pending is not None and not self.model_loading:
            command, self.pending = self.pending, None
            self._send(command)
        if not self._worker_niced:
            self._worker_niced = lower_priority(MODEL_THREAD)
        n = 1 if exact else self.stepper.steps(frame_dt_s)
        step_s = frame_dt_s if exact else self.stepper.step_s
        for _ in range(n):
            timing = trip_timing(self.world)
            self.decision = clock_mod.decide(step_s, self.world.sim_time_s,
                                             self.warp, self.paused, timing,
                                             self.auto_fast_forward)
            if self.paused:
                break  # nothing moves; skip the geometry work
            try:
                self.snapshot = self.world.step(self.decision.dt_sim_s)
            except UserError as error:  # e.g. a model error surfaced by the service
                self.message(str(error), "error")
        if n:
            self._record_history()
        return n

    def model_busy(self) -> bool:
        return model_busy(self.world)

    def _record_history(self) -> None:
        now = time.monotonic()
        if now - self._last_history < 0.25:
            return
        self._last_history = now
        totals = self.snapshot.totals
        self.history["t"].append(now)
        self.history["rate"].append(float(totals.get("requests_per_s", 0.0)))
        self.history["pflops"].append(float(totals.get("pflops_in_use", 0.0)))
        self.history["mean"].append(float(totals.get("latency_mean_ms", 0.0) or 0.0))
        self.history["p95"].append(float(totals.get("latency_p95_ms", 0.0) or 0.0))

    def series(self, name: str) -> np.ndarray:
        return np.asarray(self.history[name], np.float64)

    def served(self, index: int) -> int:
        served = getattr(getattr(self.world, "round_trips", None), "served", None)
        return int(served[index]) if served is not None and 0 <= index < len(served) else 0

    def station_names(self) -> tuple[str, ...]:
        return tuple(self.snapshot.station_names)
