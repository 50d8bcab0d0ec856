"""Training in orbit: data-parallel steps of a job on its satellites, with the gradient
collective routed over the laser links of the instant.

One step = compute on every member (6 x parameters x tokens FLOPs at the members' stated
PFLOPS x MFU) + the collective that averages the gradients (S = parameters x bytes per value).

The collective is built from ring phases. In a phase every ring edge (member -> its successor)
sends one chunk per round, all edges at once; a round lasts as long as its slowest edge:

    edge time = chunk bytes x 8 / (edge rate, bit/s) + light-time along the edge's route

Each logical edge is routed over laser links on the shortest light-time path (a direct link
when the two members are laser neighbours). The rate an edge gets is set by its bottleneck
link: the capacity left after the inference traffic on that link (sim/traffic.py link_load),
shared equally among the ring edges that cross it in the same phase. Transfers are cut-through
(a relay forwards bits as they arrive), so a multi-hop edge pays light-time per hop, not the
transfer once per hop.

- ring: reduce-scatter then all-gather, each N-1 rounds of S/N bytes (Thakur, Rabenseifner and
  Gropp 2005; Patarasuk and Yuan 2009). On a uniform ring (equal hops, no other traffic) the
  total is the closed form 2(N-1)/N x S/B + 2(N-1) x (light-time of one hop); `closed_form_s`.
- grid (2-D, +Grid planes and rings): reduce-scatter within each plane's ring (S/Sp chunks),
  a ring all-reduce of the resulting 1/Sp shard across the planes (rings of same-slot members),
  then all-gather within each plane. Needs the same number of members in every plane.
- hierarchical (as Horovod's hierarchical all-reduce): reduce within each plane to its first
  member (ring reduce-scatter then a ring gather of the shards, S/Sp chunks), a ring
  all-reduce among the plane leaders (S/P chunks), then a pipelined ring broadcast within each
  plane (S/Sp chunks). Gather and broadcast rounds are timed as if every plane-ring edge were
  busy (an upper bound: in a real pipelined broadcast they nearly are).

Times are seconds, sizes bytes, rates Gbps (1e9 bit/s), compute PFLOPS (1e15 FLOP/s).
"""
from __future__ import annotations

import collections
import dataclasses
import functools
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .commands import COLLECTIVES  # declared with the command that sets them
from .constants import SPEED_OF_LIGHT_KM_S
from .errors import UserError
from .snapshot import ROLE_NAMES, TrainingView

if TYPE_CHECKING:
    from .constellation import Constellation

#: Share of a link's capacity a ring edge still gets when inference traffic fills the link:
#: an assumption (training packets queue behind inference but are not starved), so that a
#: full link slows the collective instead of stopping it.
MIN_SHARE = 0.01
#: Training steps a World step may complete at most (bounded work per frame, whatever the
#: warp); steps without communication are counted in bulk and do not count against it.
MAX_STEPS_PER_TICK = 8
LOG_LINES = 50


@dataclasses.dataclass(frozen=True)
class TrainingJob:
    """A `[[training]]` job of a scenario. Defaults are written here once (the schema in
    sim/scenario.py reads them); the default model is an 8-billion-parameter one, the size of
    the two models deployed on the first cluster (DESIGN.md reference facts)."""

    name: str = "train"
    shell: str = ""  #: members: this shell's satellites ("": by role)
    role: str = "training"  #: members when no shell is named: every satellite of this role
    count: int = 0  #: use only the first `count` members in ring order (0: all)
    parameters: float = 8e9  #: model parameters
    bytes_per_value: float = 2.0  #: bytes per gradient value (2: bf16)
    tokens_per_step: int = 32768  #: tokens per step per satellite
    mfu: float = 0.4  #: model FLOPs utilisation of the stated PFLOPS (an assumption)
    collective: str = "ring"  #: ring | grid | hierarchical
    sync_every: int = 1  #: synchronise every H steps (1: every step; >1: DiLoCo-style)

    @property
    def gradient_bytes(self) -> float:
        """S: bytes of one full gradient (or pseudo-gradient)."""
        return self.parameters * self.bytes_per_value

    def flops_per_member(self) -> float:
        """FLOPs one member computes per step: 6 x parameters x tokens."""
        return 6.0 * self.parameters * self.tokens_per_step


# --- members and ring order -------------------------------------------------------------------

