"""The director: plays a scenario's timeline (sim/timeline.py) against the video clock.

At each frame time t (video seconds) it says where the camera is (keyframes with eased
interpolation, following a satellite or flying over a place), which layers are on
(`director.layers`, a sim.layers.LayerSettings), what the HUD says and which captions and
title cards are on screen (drawn by viz/record_overlay.py over the read-back frame). The
script's warp, select and prompt entries are the simulation's side: sim/script.py plays them
(the same player the app uses) and the World's clock steps them.

    director = Director(timeline, camera, fps=60, title="...")
    director.validate(snapshot0)            # bad names -> UserError before rendering
    for k in range(frames):
        t = k / fps
        ... the sim side: ScriptPlayer commands due at t, World.advance(1 / fps)
        director.layers_due(t)
        overlays = director.prepare(t, world.snapshot())
        renderer.draw(snapshot, camera, target, director.frame_context(t, snapshot, time_s))

Camera work lives in viz/director_camera.py. Pure numpy; imports nothing of the simulation's
heavy libraries (only sim.layers and sim.timeline).
"""
from __future__ import annotations

import dataclasses

from sim import timeline as tl
from sim.layers import LayerSettings
from viz.director_camera import (  # noqa: F401 (DirectedCamera: the recorder's camera)
    CameraPath, DirectedCamera, smootherstep)
from viz.words import duration_words

# --- overlays -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Overlay:
    """A caption, title card or round-trip card on screen now, with its opacity (0..1)."""

    kind: str  #: "caption", "title", "card" (a round trip's) or "training"
    text: str
    subtitle: str
    position: str
    alpha: float
    #: the training card's figures (viz.training_card.TrainingCard) for kind "training"
    card: object = None


def fade_alpha(t: float, start: float, duration: float, fade: float) -> float:
    if t < start or t > start + duration:
        return 0.0
    if fade <= 0:
        return 1.0
    return smootherstep(min((t - start) / fade, (start + duration - t) / fade, 1.0))


# --- the director --------------------------------------------------------------------------------

class Director:
    def __init__(self, timeline: tl.Timeline, camera: DirectedCamera, fps: float,
                 title: str = ""):
        self.timeline = timeline
        self.camera = camera
        self.fps = float(fps)
        self.title = title
        self.path = CameraPath(timeline.camera)
        #: the layers on now: the defaults, changed by the `layers` entries as they come due
        self.layers = LayerSettings()
        #: the job the training card shows: the one the latest `training` entry named
        self.card_job = ""
        self._fired: set[int] = set()

    # -- checks before rendering --
    def validate(self, snapshot) -> None:
        """Resolve every satellite and station the timeline names in this scenario
        (sim.timeline.check_names, as `run.py info` does); UserError naming the entry."""
        names = tl.check_names(self.timeline, snapshot.sat_names, snapshot.station_names,
                               [job.name for job in snapshot.training])
        self.path.follow_index = dict(names.follow)

    # -- per frame --
    def layers_due(self, t: float) -> None:
        """Apply the layer toggles of the entries whose time has come (each once)."""
        for e in self.timeline.entries:
            if e.at > t + 1e-9:
                break
            if e.kind in ("layers", "training") and e.index not in self._fired:
                self._fired.add(e.index)
                if e.kind == "layers":
                    self.layers = self.layers.with_toggles(e.values)
                elif e.values["job"]:
                    self.card_job = e.values["job"]

    def caption(self, t: float, snapshot) -> tuple[str, ...]:
        """The HUD at video time t: scenario, counts, the instant and the warp."""
        from viz.cli import caption_lines

        lines = caption_lines(snapshot, self.title)
        warp = snapshot.clock.warp_set  # the script's warp (not the slow motion of the moment)
        lines[-1] += f"  ·  {warp:,.0f}x real time" if warp >= 1.5 else \
            ("  ·  time stopped" if warp == 0 else "")
        return tuple(lines)

    def frame_context(self, t: float, snapshot, time_s: float):
        """What the renderer draws at video time t besides the snapshot: the layers on now,
        the HUD (drawn while layers.hud is on), and `time_s` as the shader animation clock."""
        from viz.frame import FrameContext

        return FrameContext(time_s=time_s, layers=self.layers, caption=self.caption(t, snapshot))

    def prepare(self, t: float, snapshot) -> list[Overlay]:
        """Point the camera; return the captions, title cards, the round-trip card and the
        training card on screen (the training card: the job the latest `training` entry
        named, else the first)."""
        eye, target, up, fov = self.path.pose(t, snapshot)
        self.camera.set_pose(eye, target, up, fov)
        out = []
        trips = snapshot.round_trips
        trip_shown = bool(trips) and self.layers.trip_card
        if trip_shown:
            out.append(trip_card(trips[-1], snapshot))
        if self.layers.training_card:
            from viz.training_card import training_card

            card = training_card(snapshot, self.card_job)
            if card is not None:  # beside a round-trip card, it moves to the left
                out.append(Overlay("training", "", "", "top-left" if trip_shown
                                   else "top-right", 1.0, card))
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
