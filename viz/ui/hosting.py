"""Where the app's World steps: in the frame, on a thread or in a child process, and what the
panel says about it. The Session (viz/ui/session.py) holds the result; this module only
decides and describes.

`auto` (the app's default) hosts big scenarios in a child process (sim/worker_process.py):
there the sim's long numpy and SGP4 calls cannot hold the window's Python lock. A thread
(sim/runner.py) is the fallback where no shared memory is at hand. Either way the World
publishes Snapshots at most SIM_REFRESH_HZ times a second and the frame moves the
satellites on between them (viz/ahead.py).
"""
from __future__ import annotations

import argparse
from typing import Callable

from sim.interface import SimWorld, WorldFactory
from sim.runner import Published, SimRunner
from sim.worker_process import SimProcess, available

#: `sim_worker="auto"` runs the sim in its own process from this many satellites (below, a
#: step takes a few milliseconds and the frame may as well run it)
SIM_WORKER_FROM = 20_000
#: New Snapshots a second a sim on its own worker makes at most. The frame moves the satellites
#: on between Snapshots (viz/ahead.py), so more refreshes change little on screen (links, load
#: and traffic follow each Snapshot), and on two cores every step the sim process takes is CPU
#: the software renderer lacks. 100,000 satellites, 1280x720, same hour: median frame 34.4 ms
#: at 10 a second (the sim made 8.2), 29.8-30.5 ms at 6 (the sim made 6.0).
SIM_REFRESH_HZ = 6.0


def choose_worker(requested: str, args: argparse.Namespace,
                  scenario_size: Callable[[argparse.Namespace], int] | None) -> str:
    """"process", "thread" or "off" for the scenario of `args`, given the presenter's
    `requested` mode (one of sim.runner.SIM_WORKERS) and run.py's `scenario_size` (without
    it, "auto" means "off")."""
    worker = requested
    if worker == "auto":
        big = scenario_size is not None and scenario_size(args) >= SIM_WORKER_FROM
        worker = "process" if big else "off"
    if worker == "process" and not available():
        worker = "thread"  # no /dev/shm (not Linux): the next best
    return worker


def host_world(worker: str, world_factory: WorldFactory, args: argparse.Namespace) -> SimWorld:
    """The World for `args` (its model_dir too) built where `worker` says: in a child process,
    on a SimRunner's thread, or plain (stepped by the frame)."""
    if worker == "process":
        return SimProcess(world_factory, args, {"model_dir": args.model_dir},
                          max_rate_hz=SIM_REFRESH_HZ)
    world = world_factory(args, model_dir=args.model_dir)
    return SimRunner(world, max_rate_hz=SIM_REFRESH_HZ) if worker == "thread" else world


def hosting_notes(totals: dict, runner, published: Published | None,
                  ahead_s: float) -> list[str]:
    """For the panel: what the sim bounds (ground links per ground point, from the Snapshot's
    `totals`) and, for a `runner` (SimRunner or SimProcess; None when the frame steps the
    World), how it keeps up."""
    notes = []
    capped = int(totals.get("ground_sites_capped", 0))
    if capped:
        cap = int(totals.get("ground_link_cap", 0))
        notes.append(f"Ground links: {capped:,} ground points see more than {cap} "
                     f"satellites and keep their {cap} highest")
    if runner is None or published is None:
        return notes
    if not runner.free_running:
        return notes + ["Sim: stepped with each frame (recording or a script holds it)"]
    return notes + [f"Sim in its own {runner.where}: {runner.refresh_hz:.1f} steps/s, the last "
                    f"{published.step_s * 1e3:,.0f} ms; satellites drawn "
                    f"{ahead_s:.1f} s past it (two-body)"]
