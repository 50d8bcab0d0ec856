"""Inference traffic: jobs from ground points (stations and large cities) to the nearest
inference satellite with spare compute, with the load they put on links and satellites.

Each inference satellite hosts one of `models` AI models (spread evenly); a request asks for one
of them at random and goes to the nearest satellite hosting it, so requests cross laser links
whenever the satellite overhead hosts another model or is full.

A job reserves `job_pflops` of its satellite for `job_seconds` of sim time and `job_gbps` on
every laser link of its route for as long. Its route is fixed when it starts (it is short-lived
compared with link changes); load on a link that has since broken is simply dropped.

Bounded work per step, whatever the time warp: only arrivals in the last `job_seconds` of a step
can still be running at its end, so only those are routed (at most `max_new_per_step`); earlier
arrivals of a long step are counted as served without being routed one by one.
"""
from __future__ import annotations

import collections
import dataclasses

import numpy as np

from .ephemeris import SPEED_OF_LIGHT_KM_S
from .routing import Network
from .scenario import Traffic
from .snapshot import ROLE_INFERENCE

#: Nearest-satellite searches stop at this one-way light-time (s): ~9,000 km of path.
SEARCH_LIMIT_S = 0.03


@dataclasses.dataclass
class Job:
    origin: int  #: ground point index
    model: int  #: which hosted model it asks for
    sat: int  #: serving satellite
    nodes: np.ndarray  #: route nodes, ground origin first (ground g = N+g)
    start_s: float
    end_s: float
    round_trip_ms: float  #: light-time there and back along the route


@dataclasses.dataclass(frozen=True)
class TrafficState:
    """What traffic does to the network at one instant."""

    link_load_gbps: np.ndarray  #: (M,) per active laser link
    used_pflops: np.ndarray  #: (N,)
    jobs: tuple[Job, ...]


