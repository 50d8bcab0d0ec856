"""Scripted scenarios: the `[[timeline]]` entries of a scenario file, read and checked.

A timeline says what happens during a recording (or a scripted playback). Every entry has
`at` (seconds of *video* time from the start, >= 0) and a `kind`; the other keys depend on
the kind. Entries may be written in any order; they are sorted by `at` (ties keep file order).

    kind = "camera"   a keyframe; keys left out keep the previous keyframe's value
        preset = "default" | "asia" | "polar"   the direction of a named view, resolved each
                                                frame (the distance stays distance_km); the
                                                views "close" and "trip" frame a selection or
                                                a round trip: use `follow` for those
        azimuth_deg, elevation_deg              direction of the eye from the target, in `frame`
        distance_km                             eye to target
        fov_deg                                 vertical field of view (5..120)
        frame = "inertial" | "earth" | "chase"  reference frame of azimuth/elevation: GCRS, the
                                                Earth-fixed frame (azimuth = longitude,
                                                elevation = latitude), or the followed
                                                satellite's local frame (x along track, z up)
        follow = "XS-03" | 7                    look at (and move with) a satellite; "" or -1
                                                goes back to the Earth's centre
        place = "Beijing" | [lat_deg, lon_deg]  fly over a station / city / point: sets
                                                frame = "earth" and the direction above it
        ease = "smooth" | "linear" | "cut"      how to get here from the previous keyframe
    kind = "warp"     warp = sim seconds per video second (0..1e6); ramp_s = seconds to ease
                      from the previous warp (geometric), default 0 (a step); light_warp =
                      the warp while a prompt is in flight at light speed (uplink, laser hops,
                      downlink), e.g. 0.002, so the packets can be seen; with it, steps also
                      stop at each round-trip phase boundary so no phase is skipped
    kind = "layers"   any layer toggles as booleans, e.g. links = false, flows = true
                      (the names of sim.layers.LayerSettings, checked when the file is read)
    kind = "caption"  text, duration_s = 4, fade_s = 0.4, position = "bottom" | "top"
    kind = "title"    text, subtitle = "", duration_s = 4, fade_s = 0.6 (a title card)
    kind = "select"   sat = name or index ("" or -1 clears)
    kind = "prompt"   sat, prompt, station = "" (nearest with a path), max_tokens = 48
                      (1..2048), seed = 0, timing = "fixed" | "measured" | "onboard",
                      tokens_per_s = 40 (fixed timing, 0.1..1e6): sends a prompt to the
                      onboard model (the Ask command, whose limits these are: sim/commands.py)
    kind = "training" change a training job live (the SetTraining command): job = "" (the
                      first), collective = "ring" | "grid" | "hierarchical", sync_every = H,
                      link_gbps = every laser link's capacity, parameters, paused = true/false
    kind = "capture"  sat: the satellite images the ground below it now; the vision model
                      decides on board and the result comes down (the Capture command)
    kind = "deploy"   real_steps = 1 (1..MAX_SCRIPT_REAL_STEPS), job = "" (the first): train a
                      fresh model of the onboard architecture for real (that many PyTorch
                      steps, 2 replicas, TrainForReal), then send its checkpoint from the
                      job's members to every inference satellite (DeployCheckpoint with
                      after_training). A recording waits for the training inside the frame, so
                      the deploy starts at the entry's instant, frame-exact; the transfers take
                      milliseconds of sim time: a `warp` entry's light_warp slows them down
    kind = "end"      the timeline's length (default: when the last entry finishes)

Errors name the file, the line, the entry (counted from 1 in file order) and the field.
Names that need the scenario's satellites and stations (select, prompt, capture, follow) are
checked by `check_names(timeline, sat_names, station_names)`, which both `run.py info` and
`run.py record` call, so the two accept and refuse the same files with the same message.
"""
from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from .commands import COLLECTIVES, FIXED_TOKENS_PER_S, MAX_TOKENS, TIMINGS
from .errors import UserError
from .layers import check_name as check_layer_name
from .tomlcheck import Field, TomlSource, between, one_of, read_table
from .training import setting_check

