"""The read-only picture of the world that everything outside `sim/` reads.

A `Snapshot` is produced by `World.step()` / `World.snapshot()`. It holds plain numpy arrays
(and a few scalars) whose names carry their unit and frame, plus a `versions` dict: one counter
per array group that increases only when that group's content changes, so that a renderer layer
re-uploads only what changed (positions change every step; station positions never do; laser
links change when topology changes).

Frames: GCRS is the inertial scene frame (x towards the vernal equinox, z to the celestial
pole); ITRS is Earth-fixed. `itrs_to_gcrs` rotates an Earth-fixed vector into the scene frame at
the snapshot time (it is what the renderer uses to turn the Earth texture). Units: km, s, UTC.

Arrays are never modified after a Snapshot is made: the next step makes new arrays. Every
array a Snapshot or RoundTripView holds is a read-only view (writing into one raises
ValueError), so a reader cannot change what another reader, or the sim, sees.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Mapping

import numpy as np

from .clock import LIVE, ClockView
from .capture_view import ObservationView

#: Role codes used in `Snapshot.roles`; names indexed by code.
ROLE_NAMES: tuple[str, ...] = ("inference", "training", "other")
ROLE_INFERENCE, ROLE_TRAINING, ROLE_OTHER = 0, 1, 2


def _read_only_arrays(view) -> None:
    """Replace each numpy array field of the frozen dataclass `view` with a read-only view of
    it. A view, not the array itself: the sim may still own the array (e.g. the
    constellation's static roles), and only the Snapshot's readers are barred from writing."""
    for field in dataclasses.fields(view):
        value = getattr(view, field.name)
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value = value.view()
            value.flags.writeable = False
            object.__setattr__(view, field.name, value)


#: Round-trip phases in the order they happen (see sim/roundtrip.py).
ROUND_TRIP_PHASES: tuple[str, ...] = (
    "waiting_up",  # no station sees a satellite with a route to the target yet
    "uplink",  # ground station -> first satellite (light-time)
    "hops_up",  # laser hops to the target satellite (light-time)
    "queue",  # waiting for the target's model to finish earlier requests
    "inference",  # the onboard model generates the reply
    "waiting_down",  # no route from the target to any station yet
    "hops_down",  # laser hops to a satellite in view of a station (light-time)
    "downlink",  # satellite -> ground station (light-time)
    "done",
)


@dataclasses.dataclass(frozen=True)
class PhaseView:
    """One phase of a round trip, as scheduled or as it happened."""

    name: str  #: one of ROUND_TRIP_PHASES
    start_utc: dt.datetime
    duration_s: float  #: sim seconds (light-time phases last milliseconds)
    detail: str = ""  #: e.g. the hops, or why a path is missing


@dataclasses.dataclass(frozen=True)
class RoundTripView:
    """A prompt's trip Earth -> orbit -> Earth, for drawing and for the conversation log."""

    request_id: int
    sat: int  #: target satellite index
    station: int  #: index into Snapshot.station_names of the current ground end, -1 if none yet
    prompt: str
    reply: str  #: the tokens generated so far, decoded
    phase: str  #: current phase (ROUND_TRIP_PHASES)
    phase_progress: float  #: 0..1 through the current phase (sim time)
    #: (P,3) float32 GCRS polyline of the current leg (up: station ... target; down: target ...
    #: station), km; empty while waiting or computing
    leg_path_km: np.ndarray
    leg_sat_index: np.ndarray  #: (P,) int32 satellite index per point, -1 for the ground end
    #: 0..1 position of the packet along the leg by light-time (1 = arrived)
    leg_progress: float
    phases: tuple[PhaseView, ...]  #: phases so far, including the current one
    in_light_phase: bool  #: True during uplink/hops/downlink: the app may slow time down
    done: bool
    error: str = ""  #: set when the request failed (e.g. model error); `done` is then True
    tokens: int = 0  #: generated tokens so far
    #: ttft_ms, tokens_per_s, measured_s, flops, hardware_s; onboard_s, onboard_prefill_s and
    #: onboard_decode_s where the satellite has a hardware profile
    figures: Mapping[str, float] = dataclasses.field(default_factory=dict)
    #: (Q,3) float32 GCRS polyline of the way up (station ... target) once known, at the
    #: current positions, km (to draw the whole trip while the answer comes down); else empty
    up_path_km: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3), np.float32))
    up_sat_index: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int32))
    #: every phase scheduled so far, including those still to come (`phases` shows only
    #: those begun); after World.finish_round_trips, the whole trip
    plan: tuple[PhaseView, ...] = ()
    #: the weights that answer: "shipped", a model folder's name, or "trained step N" (a
    #: deployed checkpoint the satellite held when the prompt arrived); "" until on board
    model: str = ""

    def __post_init__(self):
        _read_only_arrays(self)