class TrafficModel:
    """Request generator and bookkeeping (deterministic from the rng it is given)."""

    def __init__(self, spec: Traffic, roles: np.ndarray, capacity_pflops: np.ndarray,
                 origin_weights: np.ndarray, rng: np.random.Generator,
                 max_new_per_step: int = 64):
        self.spec = spec
        self.rate_per_s = spec.requests_per_s
        self.is_inference = roles == ROLE_INFERENCE
        #: model hosted by each satellite (-1: none); neighbours in index order differ
        self.hosted = np.full(len(roles), -1)
        self.hosted[self.is_inference] = np.arange(self.is_inference.sum()) % spec.models
        self.capacity = capacity_pflops
        self.used = np.zeros(len(roles))
        total = origin_weights.sum()
        self.origin_p = origin_weights / total if total > 0 else None
        self.rng = rng
        self.max_new = max_new_per_step
        self.jobs: list[Job] = []
        self.served = 0  #: jobs that ran to their end
        self.no_path = 0  #: arrivals that found no inference satellite with spare compute
        self.not_routed = 0  #: arrivals of long steps that ended inside the step (not simulated)
        self.latencies_ms: collections.deque = collections.deque(maxlen=500)
        self._recent: collections.deque = collections.deque()  # (time, step, arrivals)

    def step(self, now_s: float, dt_s: float, network: Network) -> None:
        """Finish jobs that ended, then start the ones that arrived in (now - dt, now]."""
        self._finish(now_s)
        if self.origin_p is None or self.rate_per_s <= 0 or dt_s <= 0:
            return
        arrivals = int(self.rng.poisson(self.rate_per_s * dt_s))
        self._recent.append((now_s, dt_s, arrivals))
        window = min(dt_s, self.spec.job_seconds)
        alive = int(self.rng.binomial(arrivals, window / dt_s)) if arrivals else 0
        self.not_routed += arrivals - min(alive, self.max_new)
        alive = min(alive, self.max_new)
        if not alive:
            return
        origins = self.rng.choice(len(self.origin_p), size=alive, p=self.origin_p)
        models = self.rng.integers(0, self.spec.models, size=alive)
        starts = now_s - self.rng.uniform(0.0, window, size=alive)
        unique = np.unique(origins)
        # One multi-source search, bounded by the farthest nearest visible candidate:
        # nothing farther can be the nearest satellite with the model and spare compute.
        limit = self._search_limit_s(origins, models, network)
        dist, pred = network.trees_from_ground(unique, limit)
        row_of = {int(o): row for row, o in enumerate(unique)}
        for origin, model, start in zip(origins, models, starts):
            row = row_of[int(origin)]
            self._start_job(int(origin), int(model), float(start), dist[row], pred[row], network)

    def _eligible(self, model: int) -> np.ndarray:
        return (self.hosted == model) & (self.capacity - self.used >= self.spec.job_pflops)

    def _search_limit_s(self, origins: np.ndarray, models: np.ndarray, network: Network) -> float:
        limit = 0.0
        eligible = {int(m): self._eligible(int(m)) for m in np.unique(models)}
        for origin, model in set(zip(origins.tolist(), models.tolist())):
            sats, slant_km = network.sats_seen_by(origin)
            ok = eligible[model][sats]
            if not ok.any():
                return SEARCH_LIMIT_S
            limit = max(limit, float(slant_km[ok].min()) / SPEED_OF_LIGHT_KM_S)
        return limit * 1.0001

    def _start_job(self, origin: int, model: int, start_s: float, dist: np.ndarray,
                   pred: np.ndarray, network: Network) -> None:
        candidates = np.where(self._eligible(model), dist, np.inf)
        sat = int(np.argmin(candidates))
        if not np.isfinite(candidates[sat]):
            self.no_path += 1
            return
        route = network.path_from_tree(pred, network.n_sats + origin, sat)
        self.used[sat] += self.spec.job_pflops
        rtt_ms = 2e3 * route.one_way_s
        self.jobs.append(Job(origin, model, sat, np.array(route.nodes), start_s,
                             start_s + self.spec.job_seconds, rtt_ms))
        self.latencies_ms.append(rtt_ms)

    def _finish(self, now_s: float) -> None:
        keep = []
        for job in self.jobs:
            if job.end_s <= now_s:
                self.used[job.sat] -= self.spec.job_pflops
                self.served += 1
            else:
                keep.append(job)
        self.jobs = keep
        np.maximum(self.used, 0.0, out=self.used)  # float round-off

    def link_load(self, isl_pairs: np.ndarray, n_sats: int) -> np.ndarray:
        """Gbps on each current laser link from the routes of running jobs."""
        load = np.zeros(len(isl_pairs))
        if not self.jobs or not len(isl_pairs):
            return load
        edges = [np.stack([j.nodes[1:-1], j.nodes[2:]], 1) for j in self.jobs if len(j.nodes) > 2]
        if not edges:
            return load
        edges = np.sort(np.concatenate(edges), axis=1).astype(np.int64)
        keys = edges[:, 0] * n_sats + edges[:, 1]
        link_keys = isl_pairs[:, 0].astype(np.int64) * n_sats + isl_pairs[:, 1]
        at = np.searchsorted(link_keys, keys)
        found = (at < len(link_keys)) & (link_keys[np.minimum(at, len(link_keys) - 1)] == keys)
        np.add.at(load, at[found], self.spec.job_gbps)
        return load

    def request_rate(self, now_s: float, window_s: float = 60.0) -> float:
        """Arrivals per sim second over the last `window_s` seconds."""
        while len(self._recent) > 1 and self._recent[0][0] < now_s - window_s:
            self._recent.popleft()
        span = sum(step for _, step, _ in self._recent)
        return sum(n for _, _, n in self._recent) / span if span > 0 else 0.0

    def latency_stats_ms(self) -> tuple[float, float]:
        """Mean and 95th percentile round-trip light-time of recent jobs, ms (NaN if none)."""
        if not self.latencies_ms:
            return float("nan"), float("nan")
        values = np.fromiter(self.latencies_ms, float)
        return float(values.mean()), float(np.percentile(values, 95))