KINDS = ("camera", "warp", "layers", "caption", "title", "select", "prompt", "training",
         "capture", "deploy", "end")
#: The most real training steps a script's `deploy` entry may ask for (each takes about 0.3 s
#: of wall time on 2 CPU cores, and a recording waits for them).
MAX_SCRIPT_REAL_STEPS = 100
#: Named camera views that are a direction only (the distance is the keyframe's): a timeline
#: camera `preset` may be one of these.
DIRECTION_PRESETS = ("default", "asia", "polar")
#: Named views that frame a subject: the selected satellite ("close") or the first round
#: trip ("trip"). `shot --camera` and the app offer them; a timeline says what to look at
#: with `follow` instead (its subject must be known before the first frame).
SUBJECT_PRESETS = ("close", "trip")
#: Every named camera view, the one list viz/presets.py implements.
CAMERA_PRESETS = DIRECTION_PRESETS + SUBJECT_PRESETS
CAMERA_FRAMES = ("inertial", "earth", "chase")
EASES = ("smooth", "linear", "cut")


def _direction_preset(value: str) -> str | None:
    """The check of a camera keyframe's `preset` (None when fine, else the problem)."""
    if value in DIRECTION_PRESETS:
        return None
    if value in SUBJECT_PRESETS:
        return (f"the view {value!r} frames a selection or a round trip and is not available "
                f"in a timeline; use follow = \"SATELLITE\" (with frame = \"chase\") or one "
                f"of {', '.join(DIRECTION_PRESETS)}")
    return f"must be one of {', '.join(DIRECTION_PRESETS)}; got {value!r}"


