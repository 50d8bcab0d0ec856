"""The app's hold on the simulation: the current World, the commands the panel and keys send,
prompts, scenario switching and scripted playback. No GL and no window: tests drive it with
a real World.

Each job has its own small class: `ScenarioLoader` builds a new World on a thread
(viz/ui/loader.py), `ModelPreloader` loads the onboard model ahead of the first prompt
(viz/ui/model_loader.py), `MessageLog` keeps the message line (viz/ui/messages.py) and
`PlotHistory` the live plots (viz/ui/history.py); where the World steps (in the frame, on a
thread, in a child process) is decided in viz/ui/hosting.py. The clock is the World's own
(sim/clock.py): the Session keeps no copy of warp or pause, it reads them from the Snapshot.

The World comes only from `world_factory(args)` (run.py's), so viz never imports the sim's
heavy libraries. Every change goes through a Command (DESIGN.md rule 3); a UserError from
the sim becomes a message in the app, and the current scenario stays.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from sim import commands as cmd
from sim.clock import WARP_MAX, WARP_MIN, FixedStepper
from sim.errors import UserError
from sim.ahead import clamp_ahead
from sim.interface import SimWorld, WorldFactory
from sim.runner import SIM_WORKERS, Hosted, Published, sim_seconds_ahead
from sim.script import ScriptRun
from viz.ui.history import PlotHistory
from viz.ui.hosting import choose_worker, host_world, hosting_notes
from viz.ui.loader import ScenarioLoader, deadline_left
from viz.ui.messages import MessageLog
from viz.ui.model_loader import ModelPreloader

MAX_PROMPT_CHARS = 400
READY_PROMPTS = (
    "What do you see from orbit?",
    "Tell me of the stars tonight.",
    "Speak of the sea below.",
    "Who commands this ship?",
)


class Session:
    """One running scenario plus the presenter's settings that survive a scenario switch."""

    def __init__(self, args: argparse.Namespace, world_factory: WorldFactory,
                 model_dir: str | None = None, warp: float = 1.0, sim_hz: float = 30.0,
                 model_catalog=None, sim_worker: str = "off", scenario_size=None):
        """`sim_worker`: "process" builds and steps the World in a child process
        (sim/worker_process.py), "thread" on a thread of this one (sim/runner.py); either way
        the frame draws the latest Snapshot moved on to its own time. "off" steps it in
        `tick`. "auto" is "process" from SIM_WORKER_FROM satellites, by
        `scenario_size(args)` (run.py's; without it, "off")."""
        self.args = args
        self.world_factory = world_factory
        self.model_dir = model_dir
        #: () -> [(label, checkpoint folder)] of the models the user has (run.py's; the
        #: shipped one, "", when none is given)
        self.model_catalog = model_catalog or (lambda: [("shipped byte-level model", "")])
        self.stepper = FixedStepper(1.0 / sim_hz, max_steps=3)
        self.messages = MessageLog()
        self.history = PlotHistory()
        self.model_loader = ModelPreloader(on_error=lambda text: self.message(text, "error"))
        self.loader = ScenarioLoader(self._build_world)
        self.pending: cmd.Ask | None = None  #: an Ask waiting for the model to finish loading
        self.script: ScriptRun | None = None  #: the scenario script being played
        self.fast_forward_waits = True  #: the presenter's choice (a script overrides it)
        if sim_worker not in SIM_WORKERS:
            raise UserError(f"--sim-worker must be one of {', '.join(SIM_WORKERS)}, "
                            f"got {sim_worker!r}")
        self.sim_worker = sim_worker
        self.scenario_size = scenario_size
        #: the latest Snapshot of a World on its own thread and when it was made (None: the
        #: World is stepped here)
        self.published: Published | None = None
        # the first scenario: synchronous (errors raise)
        self.world = self._build_world(argparse.Namespace(**{**vars(args),
                                                             "model_dir": model_dir}))
        self.snapshot = self.world.apply(cmd.SetWarp(float(warp)))
        self.scenario_name = str(args.scenario)

    # --- reading -----------------------------------------------------------------------------
    @property
    def warp(self) -> float:
        """The presenter's warp (the clock may run slower or faster for a while)."""
        return self.snapshot.clock.warp_set

    @property
    def paused(self) -> bool:
        return self.snapshot.clock.paused

    @property
    def title(self) -> str:
        return self.world.title or self.scenario_name

    def model_busy(self) -> bool:
        return self.snapshot.model_busy

    def station_names(self) -> tuple[str, ...]:
        return tuple(self.snapshot.station_names)

    def message(self, text: str, level: str = "info") -> None:
        self.messages.post(text, level)

    # --- scenarios ----------------------------------------------------------------------------
    def _build_world(self, args: argparse.Namespace) -> SimWorld:
        """The World for `args` (its model_dir too), in the process or on the thread
        `sim_worker` says. Runs on the loader thread: it must not read Session state that the
        main thread changes, nor touch GL or imgui."""
        return host_world(self._worker_for(args), self.world_factory, args)

    def _worker_for(self, args: argparse.Namespace) -> str:
        """"process", "thread" or "off" for the scenario of `args` (viz/ui/hosting.py)."""
        return choose_worker(self.sim_worker, args, self.scenario_size)

    @property
    def loading(self) -> bool:
        """True while a scenario switch is in flight (until `tick` swaps or reports it)."""
        return self.loader.pending is not None

    @property
    def loading_name(self) -> str:
        """The scenario being loaded ("" when none)."""
        load = self.loader.pending
        return load.name if load is not None else ""

    def switch_scenario(self, name_or_path: str, at: str | None = None, *, wait: bool = False,
                        on_loaded=None) -> bool:
        """Start loading `name_or_path` (a built-in name or a .toml / TLE / OMM file) on the
        "scenario-loader" thread; the current World keeps stepping and drawing meanwhile.

        The first `tick` after the build has finished swaps the new World in on the main
        thread: the old World is closed (its model worker stops), pending prompts, a script
        being played and the plotted history are dropped, the presenter's warp and clock
        settings carry over, "Loaded <title>" is posted and `on_loaded()` is called (the
        panel resets the camera there). A UserError, OSError or any other exception from
        the build becomes one "Scenario not loaded: ..." message and the current scenario
        stays. A second request while one is loading supersedes it (viz/ui/loader.py).

        Returns True when the request was accepted. `wait=True` (the first scenario at
        launch, tests, command-line paths) loads, swaps and returns whether the new World is
        now the current one."""
        args = argparse.Namespace(**{**vars(self.args), "scenario": name_or_path, "at": at,
                                     "model_dir": self.model_dir})
        previous = self.loader.request(str(name_or_path), args, on_loaded)
        if previous is not None:  # (the panel shows a plain "Loading ..." line itself)
            self.message(f"Loading {name_or_path} instead of {previous.name} ...")
        if not wait:
            return True
        load = self.loader.pending
        self.wait_loaded()
        return load is not None and self.world is load.world

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block (main thread) until the scenario switch in flight is built, then swap it in
        or report its error, as `tick` would. For tests and command-line paths; the window
        never calls it. Returns False if `timeout` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.loader.pending is not None:
            if not self.loader.wait(deadline_left(deadline)):
                return False
            self.model_loader.join()  # the swap waits for the model loader; here we may block
            self._finish_load()
        return True

    def _finish_load(self) -> bool:
        """On the main thread: install a finished load. Returns True when the World changed.

        The swap also waits until the onboard model's loader thread is done (it belongs to
        the old World), so that joining it never blocks the frame."""
        if self.model_loader.loading:
            return False
        load = self.loader.take()
        if load is None:
            return False
        if load.world is None:
            self.message(load.error, "error")
            return False
        self.model_loader.join()
        warp = self.warp
        self.world.close()  # stops the old scenario's model worker
        world = load.world
        world.apply(cmd.SetWarp(warp))
        self.snapshot = world.apply(cmd.SetClock(fast_forward_waits=self.fast_forward_waits))
        self.pending = self.script = None
        self.world, self.args, self.scenario_name = world, load.args, load.name
        self.history.clear()
        self.message(f"Loaded {self.title}", "info")
        if load.on_loaded is not None:
            load.on_loaded()
        return True

    def reset(self, wait: bool = False) -> bool:
        """Reload the current scenario from its start (asynchronously unless `wait`)."""
        return self.switch_scenario(self.scenario_name, self.args.at, wait=wait)

    def close(self) -> None:
        """Close the World. A scenario still loading is abandoned: its loader thread closes
        the World it builds (a daemon thread: it never holds the process open)."""
        self.loader.abandon()
        self.model_loader.join()
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
        first prompt does not freeze the window for the seconds torch takes to start."""
        self.model_loader.start(self.world)

    @property
    def model_loading(self) -> bool:
        return self.model_loader.loading

    def model_choices(self) -> list[tuple[str, str]]:
        """(label, folder) of every model the picker offers; a catalog that fails offers the
        shipped model and says why."""
        try:
            return list(self.model_catalog())
        except (UserError, OSError) as error:
            self.message(f"Models not listed: {error}", "error")
            return [("shipped byte-level model", "")]

    def switch_model(self, path: str) -> bool:
        """Put the model of checkpoint folder `path` ("" = the shipped one) on board and load
        it on the model-loader thread (the window keeps drawing; prompts sent meanwhile wait
        for it). Kept for scenario switches. Refused while the current one still loads."""
        if self.model_loading:
            self.message("The onboard model is still loading; switch when it is ready.",
                         "error")
            return False
        self.model_loader.join()
        if not self.apply(cmd.SetModel(path)):
            return False
        self.model_dir = path or None
        self.message(f"Loading the onboard model {path or 'shipped with the app'} ...")
        self.model_loader.start(self.world)
        return True

    # --- commands -------------------------------------------------------------------------------
    def apply(self, command: cmd.Command) -> bool:
        try:
            self.snapshot = self.world.apply(command)
            return True
        except UserError as error:
            self.message(str(error), "error")
            return False
        finally:
            self._take_published()

    def set_warp(self, warp: float) -> None:
        self.apply(cmd.SetWarp(float(np.clip(warp, WARP_MIN, WARP_MAX))))

    def set_paused(self, paused: bool) -> None:
        self.apply(cmd.SetPaused(bool(paused)))

    def set_fast_forward(self, on: bool) -> None:
        """Fast-forward through long waits for a path (or show them at the chosen warp); a
        script playing keeps its own rule until it ends."""
        self.fast_forward_waits = bool(on)
        if self.script is None:
            self.apply(cmd.SetClock(fast_forward_waits=self.fast_forward_waits))

    def step_sim(self, seconds: float) -> None:
        """Move the sim on by `seconds` of sim time now, paused or not ("Step 1 min")."""
        self.apply(cmd.Advance(float(seconds)))

    def select(self, index: int) -> None:
        self.apply(cmd.Select(int(index)))

    def set_time(self, utc: str) -> bool:
        return self.apply(cmd.SetTime(utc.strip()))

    def ask(self, prompt: str, station: str = "", max_tokens: int = 48,
            timing: str = "measured") -> bool:
        """Send `prompt` to the selected satellite; `timing` (an Ask timing: "measured",
        "onboard", "fixed") sets what the inference phase lasts. Bad input, a model that does
        not fit the satellite and model faults become messages."""
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
        command = cmd.Ask(str(sat), text, station, max_tokens, timing=timing)
        if self.model_loading:  # never wait for the model on the frame: send when loaded
            self.pending = command
            self.message("Loading the onboard model; the prompt goes as soon as it is ready.")
            return True
        return self._send(command)

    def capture(self) -> bool:
        """The selected satellite images the ground below it now (cmd.Capture); a refusal
        (no payload, the ground dark, no selection) becomes one message."""
        sat = int(self.snapshot.selected)
        if sat < 0:
            self.message("Click a satellite first: it is the one that looks down.", "error")
            return False
        name = self.snapshot.sat_names[sat] if sat < self.snapshot.n_sats else str(sat)
        try:
            self.snapshot = self.world.apply(cmd.Capture(str(sat)))
        except UserError as error:
            self.message(f"Not captured: {error}", "error")
            return False
        finally:
            self._take_published()
        self.message(f"{name} images the ground below it")
        return True

    def _send(self, command: cmd.Ask) -> bool:
        try:
            self.snapshot = self.world.apply(command)
        except UserError as error:
            self.message(f"Not sent: {error}", "error")
            return False
        except Exception as error:  # noqa: BLE001 (a model that fails to load must not close the app)
            self.message(f"Not sent: the onboard model failed: {type(error).__name__}: {error}",
                         "error")
            return False
        return True

    # --- scripts ----------------------------------------------------------------------------------
    @property
    def has_script(self) -> bool:
        """True when the current scenario file has a [[timeline]]."""
        return bool(self.world.timeline())

    def play_script(self, restart: bool = True) -> bool:
        """Play the scenario's script: its warp, select and prompt entries, with the clock's
        scripted policy (camera, layers and captions are for `run.py record`). `restart`
        reloads the scenario first (in the background, as Reset does) so that the script
        starts where a recording of it starts; otherwise it plays from now."""
        if restart:
            return self.switch_scenario(self.scenario_name, self.args.at,
                                        on_loaded=lambda: self.play_script(restart=False))
        try:
            self.script = ScriptRun(self.world)
        except UserError as error:
            self.message(f"Script not played: {error}", "error")
            return False
        self.snapshot = self.world.snapshot()
        self.message(f"Playing the script of {self.title} ({self.script.length_s:.0f} s)")
        return True

    def stop_script(self) -> None:
        """Stop the script; the clock goes back to the app's automatic speeds."""
        self.script = None
        self._live_clock()

    def _live_clock(self) -> None:
        """The app's automatic speeds again, with the presenter's fast-forward choice."""
        self.apply(cmd.SetClock(preset="live", fast_forward_waits=self.fast_forward_waits))

    # --- time -------------------------------------------------------------------------------------
    def tick(self, frame_dt_s: float, exact: bool = False) -> int:
        """Advance the sim for one frame of `frame_dt_s` wall seconds: fixed steps through the
        World's clock (slow motion around light-time phases). Returns steps run.

        `exact` (recording): exactly one step of `frame_dt_s`, so that every video frame
        advances the same time; the accumulator would sometimes give 0 and then 2 steps.

        A scenario that finished loading on the loader thread is swapped in first."""
        if self.loader.pending is not None:
            self._finish_load()
        if self.pending is not None and not self.model_loading:
            command, self.pending = self.pending, None
            self._send(command)
        if self.runner is not None and not exact and self.script is None:
            return self._take_from_runner()
        n = 1 if exact else self.stepper.steps(frame_dt_s)
        step_s = frame_dt_s if exact else self.stepper.step_s
        for _ in range(n):
            try:
                self._step(step_s)
            except UserError as error:  # e.g. a model error surfaced by the service
                self.message(str(error), "error")
            if self.paused:
                break  # nothing moves; skip the geometry work
        if n:
            self._sample_history()
        self._take_published()  # held (recording, script): rate 0, the frame is not ahead
        return n

    # --- the sim on its own thread ------------------------------------------------------------------
    @property
    def runner(self):
        """The World's worker (a SimRunner or SimProcess: the sim steps on its own), or None
        when `tick` steps it."""
        return self.world if isinstance(self.world, Hosted) else None

    def _take_from_runner(self) -> int:
        """The runner's latest Snapshot for this frame (it runs free unless recording or a
        script holds it); its late refusals become messages. Returns 1 if it is new."""
        runner = self.runner
        runner.run_free()
        for error in runner.take_errors():
            self.message(error, "error")
        old = self.snapshot
        self._take_published()
        if self.snapshot is old:
            return 0
        self._sample_history()
        return 1

    def _sample_history(self) -> None:
        """The panel's live plots take the new Snapshot's figures."""
        snap = self.snapshot
        self.history.sample(snap.totals, snap.training, snap.observation)

    def _take_published(self) -> None:
        """Hold one published Snapshot for a whole frame (the runner may publish meanwhile)."""
        if self.runner is not None:
            self.published = self.runner.published
            self.snapshot = self.published.snapshot
        else:
            self.published = None

    def sim_notes(self, ahead_s: float) -> list[str]:
        """For the panel: what the sim bounds (ground links per ground point) and how it
        keeps up when it steps on its own."""
        return hosting_notes(self.snapshot.totals, self.runner, self.published, ahead_s)

    def ahead_s(self, wall_now_s: float) -> float:
        """Sim seconds from the held Snapshot to wall time `wall_now_s` (time.perf_counter):
        how far the frame moves the satellites on; 0 when the World is stepped here."""
        if self.published is None:
            return 0.0
        return clamp_ahead(sim_seconds_ahead(self.published, wall_now_s))

    def _step(self, step_s: float) -> None:
        """One fixed step of `step_s` wall seconds through the World's clock (and the
        script's commands due after it, while one plays)."""
        if self.script is None or self.paused:
            self.snapshot = self.world.advance(step_s)
            return
        self.snapshot = self.script.frame(step_s)
        if self.script.finished:
            self.script = None
            self.message("The script has ended; the clock is back to its automatic speeds.")
            self._live_clock()