def select_members(job: TrainingJob, con: "Constellation") -> np.ndarray:
    """The job's satellites, ordered shell, plane, slot; UserError for an unknown shell or
    no members."""
    if job.shell:
        if job.shell not in con.shell_names:
            raise UserError(f"training job '{job.name}': unknown shell '{job.shell}' "
                            f"(shells: {', '.join(con.shell_names)})")
        mask = con.shell_index == con.shell_names.index(job.shell)
        what = f"shell '{job.shell}'"
    else:
        mask = con.roles == ROLE_NAMES.index(job.role)
        what = f"role '{job.role}'"
    sats = np.flatnonzero(mask)
    sats = sats[np.lexsort((con.slot[sats], con.plane[sats], con.shell_index[sats]))]
    if job.count:
        sats = sats[: job.count]
    if len(sats) < 2:
        raise UserError(f"training job '{job.name}': {len(sats)} member(s) in {what}; "
                        "a data-parallel job needs at least 2")
    return sats


def plane_groups(sats: np.ndarray, con: "Constellation") -> list[np.ndarray]:
    """`sats` (ordered shell, plane, slot) split into their planes."""
    key = con.shell_index[sats].astype(np.int64) * 1_000_000 + con.plane[sats]
    cuts = np.flatnonzero(np.diff(key)) + 1
    return np.split(sats, cuts)


def ring_order(groups: list[np.ndarray]) -> np.ndarray:
    """Members in ring order, so that ring neighbours are laser neighbours where they can be.

    With an even number of equal planes this is a Hamiltonian cycle of the +Grid: snake over
    slots 1.. plane by plane, then come back along slot 0 of every plane, so every ring edge
    is one laser hop. Otherwise a plain snake (plane by plane, alternate directions), whose
    closing edge is routed over several hops."""
    sizes = {len(g) for g in groups}
    if len(groups) >= 2 and len(groups) % 2 == 0 and len(sizes) == 1 and sizes.pop() >= 2:
        body = [g[1:] if i % 2 == 0 else g[1:][::-1] for i, g in enumerate(groups)]
        back = np.array([g[0] for g in reversed(groups)])
        return np.concatenate(body + [back])
    return np.concatenate([g if i % 2 == 0 else g[::-1] for i, g in enumerate(groups)])


# --- the laser graph of one instant -----------------------------------------------------------

class NoLaserPath(Exception):
    def __init__(self, a: int, b: int):
        super().__init__(f"no laser path between satellites {a} and {b}")
        self.a, self.b = a, b