@dataclasses.dataclass(frozen=True)
class TrainingView:
    """A training job (sim/training/) for the renderer and the panel."""

    name: str
    collective: str  #: ring | grid | hierarchical
    members: np.ndarray  #: (N,) int32 satellite indices taking part, in ring order for ring
    steps_done: int
    phase: str  #: compute, a collective phase ("reduce-scatter", ...), re-forming, waiting
    phase_progress: float  #: 0..1 through the running phase (sim time)
    #: figures of the last finished step: step, step_s, compute_s, communication_s,
    #: waiting_s (s), gather_s (the part of communication_s in all-gather / broadcast
    #: phases), synced (1.0 when the step ran the collective, 0.0 for a local step),
    #: sync_every (the job's sync interval when the step ran),
    #: tokens_per_s, pflops_fraction (of the members' stated PFLOPS),
    #: bytes_moved, link_bytes (bytes), busiest_utilisation (0..1), busiest_a, busiest_b
    #: (the busiest link's satellites, as busiest_pair; -1: none); empty before the first
    figures: Mapping[str, float]
    busiest_pair: np.ndarray  #: (2,) int32 the last step's busiest laser link, (-1,-1): none
    ring_link_pairs: np.ndarray  #: (L,2) int32 laser links the current collective uses
    log: tuple[str, ...] = ()  #: recent events: re-formed rings, waits for a path
    sync_every: int = 1  #: the job synchronises every this many steps (1: every step)
    parameters: float = 0.0  #: the trained model's parameter count
    #: the figures (as `figures`) of the last step that ran the collective: the same step
    #: unless sync_every > 1 made the last one a local step; empty before the first
    sync_figures: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        _read_only_arrays(self)


