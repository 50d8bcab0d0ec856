"""Building a new scenario's World on a background thread ("scenario-loader") while the
current one keeps stepping and drawing (DESIGN.md rule 7: slow work never runs on the frame).
The build touches no GL and no imgui; the Session installs the result on the main thread.

A second request while one is loading supersedes it: the presenter's latest choice wins, and
the superseded World is closed by its own thread as soon as its build returns, never
installed and never leaked.
"""
from __future__ import annotations

import argparse
import dataclasses
import threading
import time

from sim.errors import UserError
from sim.interface import SimWorld
from sim.priority import lower_thread_priority

LOADER_THREAD = "scenario-loader"  #: the thread that builds a new scenario's World


@dataclasses.dataclass(eq=False)
class Load:
    """One scenario switch in flight: filled in by the loader thread, read on the main one."""

    name: str
    args: argparse.Namespace
    on_loaded: object = None  #: called with no argument on the main thread after the swap
    world: SimWorld | None = None  #: the new World once built (None on an error)
    error: str = ""  #: the one-line message when the build failed
    done: threading.Event = dataclasses.field(default_factory=threading.Event)


class ScenarioLoader:
    """Runs `build(args)` on a thread per request; `take()` hands a finished one over."""

    def __init__(self, build):
        self.build = build  #: args -> World; runs on the loader thread
        self._load: Load | None = None
        self._lock = threading.Lock()  #: guards `_load` against a loader thread finishing

    def request(self, name: str, args: argparse.Namespace, on_loaded=None) -> Load | None:
        """Start building; returns the load it supersedes (None if none was in flight)."""
        load = Load(name, args, on_loaded)
        with self._lock:
            previous, self._load = self._load, load
        threading.Thread(target=self._run, args=(load,), name=LOADER_THREAD,
                         daemon=True).start()
        return previous

    @property
    def pending(self) -> Load | None:
        """The switch in flight, finished or not (None when none)."""
        return self._load

    def take(self) -> Load | None:
        """The switch in flight once its build has returned (and forget it), else None."""
        load = self._load
        if load is None or not load.done.is_set():
            return None
        with self._lock:
            self._load = None
        return load

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the switch in flight has finished building (False on a timeout)."""
        load = self._load
        if load is None:
            return True
        left = None if timeout is None else max(timeout, 0.0)
        return load.done.wait(left)

    def abandon(self) -> None:
        """Forget the switch in flight: its thread closes the World it builds."""
        with self._lock:
            self._load = None

    def _run(self, load: Load) -> None:
        """The loader thread: build, then hand the World over (or close it if superseded)."""
        world = None
        load.error = f"Scenario not loaded: {load.name}: the loader stopped"  # if it dies
        try:
            lower_thread_priority()  # the frame on the main thread goes first on a busy CPU
            world = self.build(load.args)
            load.error = ""
        except (UserError, OSError) as error:  # bad input: its message says what and where
            load.error = f"Scenario not loaded: {error}"
        except Exception as error:  # noqa: BLE001 (a sim bug on odd input must not close the app)
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


def deadline_left(deadline: float | None) -> float | None:
    """Seconds left until a time.monotonic() deadline (None: no deadline)."""
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)