class LaserGraph:
    """Laser links of one instant, for routing ring edges (links: sorted pairs i < j)."""

    def __init__(self, pairs: np.ndarray, length_km: np.ndarray, n_sats: int):
        pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
        keys = pairs[:, 0] * n_sats + pairs[:, 1]
        order = np.argsort(keys, kind="stable")
        self.pairs, self.keys = pairs[order], keys[order]
        self.length_km = np.asarray(length_km, float)[order]
        self.order = order  #: link index here -> index in the pairs given
        self.n_sats = n_sats
        self._csr: csr_matrix | None = None

    def link_index(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Index of the link between a[i] and b[i], -1 where there is none."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        keys = np.minimum(a, b) * self.n_sats + np.maximum(a, b)
        at = np.searchsorted(self.keys, keys)
        at_c = np.minimum(at, max(len(self.keys) - 1, 0))
        found = (at < len(self.keys)) & (self.keys[at_c] == keys) if len(self.keys) else \
            np.zeros(len(keys), bool)
        return np.where(found, at_c, -1)

    def has_links(self, keys: np.ndarray) -> bool:
        """True when every link key (low * N + high) is up in this graph."""
        at = np.searchsorted(self.keys, keys)
        return bool(np.all(at < len(self.keys)) and
                    np.all(self.keys[np.minimum(at, len(self.keys) - 1)] == keys))

    def route(self, src: np.ndarray, dst: np.ndarray) -> list[np.ndarray]:
        """Link indices of the shortest light-time route of each edge src[i] -> dst[i];
        NoLaserPath when some edge has none. A direct link is always the shortest (a straight
        line), so the graph search runs only for edges between non-neighbours."""
        direct = self.link_index(src, dst)
        routes = [np.array([i]) for i in direct]
        far = np.flatnonzero(direct < 0)
        if not len(far):
            return routes
        sources = np.unique(src[far])
        _, pred = dijkstra(self._graph(), directed=False, indices=sources,
                           return_predecessors=True)
        row_of = {int(s): r for r, s in enumerate(sources)}
        for e in far:
            a, b = int(src[e]), int(dst[e])
            row = pred[row_of[a]]
            nodes = [b]
            while nodes[-1] != a:
                back = int(row[nodes[-1]])
                if back < 0:
                    raise NoLaserPath(a, b)
                nodes.append(back)
            routes[e] = self.link_index(np.array(nodes[1:]), np.array(nodes[:-1]))
        return routes

    def _graph(self) -> csr_matrix:
        if self._csr is None:
            n = self.n_sats
            self._csr = csr_matrix((self.length_km, (self.pairs[:, 0], self.pairs[:, 1])),
                                   shape=(n, n))
        return self._csr


# --- cost of a collective -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PhaseCost:
    """One ring phase: `rounds` rounds of `chunk_bytes` on every edge of its rings at once."""

    name: str
    rounds: int
    chunk_bytes: float
    round_s: float  #: slowest edge: transfer + light-time
    mean_edge_s: float  #: an average edge's transfer + light-time
    edge_gbps: np.ndarray  #: rate of each edge
    edge_light_s: np.ndarray  #: light-time along each edge's route
    edge_links: tuple  #: link indices (LaserGraph numbering) of each edge's route

    @property
    def duration_s(self) -> float:
        return self.rounds * self.round_s

    @property
    def communication_s(self) -> float:
        """The time an average member spends moving its own data."""
        return self.rounds * self.mean_edge_s

    @property
    def waiting_s(self) -> float:
        """The time an average member idles for the slowest edge of each round."""
        return self.duration_s - self.communication_s


@dataclasses.dataclass(frozen=True)
class CollectivePlan:
    """The collective of one step, on the links of one instant."""

    members: np.ndarray  #: ring order (ring collective) or plane by plane (grid)
    phases: tuple[PhaseCost, ...]
    link_keys: np.ndarray  #: sorted keys (low * N + high) of every laser link it uses
    link_pairs: np.ndarray  #: (L,2) those links
    bytes_moved: float  #: bytes the members send (each relay hop not counted again)
    link_bytes: float  #: bytes carried by laser links, every hop counted
    busiest_pair: tuple[int, int]  #: the most utilised link (-1, -1: none used)
    #: its inference load plus training bits over the collective, over capacity, 0..1
    busiest_utilisation: float
    mean_hop_light_s: float  #: light-time of an average ring edge

    @property
    def duration_s(self) -> float:
        return sum(p.duration_s for p in self.phases)

    @property
    def communication_s(self) -> float:
        return sum(p.communication_s for p in self.phases)

    @property
    def waiting_s(self) -> float:
        return sum(p.waiting_s for p in self.phases)

    @property
    def ring_lap_s(self) -> float:
        """Light-time once around the ring: what agreeing on a re-formed ring costs."""
        return self.mean_hop_light_s * len(self.members)


def closed_form_s(n: int, size_bytes: float, gbps: float, hop_light_s: float) -> float:
    """Ring all-reduce time: 2(N-1)/N x S/B + 2(N-1) x alpha (Thakur et al. 2005)."""
    return 2 * (n - 1) / n * size_bytes * 8 / (gbps * 1e9) + 2 * (n - 1) * hop_light_s


def phases_for(job: TrainingJob, groups: list[np.ndarray]) -> list[tuple[str, int, float, list]]:
    """(name, rounds, chunk bytes, rings) of the job's collective; UserError when the members
    do not fit it."""
    size = job.gradient_bytes
    if job.collective == "ring":
        ring = ring_order(groups)
        n = len(ring)
        return [("reduce-scatter", n - 1, size / n, [ring]),
                ("all-gather", n - 1, size / n, [ring])]
    if job.collective == "grid":
        per_plane = {len(g) for g in groups}
        if len(per_plane) != 1:
            raise UserError(f"training job '{job.name}': the grid collective needs the same "
                            f"number of members in every plane (got {sorted(per_plane)})")
        sp, planes = per_plane.pop(), len(groups)
        columns = [np.array([g[k] for g in groups]) for k in range(sp)]
        phases = [("reduce-scatter in planes", sp - 1, size / sp, groups)]
        if planes > 1:
            shard = size / sp / planes
            phases += [("reduce-scatter across planes", planes - 1, shard, columns),
                       ("all-gather across planes", planes - 1, shard, columns)]
        phases.append(("all-gather in planes", sp - 1, size / sp, groups))
        return [p for p in phases if p[1] > 0]
    if job.collective == "hierarchical":
        leaders = ring_order([np.array([g[0] for g in groups])])
        p = len(groups)
        phases = [("reduce-scatter in planes", max(len(g) for g in groups) - 1,
                   size / min(len(g) for g in groups), groups),
                  ("gather to plane leaders", max(len(g) for g in groups) - 1,
                   size / min(len(g) for g in groups), groups),
                  ("reduce-scatter among leaders", p - 1, size / p, [leaders]),
                  ("all-gather among leaders", p - 1, size / p, [leaders]),
                  ("broadcast in planes", max(len(g) for g in groups) - 1,
                   size / min(len(g) for g in groups), groups)]
        return [phase for phase in phases if phase[1] > 0]
    raise UserError(f"training job '{job.name}': unknown collective '{job.collective}' "
                    f"(expected one of {', '.join(COLLECTIVES)})")


def plan_collective(job: TrainingJob, groups: list[np.ndarray], graph: LaserGraph,
                    capacity_gbps: float, load_gbps: np.ndarray) -> CollectivePlan:
    """Route and time the job's collective on `graph`. `load_gbps`: inference load per link in
    the graph's input order (sim/traffic.py link_load). NoLaserPath when an edge has no route."""
    load = np.asarray(load_gbps, float)[graph.order] if len(load_gbps) else \
        np.zeros(len(graph.keys))
    residual = np.maximum(capacity_gbps - load, MIN_SHARE * capacity_gbps)
    phases, used, bits = [], [], np.zeros(len(graph.keys))
    link_bytes = bytes_moved = 0.0
    layout = phases_for(job, groups)
    for name, rounds, chunk, rings in layout:
        src = np.concatenate(rings)
        dst = np.concatenate([np.roll(r, -1) for r in rings])
        routes = graph.route(src, dst)
        flat = np.concatenate(routes)
        crossing = np.bincount(flat, minlength=len(graph.keys))  # edges sharing each link
        share = residual / np.maximum(crossing, 1)
        if len(flat) == len(routes):  # every edge one laser hop (the usual +Grid ring)
            gbps, light = share[flat], graph.length_km[flat] / SPEED_OF_LIGHT_KM_S
        else:
            gbps = np.array([share[r].min() for r in routes])
            light = np.array([graph.length_km[r].sum() for r in routes]) / SPEED_OF_LIGHT_KM_S
        edge_s = chunk * 8 / (gbps * 1e9) + light
        phases.append(PhaseCost(name, rounds, chunk, float(edge_s.max()), float(edge_s.mean()),
                                gbps, light, tuple(routes)))
        bits += crossing * rounds * chunk * 8
        used.append(flat)
        bytes_moved += rounds * chunk * len(src)
        link_bytes += rounds * chunk * len(flat)
    links = np.unique(np.concatenate(used))
    # Utilisation over the whole collective: inference load plus the training bits the link
    # carried, over its capacity; a link that idles while its round waits for a slower edge
    # is less busy than the slow edge's bottleneck.
    duration_s = sum(p.duration_s for p in phases)
    utilisation = (load + bits / 1e9 / max(duration_s, 1e-30)) / capacity_gbps
    busiest = int(links[np.argmax(utilisation[links])]) if len(links) else -1
    first = phases[0]
    return CollectivePlan(
        members=np.concatenate(layout[0][3]) if job.collective == "ring"
        else np.concatenate(groups),
        phases=tuple(phases), link_keys=graph.keys[links], link_pairs=graph.pairs[links],
        bytes_moved=bytes_moved, link_bytes=link_bytes,
        busiest_pair=tuple(int(v) for v in graph.pairs[busiest]) if busiest >= 0 else (-1, -1),
        busiest_utilisation=float(utilisation[busiest]) if busiest >= 0 else 0.0,
        mean_hop_light_s=float(first.edge_light_s.mean()))


# --- steps ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StepFigures:
    """One finished training step (seconds of sim time)."""

    index: int  #: 1-based
    start_s: float
    compute_s: float
    communication_s: float  #: moving data (an average member's share of the collective)
    waiting_s: float  #: idle for the slowest ring edge, plus re-forming a broken ring
    synced: bool  #: the step ran the collective (every H-th step with sync_every H)
    tokens: float  #: tokens the whole job processed in this step
    flops: float
    stated_pflops: float  #: the members' stated PFLOPS, summed
    bytes_moved: float
    link_bytes: float
    busiest_pair: tuple[int, int]
    busiest_utilisation: float
    reformed: int  #: times the ring re-formed during this step

    @property
    def step_s(self) -> float:
        return self.compute_s + self.communication_s + self.waiting_s

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.step_s

    @property
    def pflops_fraction(self) -> float:
        """Achieved FLOP/s over the members' stated FLOP/s."""
        return self.flops / self.step_s / (self.stated_pflops * 1e15)


class JobRun:
    """One job advancing in sim time: a step completes when its compute and its collective
    have run; the collective is planned at the instant compute ends, on the links of that
    instant, and re-planned (the running phase restarts, plus one light-time lap of the new
    ring to agree on it) when a link it uses drops or a member goes offline."""

    def __init__(self, job: TrainingJob, con: "Constellation", start_s: float):
        self.con = con
        self.all_members = select_members(job, con)
        self.members = self.all_members
        self.stated_pflops = float(con.capacity_pflops[self.members].sum())
        if self.stated_pflops <= 0:
            raise UserError(f"training job '{job.name}': its members have no stated PFLOPS "
                            "([compute] in the scenario)")
        self._set_job(job)
        self.paused = False  #: a paused job keeps its step where it is (the panel's control)
        self.log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self.history: list[StepFigures] = []
        self.plan: CollectivePlan | None = None
        self._checked_pairs: np.ndarray | None = None  # laser links last found to carry it
        self.step_index = 0  #: steps finished
        self._begin(start_s)

    def _set_job(self, job: TrainingJob) -> None:
        self.job = job
        # The slowest member sets the pace of a synchronous step.
        self.compute_s = job.flops_per_member() / (
            float(self.con.capacity_pflops[self.members].min()) * 1e15 * job.mfu)

    def advance_paused_clock(self, now_s: float) -> None:
        """Shift the paused step by the time it was paused, so that it resumes where it was."""
        shift = now_s - self.paused_at_s
        self.step_start_s += shift
        self.comm_start_s += shift
        self.paused_at_s = now_s

    def reconfigure(self, changes: dict, now_s: float) -> None:
        """New settings (TrainingJob fields) from now: the running step starts again."""
        self._set_job(dataclasses.replace(self.job, **changes))
        said = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                         for k, v in changes.items())
        self.log.append(f"step {self.step_index + 1}: {said}; the step starts again")
        self._begin(now_s)

    # a step's timeline: [start, start + compute) compute, then the phases of `plan`
    def _begin(self, start_s: float) -> None:
        self.step_start_s = start_s
        self.comm_start_s = start_s + self.compute_s
        self.plan = None
        self.extra_wait_s = 0.0
        self.reformed = 0

    @property
    def synced(self) -> bool:
        return (self.step_index + 1) % self.job.sync_every == 0

    def end_s(self) -> float:
        """When the running step ends (its collective must be planned when it syncs)."""
        if not self.synced:
            return self.comm_start_s
        return self.comm_start_s + self.extra_wait_s + (self.plan.duration_s if self.plan else 0)

    def phase_at(self, now_s: float) -> tuple[str, float]:
        """The running phase's name and 0..1 progress through it."""
        if now_s < self.comm_start_s or self.plan is None:
            return "compute", min(max((now_s - self.step_start_s) / self.compute_s, 0.0), 1.0)
        t = now_s - self.comm_start_s - self.extra_wait_s
        if t < 0:
            return "re-forming", 0.0
        for phase in self.plan.phases:
            if t < phase.duration_s:
                return phase.name, t / phase.duration_s
            t -= phase.duration_s
        return "done", 1.0

    def advance(self, now_s: float, graph_at, online: np.ndarray) -> None:
        """Finish every step that ended by `now_s` (bounded per call). `graph_at`: the
        `Instant` now (its laser graph and inference load)."""
        if self.paused:  # time passes; the job's step waits with it
            self.advance_paused_clock(now_s)
            return
        finished = 0
        while finished < MAX_STEPS_PER_TICK:
            if not self.synced:
                self._skip_local_steps(now_s)
                if not self.synced:
                    return
            if self.comm_start_s > now_s:
                return
            if self.plan is None:
                self._replan(graph_at, online, now_s, reason=None)
            elif self._broken(graph_at, online):
                self._replan(graph_at, online, now_s, reason="a link it used dropped")
            if self.plan is None or self.end_s() > now_s:
                return
            self._finish()
            finished += 1

    def _skip_local_steps(self, now_s: float) -> None:
        """Compute-only steps (sync_every > 1) are all alike: finish the ones that ended in
        bulk, without planning anything (arithmetic: a long World step costs no more than a
        short one; only the last of them is kept in the history)."""
        if self.synced or self.comm_start_s > now_s:
            return
        to_sync = self.job.sync_every - 1 - self.step_index % self.job.sync_every
        ended = int((now_s - self.step_start_s) // self.compute_s)
        skip = min(to_sync, max(ended, 1)) - 1
        self.step_index += skip
        self._begin(self.step_start_s + skip * self.compute_s)
        self._finish()

    def _running_phase(self, now_s: float) -> int:
        """Index of the phase of `self.plan` running at `now_s`."""
        t = now_s - self.comm_start_s - self.extra_wait_s
        for index, phase in enumerate(self.plan.phases):
            if t < phase.duration_s:
                return index
            t -= phase.duration_s
        return len(self.plan.phases)

    def _broken(self, instant: "Instant", online: np.ndarray) -> bool:
        """A link the plan uses is down, or a member went offline. Checked every World step
        of a collective, so it skips the work while the links are those last seen whole."""
        if instant.same_links_as(self._checked_pairs):
            return not online[self.members].all()
        broken = not instant.graph.has_links(self.plan.link_keys)
        self._checked_pairs = None if broken else instant.geometry.isl.pairs
        return broken or not online[self.members].all()

    def _replan(self, graph_at, online: np.ndarray, now_s: float, reason: str | None) -> None:
        graph, load, capacity = graph_at.graph, graph_at.load, graph_at.capacity_gbps
        members = self.all_members[online[self.all_members]]
        try:
            plan = plan_collective(self.job, plane_groups(members, self.con), graph, capacity,
                                   load)
        except (NoLaserPath, UserError) as error:
            self.log.append(f"step {self.step_index + 1}: waiting: {error}")
            self.plan = None
            self.comm_start_s = now_s + 1.0  # try again a second later
            return
        if len(members) != len(self.members):
            reason = f"{len(self.members) - len(members):+d} member(s) offline"
        if reason is not None and self.plan is not None:
            # The step pays: the phase that was running restarts on the new ring (phases
            # already done stay done), after one light-time lap to agree on the new ring.
            running = self._running_phase(now_s)
            before = sum(p.duration_s for p in plan.phases[:running])
            old_end = self.end_s()
            self.extra_wait_s = now_s + plan.ring_lap_s - self.comm_start_s - before
            self.plan = plan
            self.reformed += 1
            self.log.append(f"step {self.step_index + 1}: {reason} during "
                            f"{plan.phases[min(running, len(plan.phases) - 1)].name}; ring "
                            f"re-formed over {len(members)} members, the step ends "
                            f"{self.end_s() - old_end:+.3f} s later")
        self.members = members
        self.plan = plan
        self._checked_pairs = graph_at.geometry.isl.pairs

    def _finish(self) -> None:
        job, plan, n = self.job, self.plan if self.synced else None, len(self.members)
        figures = StepFigures(
            index=self.step_index + 1, start_s=self.step_start_s, compute_s=self.compute_s,
            communication_s=plan.communication_s if plan else 0.0,
            waiting_s=(plan.waiting_s + self.extra_wait_s) if plan else 0.0,
            synced=plan is not None, tokens=float(job.tokens_per_step * n),
            flops=job.flops_per_member() * n,
            stated_pflops=float(self.con.capacity_pflops[self.members].sum()),
            bytes_moved=plan.bytes_moved if plan else 0.0,
            link_bytes=plan.link_bytes if plan else 0.0,
            busiest_pair=plan.busiest_pair if plan else (-1, -1),
            busiest_utilisation=plan.busiest_utilisation if plan else 0.0,
            reformed=self.reformed)
        self.history.append(figures)
        del self.history[:-LOG_LINES]
        self.step_index += 1
        self._begin(self.step_start_s + figures.step_s)

    def view(self, now_s: float) -> TrainingView:
        last = self.history[-1] if self.history else None
        phase, progress = self.phase_at(now_s)
        if self.paused:
            phase = "paused"
        plan = self.plan
        figures = {} if last is None else {
            "step": float(last.index), "step_s": last.step_s, "compute_s": last.compute_s,
            "communication_s": last.communication_s, "waiting_s": last.waiting_s,
            "tokens_per_s": last.tokens_per_s, "pflops_fraction": last.pflops_fraction,
            "bytes_moved": last.bytes_moved, "link_bytes": last.link_bytes,
            "busiest_utilisation": last.busiest_utilisation}
        return TrainingView(
            name=self.job.name, collective=self.job.collective, members=self.members,
            steps_done=self.step_index, phase=phase, phase_progress=progress,
            figures=figures,
            busiest_pair=np.array(last.busiest_pair if last else (-1, -1), np.int32),
            ring_link_pairs=(plan.link_pairs.astype(np.int32) if plan is not None
                             else np.zeros((0, 2), np.int32)),
            log=tuple(self.log), sync_every=self.job.sync_every,
            parameters=float(self.job.parameters))


class Instant:
    """The laser graph and the inference load of one World step, each built only when a job
    needs it (most World steps need neither: jobs are computing or mid-collective)."""

    def __init__(self, geometry, traffic, now_s: float, capacity_gbps: float):
        self.geometry, self.traffic, self.now_s = geometry, traffic, now_s
        self.capacity_gbps = capacity_gbps

    def same_links_as(self, pairs: np.ndarray | None) -> bool:
        """True when the laser links now are exactly `pairs` (most steps: no link changed)."""
        now = self.geometry.isl.pairs
        return pairs is not None and (pairs is now or np.array_equal(pairs, now))

    @functools.cached_property
    def graph(self) -> LaserGraph:
        isl = self.geometry.isl
        return LaserGraph(isl.pairs, isl.length_km, len(self.geometry.sunlit))

    @functools.cached_property
    def load(self) -> np.ndarray:
        isl = self.geometry.isl
        return self.traffic.link_load(isl.pairs, len(self.geometry.sunlit), self.now_s)[0]


class TrainingService:
    """The scenario's training jobs, stepped by the World."""

    def __init__(self, jobs, con: "Constellation", capacity_gbps: float, start_s: float):
        self.capacity_gbps = capacity_gbps
        self.runs = [JobRun(job, con, start_s) for job in jobs]

    def step(self, now_s: float, geometry, traffic) -> None:
        if not self.runs:
            return
        instant = Instant(geometry, traffic, now_s, self.capacity_gbps)
        for run in self.runs:
            run.advance(now_s, instant, geometry.state.online)

    def restart(self, now_s: float) -> None:
        """The clock was set: every job drops the step it was running and starts one now."""
        for run in self.runs:
            run.log.append(f"step {run.step_index + 1}: the clock was set; the step restarts")
            run._begin(now_s)

    def check_paths(self, geometry, traffic, now_s: float) -> list[CollectivePlan]:
        """Each job's collective planned at `now_s`; UserError when its members have no
        laser path between them (bad input for a headless run)."""
        instant = Instant(geometry, traffic, now_s, self.capacity_gbps)
        plans = []
        for run in self.runs:
            online = geometry.state.online
            members = run.all_members[online[run.all_members]]
            try:
                plans.append(plan_collective(run.job, plane_groups(members, run.con),
                                             instant.graph, self.capacity_gbps, instant.load))
            except NoLaserPath as error:
                names = run.con.names
                raise UserError(f"training job '{run.job.name}': members {names[error.a]} and "
                                f"{names[error.b]} have no laser path between them at "
                                f"{geometry.when:%Y-%m-%dT%H:%M:%SZ}") from None
        return plans

    def views(self, now_s: float) -> tuple[TrainingView, ...]:
        return tuple(run.view(now_s) for run in self.runs)

    def run_named(self, name: str) -> JobRun:
        """The job called `name` ("" = the first); UserError naming the jobs otherwise."""
        if not self.runs:
            raise UserError("this scenario has no [[training]] job")
        for run in self.runs:
            if not name or run.job.name == name:
                return run
        raise UserError(f"no training job '{name}'; jobs: "
                        f"{', '.join(r.job.name for r in self.runs)}")

    def pause(self, run: JobRun, paused: bool, now_s: float) -> None:
        if paused and not run.paused:
            run.paused_at_s = now_s
            run.log.append(f"step {run.step_index + 1}: paused")
        elif run.paused and not paused:
            run.advance_paused_clock(now_s)
            run.log.append(f"step {run.step_index + 1}: resumed")
        run.paused = paused
