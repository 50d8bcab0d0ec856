"""The director: plays a scenario's timeline (sim/timeline.py) against the video clock.

At each frame time t (video seconds) it says which commands to send to the World (warp,
select, prompt), where the camera is (keyframes with eased interpolation, following a
satellite or flying over a place), which layers are on (`director.layers`, a
sim.layers.LayerSettings), what the HUD says and which captions and title cards are on screen
(drawn by viz/record_overlay.py over the read-back frame).

    director = Director(timeline, camera, fps=60, title="...")
    director.validate(snapshot0)            # bad names -> UserError before rendering
    for k in range(frames):
        t = k / fps
        for cmd in director.commands_due(t): world.apply(cmd)
        overlays = director.prepare(t, world.snapshot())
        renderer.draw(snapshot, camera, target, director.frame_context(t, snapshot, time_s))
        ... then world.step(director.warp_at(t) / fps)

Camera work lives in viz/director_camera.py. Pure numpy; imports nothing of the simulation's
heavy libraries (only sim.commands, sim.layers and sim.timeline).
"""
from __future__ import annotations

import dataclasses
import math

from sim import commands as sim_commands
from sim import timeline as tl
from sim.layers import LayerSettings
from viz.director_camera import (  # noqa: F401 (DirectedCamera: the recorder's camera)
    CameraPath, DirectedCamera, smootherstep)

# --- warp ---------------------------------------------------------------------------------------

class WarpSchedule:
    """Sim seconds per video second at video time t: steps, or geometric ramps of ramp_s."""

    def __init__(self, entries: tuple[tl.Entry, ...], initial: float = 1.0):
        self.initial = float(initial)
        self.entries = entries

    def light_at(self, t: float) -> float | None:
        """The latest warp entry's light_warp (None: no slow-down for light phases)."""
        light = None
        for e in self.entries:
            if e.at > t + 1e-9:
                break
            light = e.values.get("light_warp")
        return light

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


# --- overlays -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Overlay:
    """A caption, title card or round-trip card on screen now, with its opacity (0..1)."""

    kind: str  #: "caption", "title" or "card"
    text: str
    subtitle: str
    position: str
    alpha: float


def fade_alpha(t: float, start: float, duration: float, fade: float) -> float:
    if t < start or t > start + duration:
        return 0.0
    if fade <= 0:
        return 1.0
    return smootherstep(min((t - start) / fade, (start + duration - t) / fade, 1.0))


# --- the director --------------------------------------------------------------------------------