@dataclasses.dataclass(frozen=True)
class DeployView:
    """The newest checkpoint deploy (sim/deploy.py): who holds what, and the transfers."""

    version: int  #: the checkpoint's number in this World (1, 2, ...)
    label: str  #: "trained step N": what the Ask log says of answers from it
    byte_size: float  #: bytes of the weights sent
    start_s: float  #: sim s since the epoch when it left the training satellites
    end_s: float  #: when the last target holds it
    #: (N,) int32 per satellite: version of the newest checkpoint it holds, 0 for none (it
    #: answers with the model it started with)
    held_version: np.ndarray
    holders: int  #: inference satellites that hold this version now
    inference_total: int  #: inference satellites in the scenario
    targets: np.ndarray  #: (T,) int32 satellites this deploy reaches
    progress: np.ndarray  #: (T,) float32 0..1 of each transfer (1: the target holds it)
    #: (T,P) int32 route nodes of each transfer, training satellite ... target, padded with
    #: -1; a node >= N is ground station node - N
    paths: np.ndarray
    path_len: np.ndarray  #: (T,) int32 valid nodes per route
    edges: np.ndarray  #: (E,2) int32 the routes' tree edges (parent, child node)
    edge_progress: np.ndarray  #: (E,) float32 0..1 of the checkpoint over each edge
    unreachable: int = 0  #: inference satellites with no path when it started
    log: tuple[str, ...] = ()

    def __post_init__(self):
        _read_only_arrays(self)

    @property
    def in_flight(self) -> int:
        """Transfers under way (started, not finished)."""
        return int((self.progress < 1.0).sum())


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """State of the simulated constellation at one instant.

    Per-satellite arrays have length N (``n_sats``); per-link arrays length M; per-station S.
    """

    # --- time -------------------------------------------------------------------------------
    time_utc: dt.datetime  #: instant of this snapshot, timezone-aware UTC
    sim_time_s: float  #: seconds of sim time since the scenario epoch
    warp: float  #: sim seconds per wall second of the last step (0 when paused)
    paused: bool
    step_index: int  #: number of steps taken since the world was made

    # --- satellites (N) ---------------------------------------------------------------------
    sat_names: tuple[str, ...]
    roles: np.ndarray  #: (N,) int8, codes into ROLE_NAMES
    shell_index: np.ndarray  #: (N,) int16, index into shell_names
    shell_names: tuple[str, ...]
    plane_index: np.ndarray  #: (N,) int32 orbital plane within its shell (-1 when unknown)
    positions_km: np.ndarray  #: (N,3) float64 GCRS position, km
    velocities_km_s: np.ndarray  #: (N,3) float64 GCRS velocity, km/s
    positions_itrs_km: np.ndarray  #: (N,3) float64 Earth-fixed position, km
    sunlit: np.ndarray  #: (N,) bool, True when the satellite is outside Earth's shadow
    online: np.ndarray  #: (N,) bool, False when SGP4 failed (decayed) for this satellite
    capacity_pflops: np.ndarray  #: (N,) float64 compute capacity, PFLOPS
    utilisation: np.ndarray  #: (N,) float64 compute in use / capacity, 0..1

    # --- Earth and Sun ------------------------------------------------------------------------
    itrs_to_gcrs: np.ndarray  #: (3,3) rotation taking Earth-fixed vectors to the scene frame
    sun_dir_gcrs: np.ndarray  #: (3,) unit vector from Earth's centre towards the Sun, GCRS

    # --- laser links (M) -------------------------------------------------------------------
    isl_pairs: np.ndarray  #: (M,2) int32 satellite indices, i < j, links up now
    isl_length_km: np.ndarray  #: (M,) float64
    isl_capacity_gbps: np.ndarray  #: (M,) float64
    isl_load_gbps: np.ndarray  #: (M,) float64 traffic on the link (both directions summed)
    #: (M,) int8 net direction of that traffic: +1 from isl_pairs[:,0] to isl_pairs[:,1],
    #: -1 the other way, 0 no traffic
    isl_flow_sign: np.ndarray

    # --- ground stations (S) and ground links (K) --------------------------------------------
    station_names: tuple[str, ...]
    station_lat_lon_deg: np.ndarray  #: (S,2) float64 geodetic latitude, longitude
    station_positions_itrs_km: np.ndarray  #: (S,3) float64 Earth-fixed, km
    station_positions_km: np.ndarray  #: (S,3) float64 GCRS, km
    ground_pairs: np.ndarray  #: (K,2) int32 [station index, satellite index], links up now
    ground_length_km: np.ndarray  #: (K,) float64 slant range

    # --- traffic flows (F): jobs travelling to/from their inference satellite -----------------
    #: (F,P,3) float32 GCRS polyline of each active flow's route (ground point, sats..., padded
    #: by repeating the last point), km. P is the longest route in this snapshot.
    flow_paths_km: np.ndarray
    flow_path_len: np.ndarray  #: (F,) int32 number of valid points in each flow's polyline
    #: (F,P) int32 satellite index of each polyline point; -1 for the ground end and padding.
    #: The last valid point is the satellite running the job's inference.
    flow_sat_index: np.ndarray
    flow_progress: np.ndarray  #: (F,) float32 0..1 along the path (packet position)
    flow_direction: np.ndarray  #: (F,) int8 +1 uplink towards the satellite, -1 answer going back

    # --- selection and totals ------------------------------------------------------------------
    selected: int  #: selected satellite index, -1 for none
    selected_orbit_km: np.ndarray  #: (K,3) float32 GCRS track of one orbit of the selection
    totals: Mapping[str, float]  #: panel figures: sats_online, links_up, pflops_*, requests_*
    versions: Mapping[str, int]  #: per-group change counters (see module docstring)
    #: prompts sent with the Ask command: in flight and recently finished
    round_trips: tuple[RoundTripView, ...] = ()
    #: the chosen warp, the automatic speed of the last step and why (sim/clock.py)
    clock: ClockView = ClockView(1.0, 1.0, False, "", "", LIVE)
    #: (3,) float64 WGS-84 geodetic latitude (deg), longitude (deg) and altitude (km) of the
    #: selected satellite; NaN when none is selected
    selected_geodetic: np.ndarray = dataclasses.field(
        default_factory=lambda: np.full(3, np.nan))
    #: (N,) int64 prompts each satellite has answered (Ask round trips); empty: none yet
    served_requests: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    model_busy: bool = False  #: the onboard model is generating for some round trip
    onboard_model: str = ""  #: checkpoint folder of the onboard model ("": the shipped one)
    #: mean loss (nats per byte) of every step of the real data-parallel run so far
    real_training_loss: tuple[float, ...] = ()
    real_training_running: bool = False  #: that run is still going
    real_training_error: str = ""  #: why that run stopped early ("" when it did not)
    training: tuple[TrainingView, ...] = ()  #: the scenario's training jobs
    deploy: DeployView | None = None  #: the newest checkpoint deploy (None: none yet)
    #: Earth-observation captures and the network's byte totals (sim/capture_view.py)
    observation: ObservationView = ObservationView()

    def __post_init__(self):
        _read_only_arrays(self)

    def sat_positions(self, indices) -> np.ndarray:
        """GCRS km of the satellites `indices` (an index, array or slice); viz/ahead.py's
        SnapshotAhead answers the same call with the positions moved on to a frame's time."""
        return self.positions_km[indices]

    def sat_velocities(self, indices) -> np.ndarray:
        """GCRS km/s of the satellites `indices` (see sat_positions)."""
        return self.velocities_km_s[indices]

    @property
    def n_sats(self) -> int:
        return len(self.sat_names)

    @property
    def n_links(self) -> int:
        return len(self.isl_pairs)


#: Array groups and the fields they cover; `versions[group]` changes when any field changes.
VERSION_GROUPS: dict[str, tuple[str, ...]] = {
    "satellites": ("sat_names", "roles", "shell_index", "plane_index", "capacity_pflops"),
    "positions": ("positions_km", "velocities_km_s", "positions_itrs_km", "sunlit", "online",
                  "isl_length_km", "ground_length_km", "station_positions_km"),
    "earth": ("itrs_to_gcrs", "sun_dir_gcrs"),
    "links": ("isl_pairs", "isl_capacity_gbps"),  # topology: changes when links make or break
    "load": ("isl_load_gbps", "isl_flow_sign", "utilisation"),
    "stations": ("station_names", "station_lat_lon_deg", "station_positions_itrs_km"),
    "ground_links": ("ground_pairs",),
    "flows": ("flow_paths_km", "flow_path_len", "flow_sat_index", "flow_progress",
              "flow_direction"),
    "selection": ("selected", "selected_orbit_km", "selected_geodetic"),
}
