"""Inference traffic: jobs from ground points (stations and large cities) to the nearest
inference satellite with spare compute, with the load they put on links and satellites.

Each inference satellite hosts one of `models` AI models (spread evenly); a request asks for one
of them at random and goes to the nearest satellite hosting it, so requests cross laser links
whenever the satellite overhead hosts another model or is full.

A job reserves `job_pflops` of its satellite for `job_seconds` of sim time and `job_gbps` on
every laser link of its route for as long. Its route is fixed when it starts (it is short-lived
compared with link changes); load on a link that has since broken is simply dropped.

Bounded work per step, whatever the time warp: only arrivals in the last `job_seconds` of a step
can still be running at its end; earlier arrivals of a long step are counted, not simulated. Of
the ones still running, at most `max_new_per_step` are routed, each standing for an equal share
of them (its `weight` multiplies the compute and bandwidth it takes), so totals stay right in
expectation while the work per step stays small. More are routed when that share would take
over `MAX_JOB_SHARE` of a satellite's compute: at a million satellites and 200 requests/s, 16
jobs per 1.7 s step would each stand for 21 requests (1.04 PFLOPS), more than any 1-PFLOPS
satellite has, and every request would be reported without a path.
"""
from __future__ import annotations

import collections
import dataclasses
import math

import numpy as np

from .routing import Network
from .scenario import Traffic
from .snapshot import ROLE_INFERENCE

#: Nearest-satellite searches look this far (one-way light-time, s): first ~1,200 km of path
#: (when the Network's searches are bounded, from 20,000 satellites: at 100,000 nearly every
#: request finds its model there, and a search covers what lies within its limit:
#: sim/routing.py), then ~2,400 km,
#: where nearly every request finds it at 2,800, then ~9,000 km for the few that did not. The
#: nearest satellite found within a limit is the nearest overall, so the passes change the
#: cost, not the answer.
SEARCH_LIMITS_S = (0.004, 0.008, 0.03)
#: Largest share of a satellite's compute that one simulated job may take (see the docstring).
MAX_JOB_SHARE = 0.5


@dataclasses.dataclass
class Job:
    origin: int  #: ground point index
    model: int  #: which hosted model it asks for
    sat: int  #: serving satellite
    nodes: np.ndarray  #: route nodes, ground origin first (ground g = N+g)
    start_s: float
    end_s: float
    round_trip_ms: float  #: light-time there and back along the route
    weight: float = 1.0  #: requests this simulated job stands for (see module docstring)
    #: laser hops of the route as link keys (low * N + high) and +1/-1 when the prompt
    #: crosses the hop from low to high / high to low (filled in by TrafficModel)
    hop_keys: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    hop_forward: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int8))

    def direction(self, now_s: float) -> int:
        """+1 while the prompt goes up (first half of the job), -1 while the answer comes back."""
        return 1 if now_s - self.start_s < 0.5 * (self.end_s - self.start_s) else -1


