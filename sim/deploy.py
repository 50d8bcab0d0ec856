"""Deploying a trained checkpoint: its weights travel from the training satellites to the
inference satellites, and each inference satellite answers prompts with the newest checkpoint
it holds (sim/roundtrip.py asks `DeployService.checkpoint_for`).

The route: one multi-source shortest light-time search from the job's members over the laser
links and the ground stations' links of the instant the deploy starts, so every inference
satellite gets its copy from the nearest member and the routes form a tree. The weights go as
a pipelined broadcast along that tree: each link carries them once, a relay forwards bits as
they arrive (cut-through, as the training collectives are timed in sim/training/), so

    arrival = start + bytes x 8 / (bottleneck rate on the route, bit/s) + light-time of the route

A laser link's rate is what the inference traffic leaves of its capacity
(sim/training/graph.py `residual_gbps`), halved where the running collective of a training job
also uses it (one ring edge beside the checkpoint). The shells of a plan are not laser-linked to
each other (+Grid links stay within a shell, sim/links.py), so a checkpoint usually leaves the
training shell by a downlink to a ground station that sends it up again to an inference shell:
a station stores and forwards a file, which is what ground segments do with model weights today.
Ground links run at the scenario's laser capacity: an assumption (optical ground terminals
reached 200 Gbps in NASA's TBIRD demonstration, 2023) and their other traffic is not modelled.

The checkpoint itself stays in memory (sim/onboard/trained.py), numbered 1, 2, ... per World:
it is a few megabytes, lives as long as the app shows it, and nothing outside the run reads it.
Times are seconds of sim time, sizes bytes, rates Gbps (1e9 bit/s), lengths km.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .clock import TripSchedule
from .constants import SPEED_OF_LIGHT_KM_S
from .errors import UserError
from .snapshot import ROLE_INFERENCE, DeployView
from .training.graph import LaserGraph, residual_gbps

#: Deploys kept (their holders stay known; older checkpoints are dropped once no satellite
#: holds them as its newest).
KEEP_DEPLOYS = 8
LOG_LINES = 20


@dataclasses.dataclass(frozen=True)
class Broadcast:
    """Routes and times of one checkpoint to its targets (offsets from the start, s)."""

    targets: np.ndarray  #: (T,) satellites reached
    arrival_s: np.ndarray  #: (T,) when each holds the whole checkpoint, s after the start
    gbps: np.ndarray  #: (T,) bottleneck rate of each route
    light_s: np.ndarray  #: (T,) light-time along each route
    paths: np.ndarray  #: (T,P) route nodes source ... target, padded with -1 (station g: N+g)
    path_len: np.ndarray  #: (T,) valid nodes of each route
    unreachable: np.ndarray  #: satellites with no route from any source now
    edges: np.ndarray  #: (E,2) tree edges (parent, child node) of every route
    edge_start_s: np.ndarray  #: (E,) when the first bit leaves the parent
    edge_end_s: np.ndarray  #: (E,) when the child holds the whole checkpoint


def broadcast(graph: LaserGraph, link_gbps: np.ndarray, sources: np.ndarray,
              targets: np.ndarray, size_bytes: float) -> Broadcast:
    """Time a pipelined broadcast of `size_bytes` from the nearest of `sources` to every target
    over `graph`, whose links (graph numbering) run at `link_gbps`."""
    _, paths = graph.nearest_routes(sources, targets)
    reached = [i for i, p in enumerate(paths) if p is not None and len(p) > 1]
    routes = [paths[i] for i in reached]
    links = [graph.link_index(p[:-1], p[1:]) for p in routes]
    gbps = np.array([link_gbps[r].min() for r in links]) if links else np.zeros(0)
    light = np.array([graph.length_km[r].sum() for r in links]) / SPEED_OF_LIGHT_KM_S \
        if links else np.zeros(0)
    arrival = size_bytes * 8 / (gbps * 1e9) + light
    width = max((len(p) for p in routes), default=1)
    padded = np.full((len(routes), width), -1, np.int64)
    for row, p in enumerate(routes):
        padded[row, :len(p)] = p
    edges, starts, ends = _tree_edges(routes, links, graph, arrival)
    return Broadcast(np.asarray(targets)[reached].astype(np.int64), arrival, gbps, light,
                     padded, np.array([len(p) for p in routes], np.int64),
                     np.asarray(targets)[[i for i, p in enumerate(paths)
                                          if p is None]].astype(np.int64),
                     edges, starts, ends)


def _tree_edges(routes, links, graph: LaserGraph, arrival: np.ndarray):
    """Each tree edge once, with when its first bit leaves (light-time to its parent) and when
    its child is done (the earliest arrival of the routes through it: their bottleneck may be
    further on, the edge itself is done no later)."""
    first: dict[tuple[int, int], list[float]] = {}
    for p, r, done in zip(routes, links, arrival):
        to_parent = np.concatenate([[0.0], np.cumsum(graph.length_km[r])]) / SPEED_OF_LIGHT_KM_S
        for k in range(len(p) - 1):
            key = (int(p[k]), int(p[k + 1]))
            start_end = first.setdefault(key, [to_parent[k], done])
            start_end[1] = min(start_end[1], done)
    if not first:
        return np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0)
    times = np.array(list(first.values()))
    return np.array(list(first), np.int64), times[:, 0], times[:, 1]


def deploy_graph(geometry, n_stations: int, capacity_gbps: float, load_gbps: np.ndarray,
                 shared_pairs: np.ndarray) -> tuple[LaserGraph, np.ndarray]:
    """The laser links and the station links of `geometry` as one graph (station g is node
    N+g), and each link's rate for the checkpoint, Gbps (graph numbering): what inference
    leaves of a laser link, halved on `shared_pairs` (links a training collective uses);
    ground links at `capacity_gbps`."""
    n = len(geometry.sunlit)
    isl, ground = geometry.isl, geometry.ground
    rows = np.flatnonzero(ground.pairs[:, 0] < n_stations)
    ground_pairs = np.stack([ground.pairs[rows, 1], n + ground.pairs[rows, 0]], 1)
    pairs = np.concatenate([np.asarray(isl.pairs, np.int64).reshape(-1, 2),
                            ground_pairs.astype(np.int64)])
    lengths = np.concatenate([isl.length_km, ground.slant_km[rows]])
    graph = LaserGraph(pairs, lengths, n + n_stations)
    rate = np.concatenate([residual_gbps(capacity_gbps, load_gbps),
                           np.full(len(rows), capacity_gbps)])[graph.order]
    shared = np.asarray(shared_pairs, np.int64).reshape(-1, 2)
    if len(shared):
        hit = graph.link_index(shared[:, 0], shared[:, 1])
        rate[hit[hit >= 0]] /= 2.0
    return graph, rate


@dataclasses.dataclass
class Deploy:
    """One checkpoint on its way: the broadcast, from `start_s`."""

    checkpoint: object  #: sim/onboard/trained.py Checkpoint (version, step, bytes, label)
    start_s: float
    plan: Broadcast
    arrival_by_sat: np.ndarray  #: (N,) absolute arrival, s since the epoch; inf: never

    @property
    def end_s(self) -> float:
        return float(self.plan.arrival_s.max()) + self.start_s if len(self.plan.arrival_s) \
            else self.start_s


class DeployService:
    """The checkpoints deployed in a World and who holds which."""

    def __init__(self, roles: np.ndarray, names: tuple[str, ...]):
        self.roles, self.names = roles, names
        self._inference = roles == ROLE_INFERENCE  #: fixed: the constellation's roles
        self.deploys: list[Deploy] = []
        self.log: list[str] = []
        self.versions = 0  #: checkpoints deployed so far (the next is number versions + 1)
        #: (from sim time, view): once every kept deploy has ended the view no longer
        #: changes, and the last deploy stays in every Snapshot (O(N) to make each step)
        self._settled: tuple[float, DeployView] | None = None

    def start(self, checkpoint, now_s: float, geometry, n_stations: int, capacity_gbps: float,
              load_gbps: np.ndarray, sources: np.ndarray, shared_pairs: np.ndarray) -> Deploy:
        """Send `checkpoint` from `sources` (training satellites) to every inference satellite
        online now; UserError when none can be reached."""
        online = geometry.state.online
        sources = np.asarray(sources)[online[np.asarray(sources)]]
        targets = np.flatnonzero((self.roles == ROLE_INFERENCE) & online)
        if not len(sources) or not len(targets):
            raise UserError("deploy: needs online training satellites to send from and online "
                            "inference satellites to send to")
        graph, rate = deploy_graph(geometry, n_stations, capacity_gbps, load_gbps, shared_pairs)
        plan = broadcast(graph, rate, sources, targets, checkpoint.byte_size)
        if not len(plan.targets):
            raise UserError("deploy: no inference satellite has a laser or station path from "
                            "the training satellites now; try again later")
        arrival = np.full(len(self.roles), np.inf)
        arrival[plan.targets] = now_s + plan.arrival_s
        deploy = Deploy(checkpoint, now_s, plan, arrival)
        self.versions = max(self.versions, checkpoint.version)
        self.deploys = (self.deploys + [deploy])[-KEEP_DEPLOYS:]
        self._settled = None
        self._say(f"{checkpoint.label} ({checkpoint.byte_size / 1e6:.2f} MB) to "
                  f"{len(plan.targets):,} inference satellites: the last holds it after "
                  f"{plan.arrival_s.max() * 1e3:.2f} ms (slowest route "
                  f"{plan.gbps.min():,.3g} Gbps)"
                  + (f"; {len(plan.unreachable):,} have no path now" if len(plan.unreachable)
                     else ""))
        return deploy

    def _say(self, line: str) -> None:
        self.log = (self.log + [line])[-LOG_LINES:]

    def checkpoint_for(self, sat: int, at_s: float):
        """The newest checkpoint `sat` holds at sim time `at_s` (None: only the model it
        started with)."""
        held = [d.checkpoint for d in self.deploys if d.arrival_by_sat[sat] <= at_s]
        return max(held, key=lambda c: c.version, default=None)

    def held_versions(self, now_s: float) -> np.ndarray:
        """(N,) the version of the newest checkpoint each satellite holds (0: none)."""
        held = np.zeros(len(self.roles), np.int32)
        for d in self.deploys:
            np.maximum(held, np.where(d.arrival_by_sat <= now_s, d.checkpoint.version, 0),
                       out=held)
        return held

    def in_flight(self, now_s: float) -> Deploy | None:
        """The newest deploy still under way at `now_s`."""
        return next((d for d in reversed(self.deploys) if d.start_s <= now_s < d.end_s), None)

    def schedule(self, now_s: float, plan: TripSchedule) -> TripSchedule:
        """The round trips' schedule with a deploy under way folded in as a light-time
        phase, so that the live clock slows down and the transfers (milliseconds) are seen;
        a round trip's own light phase goes first."""
        d = self.in_flight(now_s)
        if d is None or plan.light_phase_s is not None:
            return plan
        ends = [t for t in (plan.next_boundary_s, d.end_s) if t is not None]
        return dataclasses.replace(
            plan, active=True, light_phase_s=d.end_s - d.start_s, light_phase="deploy",
            light_detail=f"{d.checkpoint.label} to {len(d.plan.targets):,} inference "
                         "satellites", next_boundary_s=min(ends))

    def view(self, now_s: float) -> DeployView | None:
        if not self.deploys:
            return None
        if self._settled is not None and now_s >= self._settled[0]:
            return self._settled[1]
        view = self._view(now_s)
        done_s = max(d.end_s for d in self.deploys)
        self._settled = (done_s, view) if now_s >= done_s else None
        return view

    def _view(self, now_s: float) -> DeployView:
        d = self.deploys[-1]
        plan = d.plan
        progress = np.clip((now_s - d.start_s) / np.maximum(plan.arrival_s, 1e-12), 0.0, 1.0)
        span = np.maximum(plan.edge_end_s - plan.edge_start_s, 1e-12)
        edge_progress = np.clip((now_s - d.start_s - plan.edge_start_s) / span, 0.0, 1.0)
        held = self.held_versions(now_s)
        inference = self._inference
        return DeployView(
            version=d.checkpoint.version, label=d.checkpoint.label,
            byte_size=float(d.checkpoint.byte_size), start_s=d.start_s, end_s=d.end_s,
            held_version=held, holders=int((held[inference] == d.checkpoint.version).sum()),
            inference_total=int(inference.sum()), targets=plan.targets.astype(np.int32),
            progress=progress.astype(np.float32), paths=plan.paths.astype(np.int32),
            path_len=plan.path_len.astype(np.int32),
            edges=plan.edges.astype(np.int32), edge_progress=edge_progress.astype(np.float32),
            unreachable=len(plan.unreachable), log=tuple(self.log))
