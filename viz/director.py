"""The director: plays a scenario's timeline (sim/timeline.py) against the video clock.

At each frame time t (video seconds) it says which commands to send to the World (warp,
select, prompt), where the camera is (keyframes with eased interpolation, following a
satellite or flying over a place), which layers are on, what the HUD says and which captions
and title cards are on screen (drawn by viz/record_overlay.py over the read-back frame).

    director = Director(timeline, renderer, camera, fps=60, title="...")
    director.validate(snapshot0)            # bad names -> UserError before rendering
    for k in range(frames):
        t = k / fps
        ... the sim side: sim.script.ScriptPlayer's commands, World.advance(1 / fps)
        director.layers_due(t)
        overlays = director.prepare(t, world.snapshot())
        ... render

The script's warp, select and prompt entries are played by sim/script.py (the same player the
app uses); the director does the drawing side. Camera work lives in viz/director_camera.py.
Pure numpy apart from the renderer it toggles layers on; imports nothing of the simulation's
heavy libraries (only sim.timeline, sim.satellites, sim.errors).
"""
from __future__ import annotations

import dataclasses
import sys

from sim import timeline as tl
from viz.director_camera import (  # noqa: F401 (DirectedCamera: the recorder's camera)
    CameraPath, DirectedCamera, resolve_sat, smootherstep)

# --- layer toggles ------------------------------------------------------------------------------