class TrafficModel:
    """Request generator and bookkeeping (deterministic from the rng it is given)."""

    def __init__(self, spec: Traffic, roles: np.ndarray, capacity_pflops: np.ndarray,
                 origin_weights: np.ndarray, rng: np.random.Generator,
                 max_new_per_step: int = 16):
        self.spec = spec
        self.rate_per_s = spec.requests_per_s
        self.is_inference = roles == ROLE_INFERENCE
        #: model hosted by each satellite (-1: none); neighbours in index order differ
        self.hosted = np.full(len(roles), -1)
        self.hosted[self.is_inference] = np.arange(self.is_inference.sum()) % spec.models
        self.capacity = capacity_pflops
        #: the largest inference satellite's PFLOPS (fixed: the constellation's)
        self._largest_inference = float(capacity_pflops[self.is_inference].max()) \
            if self.is_inference.any() else 0.0
        self.used = np.zeros(len(roles))
        total = origin_weights.sum()
        self.origin_p = origin_weights / total if total > 0 else None
        self.rng = rng
        self.max_new = max_new_per_step
        self.jobs: list[Job] = []
        self.served = 0.0  #: requests that ran to their end
        self.no_path = 0.0  #: requests that found no satellite with their model and spare compute
        self.not_routed = 0  #: arrivals of long steps that ended inside the step (not simulated)
        self.latencies_ms: collections.deque = collections.deque(maxlen=500)
        self._recent: collections.deque = collections.deque()  # (time, step, arrivals)

    @property
    def active_requests(self) -> float:
        return float(sum(job.weight for job in self.jobs))

    def step(self, now_s: float, dt_s: float, network: Network) -> None:
        """Finish jobs that ended, then start the ones that arrived in (now - dt, now]."""
        self._finish(now_s)
        if self.origin_p is None or self.rate_per_s <= 0 or dt_s <= 0:
            return
        arrivals = int(self.rng.poisson(self.rate_per_s * dt_s))
        self._recent.append((now_s, dt_s, arrivals))
        window = min(dt_s, self.spec.job_seconds)
        alive = int(self.rng.binomial(arrivals, window / dt_s)) if arrivals else 0
        self.not_routed += arrivals - alive
        simulated = min(alive, max(self.max_new, self._jobs_to_fit(alive)))
        if not simulated:
            return
        weight = alive / simulated  # each simulated job stands for this many requests
        origins = self.rng.choice(len(self.origin_p), size=simulated, p=self.origin_p)
        models = self.rng.integers(0, self.spec.models, size=simulated)
        starts = now_s - self.rng.uniform(0.0, window, size=simulated)
        need = weight * self.spec.job_pflops
        spare = self.capacity - self.used >= need
        eligible = {int(m): (self.hosted == m) & spare for m in np.unique(models)}
        pending = list(zip(origins.tolist(), models.tolist(), starts.tolist()))
        # Search near first (cheap: few nodes lie within a few ms), then farther for the rest.
        # An unbounded search costs the whole graph whatever its limit: no near pass then.
        limits = SEARCH_LIMITS_S if network.bounded_search else SEARCH_LIMITS_S[1:]
        for limit_s in limits:
            pending = self._assign(pending, limit_s, weight, eligible, network)
            if not pending:
                break
        self.no_path += weight * len(pending)

    def _jobs_to_fit(self, alive: int) -> int:
        """Simulated jobs needed so that none takes over MAX_JOB_SHARE of the largest
        inference satellite's compute."""
        largest = self._largest_inference
        if largest <= 0:
            return 0
        return math.ceil(alive * self.spec.job_pflops / (MAX_JOB_SHARE * largest))

    def _assign(self, jobs: list, limit_s: float, weight: float, eligible: dict,
                network: Network) -> list:
        """Start each (origin, model, start) job on the nearest satellite with its model and
        spare compute within `limit_s` of light-time; return the jobs that found none."""
        need = weight * self.spec.job_pflops
        unique = np.unique([origin for origin, _, _ in jobs])
        trees = network.bounded_trees(unique, limit_s)
        reachable = [trees.reached(row) for row in range(len(unique))]
        row_of = {int(o): row for row, o in enumerate(unique)}
        unplaced = []
        for origin, model, start in jobs:
            row = row_of[origin]
            sats, dist = reachable[row]
            ok = np.flatnonzero(eligible[model][sats])
            if not len(ok):
                unplaced.append((origin, model, start))
                continue
            best = ok[np.argmin(dist[ok])]
            sat = int(sats[best])
            # The tree's light-time to `sat` is the sum of the route's hops (same order).
            nodes = trees.nodes(row, sat)
            self._start(Job(origin, model, sat, np.array(nodes), start,
                            start + self.spec.job_seconds, 2e3 * float(dist[best]), weight))
            eligible[model][sat] = self.capacity[sat] - self.used[sat] >= need
        return unplaced

    def _start(self, job: Job) -> None:
        sats = job.nodes[1:].tolist()  # nodes[0] is the ground origin; a few hops: plain ints
        hops, n = list(zip(sats, sats[1:])), len(self.used)
        job.hop_keys = np.array([min(a, b) * n + max(a, b) for a, b in hops], np.int64)
        job.hop_forward = np.array([1 if a < b else -1 for a, b in hops], np.int8)
        self.used[job.sat] += job.weight * self.spec.job_pflops
        self.jobs.append(job)
        self.latencies_ms.append(job.round_trip_ms)

    def _finish(self, now_s: float) -> None:
        keep = []
        for job in self.jobs:
            if job.end_s <= now_s:
                self.used[job.sat] -= job.weight * self.spec.job_pflops
                self.served += job.weight
            else:
                keep.append(job)
        self.jobs = keep
        np.maximum(self.used, 0.0, out=self.used)  # float round-off

    def link_load(self, isl_pairs: np.ndarray, n_sats: int, now_s: float):
        """Gbps on each current laser link from the routes of running jobs, and the net
        direction of that traffic: +1 from isl_pairs[:,0] to [:,1], -1 the other way, 0 none."""
        load = np.zeros(len(isl_pairs))
        net = np.zeros(len(isl_pairs))
        jobs = [j for j in self.jobs if len(j.hop_keys)]
        if not jobs or not len(isl_pairs):
            return load, np.zeros(len(isl_pairs), np.int8)
        keys = np.concatenate([j.hop_keys for j in jobs])
        counts = [len(j.hop_keys) for j in jobs]
        gbps = np.repeat([j.weight * self.spec.job_gbps for j in jobs], counts)
        travel = np.repeat([j.direction(now_s) for j in jobs], counts)
        forward = np.concatenate([j.hop_forward for j in jobs]) * travel
        link_keys = isl_pairs[:, 0].astype(np.int64) * n_sats + isl_pairs[:, 1]
        at = np.searchsorted(link_keys, keys)
        found = (at < len(link_keys)) & (link_keys[np.minimum(at, len(link_keys) - 1)] == keys)
        np.add.at(load, at[found], gbps[found])
        np.add.at(net, at[found], (gbps * forward)[found])
        return load, np.sign(net).astype(np.int8)

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
        values = np.fromiter(self.latencies_ms, float, count=len(self.latencies_ms))
        return float(values.mean()), float(np.percentile(values, 95))

