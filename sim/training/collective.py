"""The cost of a job's gradient collective on the laser links of one instant.

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

import dataclasses

import numpy as np

from ..commands import COLLECTIVES  # declared with the command that sets them
from ..constants import SPEED_OF_LIGHT_KM_S
from ..errors import UserError
from .graph import LaserGraph, residual_gbps
from .job import TrainingJob, ring_order

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
    def gather_communication_s(self) -> float:
        """The part of `communication_s` spent in phases that spread results back out (all-
        gather, gather, broadcast); the rest reduces (reduce-scatter)."""
        return sum(p.communication_s for p in self.phases if is_gather_phase(p.name))

    @property
    def ring_lap_s(self) -> float:
        """Light-time once around the ring: what agreeing on a re-formed ring costs."""
        return self.mean_hop_light_s * len(self.members)


def is_gather_phase(name: str) -> bool:
    """Whether a collective phase spreads results out ("all-gather ...", "gather to plane
    leaders", "broadcast in planes") rather than reducing them: the scene draws the one
    violet and the other orange (viz/layers/training.py phase_colour)."""
    return "gather" in name or "broadcast" in name


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
    residual = residual_gbps(capacity_gbps, load)
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