class LayerSwitch:
    """Turns renderer layers on and off by name.

    Adapter: when the renderer has a settings dataclass of boolean toggles (`renderer.
    layer_settings`, or a dataclass at `renderer.layers` / `renderer.settings`), its fields
    are the names. Otherwise the known layer objects are gated by wrapping their draw
    methods (sky, earth, atmosphere, orbit, links, traffic, satellites, rings, labels).
    `hud` (the bottom-left caption), `trip_card` (the round-trip card of a recording) and
    `station_names` are always available."""

    _FALLBACK = {
        "sky": (("sky", "draw"),), "earth": (("earth", "draw"),),
        "atmosphere": (("earth", "draw_atmosphere"),), "orbit": (("orbit", "draw"),),
        "links": (("links", "draw"),), "traffic": (("traffic", "draw"),),
        "satellites": (("satellites", "draw"),), "rings": (("satellites", "draw_rings"),),
        "labels": (("labels", "draw"),),
    }

    def __init__(self, renderer):
        self.renderer = renderer
        self.hud = True
        self.trip_card = True
        self.settings = self._settings_object(renderer)
        self._gates: dict[str, bool] = {}
        self._wrapped = False
        self._initial = {name: self.get(name) for name in self.names()}

    def get(self, name: str) -> bool:
        if name in ("hud", "trip_card"):
            return getattr(self, name)
        if self.settings is not None and hasattr(self.settings, name):
            return bool(getattr(self.settings, name))
        if name == "station_names":
            return bool(self.renderer.show_station_names)
        return self._gates.get(name, True)

    def reset(self) -> None:
        """Every toggle back to how the renderer had it when this switch was made."""
        for name, on in self._initial.items():
            self.set(name, on)

    @staticmethod
    def _settings_object(renderer):
        for name in ("layer_settings", "layers", "settings"):
            obj = getattr(renderer, name, None)
            if obj is not None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
                return obj
        return None

    def names(self) -> list[str]:
        if self.settings is not None:
            own = [f.name for f in dataclasses.fields(self.settings)
                   if isinstance(getattr(self.settings, f.name), bool)]
        else:
            own = [n for n, parts in self._FALLBACK.items()
                   if all(hasattr(self.renderer, obj) for obj, _ in parts)]
        extra = ["hud", "trip_card"] + (["station_names"] if hasattr(self.renderer, "show_station_names")
                           else [])
        return own + [n for n in extra if n not in own]

    def set(self, name: str, on: bool) -> None:
        on = bool(on)
        if name in ("hud", "trip_card"):
            setattr(self, name, on)
        elif name == "station_names" and (self.settings is None
                                          or not hasattr(self.settings, name)):
            self.renderer.show_station_names = on
        elif self.settings is not None:
            setattr(self.settings, name, on)
        else:
            self._wrap()
            self._gates[name] = on

    def _wrap(self) -> None:
        if self._wrapped:
            return
        self._wrapped = True
        for name, parts in self._FALLBACK.items():
            for obj_name, method in parts:
                obj = getattr(self.renderer, obj_name, None)
                if obj is None:
                    continue
                original = getattr(obj, method)

                def gated(*args, _orig=original, _name=name, **kwargs):
                    if self._gates.get(_name, True):
                        return _orig(*args, **kwargs)
                    return None

                setattr(obj, method, gated)


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
    def __init__(self, timeline: tl.Timeline, renderer, camera: DirectedCamera, fps: float,
                 title: str = "", warn=None):
        self.timeline = timeline
        self.renderer = renderer
        self.camera = camera
        self.fps = float(fps)
        self.title = title
        self.path = CameraPath(timeline.camera)
        self.layers = LayerSwitch(renderer)
        self._fired: set[int] = set()
        self._sat_index: dict[int, int] = {}
        self._warn = warn or (lambda text: print(text, file=sys.stderr))
        self._prompt_warned = False

    # -- checks before rendering --
    def validate(self, snapshot) -> None:
        """Resolve every satellite, station and layer name; UserError naming the entry."""
        self.path.validate(snapshot)
        names = set(self.layers.names())
        for e in self.timeline.entries:
            if e.kind in ("select", "prompt"):
                ref = e.values["sat"]
                if e.kind == "select" and str(ref).strip() in ("", "-1"):
                    self._sat_index[e.index] = -1
                else:
                    self._sat_index[e.index] = resolve_sat(e, "sat", ref, snapshot.sat_names)
            if e.kind == "prompt" and e.values["station"].strip():
                _check_station(e, snapshot.station_names)
            if e.kind == "layers":
                for key in e.values:
                    if key not in names:
                        import difflib

                        close = difflib.get_close_matches(key, sorted(names), n=1)
                        hint = f" (did you mean '{close[0]}'?)" if close else ""
                        raise e.error(key, f"unknown layer{hint}; layers: "
                                      f"{', '.join(sorted(names))}")
        prompts = self.timeline.of_kind("prompt")
        if prompts and not tl.prompts_available():
            self._warn(f"warning: {len(prompts)} prompt entr{'y' if len(prompts) == 1 else 'ies'}"
                       " will be skipped: this build of the simulation has no Ask command yet")

    # -- per frame --
    def layers_due(self, t: float) -> None:
        """Apply the layer toggles of the entries whose time has come (each once)."""
        for e in self.timeline.entries:
            if e.at > t + 1e-9:
                break
            if e.kind == "layers" and e.index not in self._fired:
                self._fired.add(e.index)
                for name, on in e.values.items():
                    self.layers.set(name, on)

    def prepare(self, t: float, snapshot) -> list[Overlay]:
        """Point the camera, set the HUD; return the captions and title cards on screen."""
        eye, target, up, fov = self.path.pose(t, snapshot)
        self.camera.set_pose(eye, target, up, fov)
        if self.layers.hud:
            from viz.cli import caption_lines

            lines = caption_lines(snapshot, self.title)
            warp = snapshot.clock.warp_set
            lines[-1] += f"  ·  {warp:,.0f}x real time" if warp >= 1.5 else \
                ("  ·  time stopped" if warp == 0 else "")
            self.renderer.caption = lines
        else:
            self.renderer.caption = []
        out = []
        trips = getattr(snapshot, "round_trips", ())
        if trips and self.layers.get("trip_card"):
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


def _check_station(entry: tl.Entry, station_names) -> None:
    query = entry.values["station"].strip().lower()
    if any(query == n.lower() for n in station_names):
        return
    hits = [n for n in station_names if query in n.lower()]
    if len(hits) == 1:
        return
    what = "is ambiguous" if hits else "matches no station of this scenario"
    raise entry.error("station", f"'{entry.values['station']}' {what}; stations: "
                      f"{'; '.join(station_names)}")


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
