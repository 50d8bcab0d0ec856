"""Playing a scenario script's simulation side: the `warp`, `select`, `prompt`, `training`,
`capture` and `deploy` entries of a [[timeline]] (sim/timeline.py) turned into Commands at video time t.

The recorder (viz/record.py) and the app (viz/ui/session.py) both play scripts through a
`ScriptPlayer` and step the World through its one clock (`World.advance`), so a script takes
the same sim times in the app as in a recording. Camera, layers and captions are the
drawing side's business (viz/director.py).

    run = ScriptRun(world)              # the scripted clock policy, the commands due at 0
    for k in range(1, frames):
        run.frame(1 / fps, t=k / fps)   # one clock step, then the commands due by then
"""
from __future__ import annotations

import math
from typing import Sequence

from . import commands as cmd
from . import timeline as tl
from .satellites import find_satellite


def smootherstep(u: float) -> float:
    """Ken Perlin's smootherstep on [0, 1]: zero first and second derivatives at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u * u * u * (u * (u * 6 - 15) + 10)


def training_command(entry: tl.Entry) -> cmd.SetTraining:
    """The SetTraining command a `training` entry sends (only the keys written)."""
    return cmd.SetTraining(**{k: v for k, v in entry.values.items() if v is not None})


def deploy_commands(entry: tl.Entry) -> list[cmd.Command]:
    """The commands a `deploy` entry sends: train for real, then deploy once trained."""
    return [cmd.TrainForReal(steps=entry.values["real_steps"], replicas=2),
            cmd.DeployCheckpoint(job=entry.values["job"], after_training=True)]


def prompt_command(entry: tl.Entry) -> cmd.Ask:
    """The Ask command a `prompt` entry sends: the one place prompts become commands."""
    v = entry.values
    return cmd.Ask(sat=str(v["sat"]), prompt=v["prompt"], station=v["station"],
                   max_tokens=v["max_tokens"], seed=v["seed"], timing=v["timing"],
                   tokens_per_s=v["tokens_per_s"])


class WarpSchedule:
    """Sim seconds per video second at video time t: steps, or geometric ramps of ramp_s."""

    def __init__(self, entries: tuple[tl.Entry, ...], initial: float = 1.0):
        self.initial = float(initial)
        self.entries = entries

    def at(self, t: float) -> float:
        warp = self.initial
        for e in self.entries:
            if e.at > t + 1e-9:
                break
            new, ramp = float(e.values["warp"]), float(e.values["ramp_s"])
            if ramp > 0 and t < e.at + ramp:
                u = smootherstep((t - e.at) / ramp)
                if warp > 0 and new > 0:
                    warp = math.exp(math.log(warp) + (math.log(new) - math.log(warp)) * u)
                else:
                    warp = warp + (new - warp) * u
            else:
                warp = new
        return warp


class ScriptPlayer:
    """The sim-side commands of a timeline, each at its time (video seconds)."""

    def __init__(self, timeline: tl.Timeline, sat_names: Sequence[str], initial_warp: float):
        self.timeline = timeline
        self.sat_names = tuple(sat_names)
        self.warp = WarpSchedule(timeline.of_kind("warp"), initial_warp)
        self._fired: set[int] = set()
        self._warp_sent: float | None = None

    def start(self) -> list[cmd.Command]:
        """Commands before the first frame: the clock's scripted policy (only what the script
        sets: no fast-forward, no real-time inference, slow motion where `light_warp` says)."""
        return [cmd.SetClock(preset="scripted")]

    def commands_due(self, t: float) -> list[cmd.Command]:
        """Commands of the entries whose time has come by video time `t` (each once, in
        timeline order), then the warp at `t` when it changed (ramps change it every frame)."""
        out: list[cmd.Command] = []
        for e in self.timeline.entries:
            if e.at > t + 1e-9:
                break
            if e.index in self._fired or e.kind not in ("warp", "select", "prompt", "training",
                                                         "capture", "deploy"):
                continue
            self._fired.add(e.index)
            out += self._entry_commands(e)
        warp = self.warp.at(t)
        if warp != self._warp_sent:
            self._warp_sent = warp
            out.append(cmd.SetWarp(warp))
        return out

    def _entry_commands(self, e: tl.Entry) -> list[cmd.Command]:
        if e.kind == "warp":
            light = e.values.get("light_warp")
            return [cmd.SetClock(slow_motion="fixed", light_warp=float(light))
                    if light is not None else cmd.SetClock(slow_motion="off")]
        if e.kind == "select":
            return [cmd.Select(self._sat_index(e))]
        if e.kind == "training":
            return [training_command(e)]
        if e.kind == "capture":
            return [cmd.Capture(str(e.values["sat"]))]
        if e.kind == "deploy":
            return deploy_commands(e)
        return [prompt_command(e)]

    def _sat_index(self, e: tl.Entry) -> int:
        ref = str(e.values["sat"]).strip()
        if ref in ("", "-1"):
            return -1
        return find_satellite(self.sat_names, ref)


class ScriptRun:
    """A World playing its own script: the recorder (one frame per video frame at t = k/fps)
    and the app (one fixed step at a time) both drive it, so both take the same sim times.
    Made, it has applied the scripted clock policy and the commands due at t = 0."""

    def __init__(self, world):
        snap = world.snapshot()
        self.world = world
        self.player = ScriptPlayer(world.timeline(), snap.sat_names, snap.clock.warp_set)
        self.length_s = self.player.timeline.length_s
        self.t = 0.0
        for command in self.player.start() + self.player.commands_due(0.0):
            world.apply(command)

    def frame(self, dt_wall_s: float, t: float | None = None):
        """One clock step of `dt_wall_s`, then the commands due by script time `t` (default:
        the last t plus the step); returns the World's Snapshot."""
        self.world.advance(dt_wall_s)
        self.t = self.t + dt_wall_s if t is None else t
        for command in self.player.commands_due(self.t):
            self.world.apply(command)
        return self.world.snapshot()

    @property
    def finished(self) -> bool:
        return self.t >= self.length_s
