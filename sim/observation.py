"""Earth observation decided on board: a satellite images the ground below, the vision model
classifies the scene, and only the answer (a few hundred bytes) comes down.

For one capture this module works out (`observe`):
- the scene (sim/scene.py) under the satellite at the World's instant, from its imaging payload
  (sim/payload.py; refused without one, or at night when the payload needs daylight);
- the label and confidence (sim/onboard/vision.py);
- raw bytes (the payload's full scene as sensed) and result bytes (the result message, UTF-8
  JSON, as it would be downlinked);
- on-board inference time by the roofline of the satellite's hardware profile
  (sim/onboard/roofline.py): the CNN's FLOPs at peak x efficiency, or reading its weights at
  bandwidth x efficiency, whichever is longer; None without a profile;
- when the result reaches a ground station: the first route from the satellite down to any
  station from the moment the result is ready (the same search `run.py route` and round trips
  use, sim/pathfinder.py): directly when a station sees the satellite, over the lasers to a
  satellite that sees one, or stored on board until a route opens. Light-time only: the result's
  transmission time (a few hundred bytes at Gbps) is below a microsecond.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np

from . import constellation as constellation_mod
from . import ephemeris
from .errors import UserError
from .pathfinder import RouteResult, ground_to_sat_best, next_route
from .payload import ImagingPayload
from .roundtrip import PATH_HORIZON_S
from .routing import Route
from .scene import TILE_PX, Scene, capture_scene, sun_elevation_deg

#: How far ahead `next_daylight` looks, s, and its step (a LEO ground track crosses the
#: terminator twice an orbit, ~95 min).
DAYLIGHT_HORIZON_S = 3 * 3600.0
DAYLIGHT_STEP_S = 30.0


@dataclasses.dataclass(frozen=True)
class Downlink:
    """How the result gets down. `path`: "direct" (the satellite sees a station), "lasers"
    (over laser links to one that does), "stored" (kept on board until a route opens; then
    `route` says which), "none" (no route within the horizon)."""

    ready: dt.datetime  #: the result is ready on board (capture + inference)
    on_ground: dt.datetime | None  #: it reaches the station (None: not within the horizon)
    waited_s: float  #: stored on board before the route opened, s
    path: str
    route: Route | None  #: satellite -> ... -> station (route-node numbering, see routing.py)
    hops: tuple[str, ...] = ()  #: names along the route, satellite first, station last


@dataclasses.dataclass(frozen=True)
class Observation:
    satellite: str
    sat: int
    when: dt.datetime
    payload: ImagingPayload
    scene: Scene
    label: str
    confidence: float
    probabilities: dict
    raw_bytes: float  #: the full scene as sensed, B
    result: str  #: the result message (JSON text) that is downlinked
    flops: int  #: the vision model's forward FLOPs for the tile
    onboard_s: float | None  #: roofline time on the satellite's hardware, s (None: no profile)
    onboard_bound: str  #: "compute" or "memory" ("" without a profile)
    downlink: Downlink
    #: roofline time to classify the whole scene at the sensor's GSD in TILE_PX tiles, in one
    #: batch (the weights read once), s; None without a profile
    full_scene_s: float | None = None

    @property
    def result_bytes(self) -> int:
        return len(self.result.encode("utf-8"))


def payload_of(world, sat: int) -> ImagingPayload:
    """The imaging payload satellite `sat` carries; UserError naming the shells that have one."""
    con = world.constellation
    shell = con.shells[con.shell_index[sat]]
    payload = world.scenario.payload_of_shell(shell)
    if payload is None:
        carriers = [s.name for s in con.shells if world.scenario.payload_of_shell(s)]
        which = (f"shells with one: {', '.join(carriers)}" if carriers else
                 "this scenario has none (add [imaging.<name>] and `imaging` to a shell)")
        raise UserError(f"satellite {con.names[sat]} (shell {con.shell_names[con.shell_index[sat]]})"
                        f" has no imaging payload; {which}")
    return payload


def sun_itrs(state: constellation_mod.State) -> np.ndarray:
    """The Sun's unit direction in ITRS at a state's instant."""
    return state.itrs_to_gcrs.T @ state.sun_dir_gcrs


def capture(world, sat: int, payload: ImagingPayload) -> Scene:
    """The scene under `sat` at the World's instant; UserError when SGP4 cannot place it, or
    when the ground is dark and the payload needs daylight (saying when it next is lit)."""
    state = world.geometry.state
    name = world.constellation.names[sat]
    if not state.online[sat]:
        raise UserError(f"satellite {name} cannot be placed at {world.now.isoformat()} "
                        "(decayed or invalid elements)")
    scene = capture_scene(state.positions_itrs_km[sat], state.velocities_itrs_km_s[sat],
                          sun_itrs(state), payload.swath_km)
    if payload.needs_daylight and not scene.daylight:
        lit = next_daylight(world, sat, world.now)
        hint = (f"; the ground below it is next lit at {lit.isoformat()}" if lit else "")
        raise UserError(
            f"satellite {name}: the ground below ({scene.lat_deg:.2f}, {scene.lon_deg:.2f}) is "
            f"dark at {world.now.isoformat()} (Sun {-scene.sun_elevation_deg:.1f} deg below the "
            f"horizon) and payload {payload.name!r} needs daylight{hint}")
    return scene


def next_daylight(world, sat: int, start: dt.datetime) -> dt.datetime | None:
    """The first instant (to DAYLIGHT_STEP_S) within DAYLIGHT_HORIZON_S after `start` when the
    Sun is up at `sat`'s nadir; None if none (a satellite that stays over the night side).
    SGP4 for this one satellite at every instant in one call, with frames of its own (the
    World's stay at the World's instant): the whole constellation is not propagated."""
    from .stations import geodetic_from_itrs

    whens = [start + dt.timedelta(seconds=k * DAYLIGHT_STEP_S)
             for k in range(1, int(DAYLIGHT_HORIZON_S / DAYLIGHT_STEP_S) + 1)]
    jd, fr = np.ascontiguousarray(np.array([constellation_mod.utc_julian_date(w) for w in whens]).T)
    errors, r_teme, _ = world.constellation.satrecs[sat].sgp4_array(jd, fr)
    frames = ephemeris.EarthFrames()
    for when, error, r in zip(whens, errors, r_teme):
        if error != 0 or not np.isfinite(r).all():
            continue
        teme_to_gcrs, gcrs_to_itrs, sun_gcrs = frames.at(when)
        lat, lon, _ = geodetic_from_itrs((gcrs_to_itrs @ (teme_to_gcrs @ r))[None])
        if sun_elevation_deg(float(lat[0]), float(lon[0]), gcrs_to_itrs @ sun_gcrs) > 0.0:
            return when
    return None


def onboard_time(flops: float, weight_bytes_count: float, profile) -> tuple[float, str]:
    """Roofline seconds of one forward pass on `profile` and its bound: the FLOPs at peak, or
    one read of the weights at bandwidth (both x efficiency), whichever is longer."""
    from .onboard.roofline import compute_s, transfer_s

    compute = compute_s(flops, profile.peak_tops, profile.efficiency)
    memory = transfer_s(weight_bytes_count, profile.memory_bandwidth_gb_s, profile.efficiency)
    return (compute, "compute") if compute >= memory else (memory, "memory")


def result_message(name: str, when: dt.datetime, scene: Scene, label: str, confidence: float,
                   probabilities: dict) -> str:
    """The result as downlinked: compact JSON (the label, its confidence, the runner-up)."""
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])
    return json.dumps({
        "sat": name, "utc": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lat": round(scene.lat_deg, 4), "lon": round(scene.lon_deg, 4),
        "heading": round(scene.heading_deg, 1), "swath_km": scene.swath_km,
        "label": label, "confidence": round(confidence, 3),
        "next": {ranked[1][0]: round(ranked[1][1], 3)},
    }, separators=(",", ":"))


def downlink_finder(world, sat: int):
    """Route finder (pathfinder.RouteAt) from the nearest station that can reach `sat`."""
    stations = np.arange(world.n_stations)
    return ground_to_sat_best(world.model, world.station_sites, stations, sat)


def downlink_of(world, ready: dt.datetime, result: RouteResult) -> Downlink:
    """The Downlink a route search from `ready` found (see Downlink)."""
    if result.route is None:
        return Downlink(ready, None, result.waited_s, "none", None)
    up = result.route
    route = Route(tuple(reversed(up.nodes)), tuple(reversed(up.hop_km)))
    n = world.constellation.size
    names = tuple(world.constellation.names[v] if v < n else world.scenario.stations[v - n].name
                  for v in route.nodes)
    path = "stored" if result.waited_s > 0 else "direct" if len(route.nodes) == 2 else "lasers"
    arrival = result.when + dt.timedelta(seconds=route.one_way_s)
    return Downlink(ready, arrival, result.waited_s, path, route, names)


def downlink(world, sat: int, ready: dt.datetime) -> Downlink:
    """When and how a result ready on `sat` at `ready` reaches a station (searched to the end
    now; the live sim searches a bounded amount per step, sim/observation_service.py)."""
    return downlink_of(world, ready, next_route(downlink_finder(world, sat), ready,
                                                PATH_HORIZON_S))


@dataclasses.dataclass(frozen=True)
class VisionFigures:
    """The vision model's cost for one capture on a satellite's hardware (seconds, FLOPs)."""

    flops: int  #: forward FLOPs of the tile
    onboard_s: float | None  #: roofline time of the tile (None: no hardware profile)
    bound: str  #: "compute" or "memory" ("" without a profile)
    full_scene_s: float | None  #: the whole scene at the sensor's GSD in tiles, one batch


def vision_figures(world, sat: int, payload: ImagingPayload) -> VisionFigures:
    """The roofline of the vision model on `sat`'s hardware profile (weights at its dtype)."""
    from .onboard import vision
    from .onboard.roofline import DTYPE_BYTES

    flops = vision.tile_flops()
    profile = world.round_trips.hardware_of(sat)
    if profile is None:
        return VisionFigures(flops, None, "", None)
    weights = vision.parameter_count(vision.load()) * DTYPE_BYTES[profile.weight_dtype]
    onboard_s, bound = onboard_time(flops, weights, profile)
    full_s, _ = onboard_time(flops * (payload.pixels_across / TILE_PX) ** 2, weights, profile)
    return VisionFigures(flops, onboard_s, bound, full_s)


def observe(world, sat_query: str) -> Observation:
    """One capture by satellite `sat_query` (index or name) at the World's instant, classified
    here (on the calling thread), with its figures and its way down."""
    from .onboard import vision

    sat = world.find_satellite(sat_query)
    payload = payload_of(world, sat)
    scene = capture(world, sat, payload)
    label, confidence, probabilities = vision.classify(scene.tile)
    cost = vision_figures(world, sat, payload)
    name = world.constellation.names[sat]
    ready = world.now + dt.timedelta(seconds=cost.onboard_s or 0.0)
    return Observation(name, sat, world.now, payload, scene, label, confidence, probabilities,
                       payload.raw_scene_bytes(),
                       result_message(name, world.now, scene, label, confidence, probabilities),
                       cost.flops, cost.onboard_s, cost.bound, downlink(world, sat, ready),
                       cost.full_scene_s)