class Director:
    def __init__(self, timeline: tl.Timeline, camera: DirectedCamera, fps: float,
                 title: str = "", initial_warp: float = 1.0):
        self.timeline = timeline
        self.camera = camera
        self.fps = float(fps)
        self.title = title
        self.path = CameraPath(timeline.camera)
        self.warp = WarpSchedule(timeline.of_kind("warp"), initial_warp)
        #: the layers on now: the defaults, changed by the `layers` entries as they come due
        self.layers = LayerSettings()
        self._fired: set[int] = set()
        self._sat_index: dict[int, int] = {}

    # -- checks before rendering --
    def validate(self, snapshot) -> None:
        """Resolve every satellite and station the timeline names in this scenario
        (sim.timeline.check_names, as `run.py info` does); UserError naming the entry."""
        names = tl.check_names(self.timeline, snapshot.sat_names, snapshot.station_names)
        self._sat_index = dict(names.sats)
        self.path.follow_index = dict(names.follow)

    def warp_at(self, t: float) -> float:
        return self.warp.at(t)

    def step_seconds(self, t: float, snapshot) -> float:
        """Sim seconds to advance after the frame at video time t: warp(t) / fps, except
        with a `light_warp`: slower while a prompt flies at light speed, and never past the
        end of a round trip's current phase (so a millisecond uplink is not skipped)."""
        dt_sim = self.warp_at(t) / self.fps
        light = self.warp.light_at(t)
        trips = [r for r in getattr(snapshot, "round_trips", ()) if not r.done]
        if light is None or not trips:
            return dt_sim
        if any(r.in_light_phase for r in trips):
            dt_sim = min(dt_sim, light / self.fps)
        for r in trips:
            if r.phases:
                p = r.phases[-1]
                left = (p.start_utc - snapshot.time_utc).total_seconds() + p.duration_s
                if 0 < left < dt_sim:
                    dt_sim = left
        return dt_sim

    # -- per frame --
    def commands_due(self, t: float) -> list:
        """Commands of the entries whose time has come (each once), in timeline order."""
        out = []
        for e in self.timeline.entries:
            if e.at > t + 1e-9:
                break
            if e.index in self._fired:
                continue
            self._fired.add(e.index)
            if e.kind == "warp":
                out.append(sim_commands.SetWarp(float(e.values["warp"])))
            elif e.kind == "select":
                out.append(sim_commands.Select(self._sat_index.get(e.index, -1)))
            elif e.kind == "prompt":
                out.append(tl.prompt_command(e))
            elif e.kind == "layers":
                self.layers = self.layers.with_toggles(e.values)
        return out

    def caption(self, t: float, snapshot) -> tuple[str, ...]:
        """The HUD at video time t: scenario, counts, the instant and the warp."""
        from viz.cli import caption_lines

        lines = caption_lines(snapshot, self.title)
        warp = self.warp_at(t)
        lines[-1] += f"  ·  {warp:,.0f}x real time" if warp >= 1.5 else \
            ("  ·  time stopped" if warp == 0 else "")
        return tuple(lines)

    def frame_context(self, t: float, snapshot, time_s: float):
        """What the renderer draws at video time t besides the snapshot: the layers on now,
        the HUD (drawn while layers.hud is on), and `time_s` as the shader animation clock."""
        from viz.frame import FrameContext

        return FrameContext(time_s=time_s, layers=self.layers, caption=self.caption(t, snapshot))

    def prepare(self, t: float, snapshot) -> list[Overlay]:
        """Point the camera; return the captions, title cards and trip card on screen."""
        eye, target, up, fov = self.path.pose(t, snapshot)
        self.camera.set_pose(eye, target, up, fov)
        out = []
        trips = getattr(snapshot, "round_trips", ())
        if trips and self.layers.trip_card:
            out.append(trip_card(trips[-1], snapshot))
        for e in self.timeline.entries:
            if e.at > t + 1e-9:
                break
            if e.kind in ("caption", "title"):
                v = e.values
                alpha = fade_alpha(t, e.at, v["duration_s"], v["fade_s"])
                if alpha > 0:
                    out.append(Overlay(e.kind, v["text"], v.get("subtitle", ""),
                                       v.get("position", "center"), alpha))
        return out


PHASE_WORDS = {
    "waiting_up": "waiting for a path up", "uplink": "uplink, at light speed",
    "hops_up": "laser hops to the satellite", "queue": "in the queue",
    "inference": "the onboard model answers", "waiting_down": "waiting for a path down",
    "hops_down": "laser hops back", "downlink": "downlink, at light speed",
    "done": "answer delivered",
}


def duration_words(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min {int(seconds - 60 * minutes):02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def trip_card(trip, snapshot) -> Overlay:
    """The latest prompt's card: where it is going, its phase, the time so far, the reply."""
    sat = snapshot.sat_names[trip.sat] if 0 <= trip.sat < snapshot.n_sats else str(trip.sat)
    head = f"Prompt to {sat}"
    if 0 <= trip.station < len(snapshot.station_names):
        head += f" via {snapshot.station_names[trip.station].split(' (')[0]}"
    elapsed = 0.0
    if trip.phases:
        elapsed = (snapshot.time_utc - trip.phases[0].start_utc).total_seconds()
        if trip.done:
            last = trip.phases[-1]
            elapsed = (last.start_utc - trip.phases[0].start_utc).total_seconds() + \
                last.duration_s
    phase = "failed: " + trip.error if trip.error else PHASE_WORDS.get(trip.phase, trip.phase)
    lines = [head, f"\u201c{trip.prompt}\u201d",
             f"{phase}  \u00b7  {duration_words(max(elapsed, 0.0))} so far"
             if not trip.done else f"{phase} in {duration_words(max(elapsed, 0.0))}"]
    reply = " ".join(trip.reply.split())
    return Overlay("card", "\n".join(lines), reply, "top-right", 1.0)