_AT = Field(float, required=True, check=between(0, 24 * 3600, " s"))
_KIND = Field(str, required=True, check=one_of(*KINDS))
_COMMON = {"at": _AT, "kind": _KIND}
_SAT = Field((str, int), required=True)
_SCHEMAS: dict[str, dict[str, Field]] = {
    "camera": {
        "preset": Field(str, None, check=_direction_preset),
        "azimuth_deg": Field(float, None, check=between(-720, 720, " deg")),
        "elevation_deg": Field(float, None, check=between(-89, 89, " deg")),
        "distance_km": Field(float, None, check=between(10, 1_000_000, " km")),
        "fov_deg": Field(float, None, check=between(5, 120, " deg")),
        "frame": Field(str, None, check=one_of(*CAMERA_FRAMES)),
        "follow": Field((str, int), None),
        "place": Field((str, list), None),
        "ease": Field(str, "smooth", check=one_of(*EASES)),
    },
    "warp": {"warp": Field(float, required=True, check=between(0, 1e6)),
             "ramp_s": Field(float, 0.0, check=between(0, 3600, " s")),
             "light_warp": Field(float, None, check=between(1e-6, 1e6))},
    "layers": {},  # boolean keys named by sim.layers.LayerSettings, checked below
    "caption": {"text": Field(str, required=True),
                "duration_s": Field(float, 4.0, check=between(0.05, 3600, " s")),
                "fade_s": Field(float, 0.4, check=between(0, 60, " s")),
                "position": Field(str, "bottom", check=one_of("bottom", "top"))},
    "title": {"text": Field(str, required=True), "subtitle": Field(str, ""),
              "duration_s": Field(float, 4.0, check=between(0.05, 3600, " s")),
              "fade_s": Field(float, 0.6, check=between(0, 60, " s"))},
    "select": {"sat": _SAT},
    "prompt": {"sat": _SAT, "prompt": Field(str, required=True), "station": Field(str, ""),
               "max_tokens": Field(int, 48, check=between(1, MAX_TOKENS, " tokens")),
               "seed": Field(int, 0), "timing": Field(str, "fixed",
                                          check=one_of(*TIMINGS)),
               "tokens_per_s": Field(float, 40.0, check=between(*FIXED_TOKENS_PER_S, " tokens/s"))},
    "training": {"job": Field(str, ""),
                 "collective": Field(str, None, check=one_of(*COLLECTIVES)),
                 "sync_every": Field(int, None, check=setting_check("sync_every")),
                 "link_gbps": Field(float, None, check=setting_check("link_gbps")),
                 "parameters": Field(float, None, check=setting_check("parameters")),
                 "paused": Field(bool, None)},
    "capture": {"sat": _SAT},
    "deploy": {"job": Field(str, ""),
               "real_steps": Field(int, 1, check=between(1, MAX_SCRIPT_REAL_STEPS, " steps"))},
    "end": {},
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One checked timeline entry. `values` holds the kind's keys with defaults filled in
    (for camera keyframes: only the keys written, plus `ease`)."""

    index: int  #: 0-based position in the file (messages count from 1)
    at: float  #: seconds of video time
    kind: str
    values: dict
    source: str = ""  #: file path for messages
    lines: dict = dataclasses.field(default_factory=dict)  #: key (or "" = header) -> line

    def where(self, key: str | None = None) -> str:
        """'file:LINE: timeline[N].key' for error messages."""
        line = self.lines.get(key or "") or self.lines.get("")
        place = f"{self.source}:{line}" if line else (self.source or "timeline")
        field = f"timeline[{self.index + 1}]" + (f".{key}" if key else "")
        return f"{place}: {field} ({self.kind})"

    def error(self, key: str | None, message: str) -> UserError:
        return UserError(f"{self.where(key)}: {message}")

    @property
    def end(self) -> float:
        """When the entry has finished (video seconds)."""
        return self.at + float(self.values.get("duration_s") or self.values.get("ramp_s") or 0)


@dataclasses.dataclass(frozen=True)
class CameraKey:
    """A camera keyframe with every value known (carried over from earlier keyframes).
    `follow` is a satellite reference as written ("" = none), resolved by the player."""

    at: float
    entry: Entry
    preset: str | None
    azimuth_deg: float
    elevation_deg: float
    distance_km: float
    fov_deg: float
    frame: str
    follow: str
    place: tuple[float, float] | None  #: (lat_deg, lon_deg) of a `place`, else None
    ease: str


@dataclasses.dataclass(frozen=True)
class Timeline:
    entries: tuple[Entry, ...] = ()
    camera: tuple[CameraKey, ...] = ()
    source: str = ""

    def of_kind(self, kind: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    @property
    def length_s(self) -> float:
        """The `end` entry's time, else when the last entry finishes (0 when empty)."""
        ends = self.of_kind("end")
        if ends:
            return ends[-1].at
        return max((e.end for e in self.entries), default=0.0)

    def __bool__(self) -> bool:
        return bool(self.entries)


# --- reading ---------------------------------------------------------------------------------

def load(path) -> Timeline:
    """The timeline of a scenario file (empty when it has none)."""
    return from_source(TomlSource.read(pathlib.Path(path)))


def of_scenario(scenario) -> Timeline:
    """The timeline of a scenario's own .toml file (empty for built-ins without one, TLE and
    OMM files)."""
    path = scenario.path
    if path is not None and pathlib.Path(path).suffix.lower() == ".toml":
        return load(path)
    return Timeline()


def loads(text: str, name: str = "<timeline>") -> Timeline:
    """The timeline in TOML text (for tests and tools)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{name}: invalid TOML: {error}") from None
    return from_source(TomlSource(pathlib.Path(name), text, data))


def from_source(src: TomlSource) -> Timeline:
    raw = src.data.get("timeline", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise src.error(("timeline",), None, "expected [[timeline]] entries (an array of tables)")
    entries = [_read_entry(src, i, r) for i, r in enumerate(raw)]
    entries.sort(key=lambda e: (e.at, e.index))
    ends = [e for e in entries if e.kind == "end"]
    if len(ends) > 1:
        raise ends[1].error(None, "more than one 'end' entry")
    return Timeline(tuple(entries), _camera_keys(entries), str(src.path))


def _read_entry(src: TomlSource, index: int, raw: dict) -> Entry:
    table = ("timeline", index)
    head = read_table(src, table, {k: raw[k] for k in ("at", "kind") if k in raw}, _COMMON)
    kind = head["kind"]
    body = {k: v for k, v in raw.items() if k not in ("at", "kind")}
    lines = {"": src.line_of(table)}
    for key in body:
        lines[key] = src.line_of(table, key)
    if kind == "layers":  # checked in _check_layers
        values = dict(body)
    else:
        values = read_table(src, table, body, _SCHEMAS[kind])
        if kind == "camera":  # keep only what was written: the rest carries over
            values = {k: v for k, v in values.items() if k in body or k == "ease"}
    entry = Entry(index, head["at"], kind, values, str(src.path), lines)
    _check_entry(entry)
    return entry


def _check_layers(e: Entry) -> None:
    """A layers entry: at least one toggle, each a LayerSettings name set to true/false."""
    if not e.values:
        raise e.error(None, "a layers entry needs at least one toggle, e.g. links = false")
    for key, value in e.values.items():
        try:
            check_layer_name(key)
        except UserError as error:
            raise e.error(key, str(error)) from None
        if not isinstance(value, bool):
            raise e.error(key, f"expected true/false, got {value!r}")


def _check_entry(e: Entry) -> None:
    v = e.values
    if e.kind == "layers":
        _check_layers(e)
    if e.kind == "training" and all(v[k] is None for k in v if k != "job"):
        raise e.error(None, "a training entry needs at least one of collective, sync_every, "
                      "link_gbps, parameters, paused")
    if e.kind in ("caption", "title", "prompt"):
        key = "prompt" if e.kind == "prompt" else "text"
        if not v[key].strip():
            raise e.error(key, "must not be empty")
    if e.kind in ("caption", "title") and v["fade_s"] * 2 > v["duration_s"]:
        raise e.error("fade_s", f"fade in + fade out ({2 * v['fade_s']:g} s) is longer than "
                      f"duration_s ({v['duration_s']:g} s)")
    if e.kind == "camera":
        if "place" in v:
            v["place"] = _place(e, v["place"])
            for key in ("azimuth_deg", "elevation_deg", "follow", "preset"):
                if key in v:
                    raise e.error(key, "conflicts with 'place' (a place sets the view "
                                  "direction over it and looks at the Earth's centre)")
            if v.get("frame", "earth") != "earth":
                raise e.error("frame", "a place is seen in the Earth-fixed frame: leave "
                              "frame out or set it to \"earth\"")
        if len(v) == 1:  # only ease
            raise e.error(None, "a camera keyframe needs at least one of " +
                          ", ".join(k for k in _SCHEMAS["camera"] if k != "ease"))


def _place(e: Entry, value: Any) -> tuple[float, float]:
    """A place name (station or city) or [lat_deg, lon_deg] -> (lat, lon)."""
    if isinstance(value, list):
        if len(value) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                      for x in value):
            raise e.error("place", f"expected [lat_deg, lon_deg], got {value!r}")
        lat, lon = float(value[0]), float(value[1])
        if not -90 <= lat <= 90 or not -180 <= lon <= 360:
            raise e.error("place", f"latitude -90..90 and longitude -180..360, got {value!r}")
        return lat, lon
    from . import stations

    known = tuple(stations.cities())
    for name in stations.STATION_SETS:
        known += stations.station_set(name)
    try:
        point = stations.parse_ground_point(value, known)
    except UserError as error:
        raise e.error("place", str(error)) from None
    return float(point.lat_deg), float(point.lon_deg)


#: The first keyframe's starting values for keys it leaves out.
CAMERA_DEFAULTS = dict(preset="default", azimuth_deg=20.0, elevation_deg=20.0,
                       distance_km=26000.0, fov_deg=40.0, frame="inertial", follow="",
                       place=None)


def _camera_keys(entries: list[Entry]) -> tuple[CameraKey, ...]:
    keys: list[CameraKey] = []
    state = dict(CAMERA_DEFAULTS)
    for e in entries:
        if e.kind != "camera":
            continue
        v = e.values
        if "preset" in v:  # a preset gives the direction (az/el written here override it)
            state.update(preset=v["preset"], place=None, frame="inertial", follow="")
        if any(k in v for k in ("azimuth_deg", "elevation_deg", "place")):
            state["preset"] = None  # an explicit direction replaces the preset's
        if "place" in v:
            state.update(place=v["place"], frame="earth", follow="")
        elif any(k in v for k in ("azimuth_deg", "elevation_deg")):
            state["place"] = None
        if "follow" in v:
            follow = v["follow"]
            state["follow"] = "" if follow in (-1, "-1") else str(follow).strip()
            if state["follow"]:
                state["place"] = None
        for key in ("azimuth_deg", "elevation_deg", "distance_km", "fov_deg", "frame"):
            if key in v:
                state[key] = v[key]
        if state["frame"] == "chase" and not state["follow"]:
            raise e.error("frame", "frame \"chase\" needs a followed satellite: add follow = "
                          "\"NAME\" here or in an earlier keyframe")
        keys.append(CameraKey(at=e.at, entry=e, ease=v["ease"], **state))
    return tuple(keys)


# --- names that need the scenario ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ResolvedNames:
    """Satellite indices the timeline's references resolve to in one scenario."""

    sats: dict  #: entry index (select / prompt) -> satellite index (-1: a select that clears)
    follow: dict  #: camera `follow` reference as written -> satellite index


def check_names(timeline: Timeline, sat_names, station_names,
                job_names=None) -> ResolvedNames:
    """Resolve every satellite (select, prompt, camera follow) and station (prompt) the
    timeline names against a scenario's names; UserError naming the file, line, entry and
    field of the first that does not resolve. Places and layer names are checked when the
    file is read. `run.py info` and `run.py record` both call this. `job_names`: the
    scenario's training jobs, for `training` entries (None: not checked)."""
    from .names import match_name
    from .satellites import find_satellite

    sat_names, station_names = tuple(sat_names), tuple(station_names)

    def satellite(entry: Entry, key: str, ref) -> int:
        try:
            return find_satellite(sat_names, str(ref))
        except UserError as error:
            raise entry.error(key, str(error)) from None

    sats: dict[int, int] = {}
    follow: dict[str, int] = {}
    for e in timeline.entries:  # in timeline order: the first bad one is reported
        if e.kind == "select" and str(e.values["sat"]).strip() in ("", "-1"):
            sats[e.index] = -1
        elif e.kind in ("select", "prompt", "capture"):
            sats[e.index] = satellite(e, "sat", e.values["sat"])
        if e.kind == "prompt" and e.values["station"].strip():
            try:  # the matcher the World's Ask command uses
                match_name(e.values["station"], station_names, "station")
            except UserError as error:
                raise e.error("station", str(error)) from None
        if e.kind == "training" and job_names is not None:
            _check_job(e, tuple(job_names))
        if e.kind == "deploy" and job_names is not None and (job_names or e.values["job"]):
            _check_job(e, tuple(job_names))  # no job at all: every training satellite sends
        ref = str(e.values.get("follow", "")).strip() if e.kind == "camera" else ""
        if ref not in ("", "-1"):  # as written: CameraKey.follow holds the same text
            follow[ref] = satellite(e, "follow", ref)
    return ResolvedNames(sats, follow)


def _check_job(e: Entry, job_names: tuple[str, ...]) -> None:
    from .training import job_index

    try:
        job_index(job_names, e.values["job"])
    except UserError as error:
        raise e.error("job" if job_names or e.values["job"] else None, str(error)) from None

