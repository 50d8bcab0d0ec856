"""Training in orbit (a package: job.py the settings and members, graph.py the laser graph,
collective.py the cost of a collective, steps.py a job stepping in sim time, service.py the
jobs of a World): data-parallel steps of a job on its satellites, with the gradient
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
from ..commands import COLLECTIVES
from .collective import CollectivePlan, PhaseCost, closed_form_s, phases_for, plan_collective
from .graph import MIN_SHARE, LaserGraph, NoLaserPath, residual_gbps
from .job import (SETTING_LIMITS, TrainingJob, checked_setting, job_index, plane_groups,
                  ring_order, select_members)
from .service import Instant, TrainingService
from .steps import LOG_LINES, MAX_STEPS_PER_TICK, JobRun, StepFigures

__all__ = [
    "COLLECTIVES", "CollectivePlan", "Instant", "JobRun", "LOG_LINES", "LaserGraph",
    "MAX_STEPS_PER_TICK", "MIN_SHARE", "NoLaserPath", "PhaseCost", "StepFigures",
    "SETTING_LIMITS", "TrainingJob", "TrainingService", "checked_setting", "closed_form_s",
    "job_index", "phases_for", "plan_collective",
    "plane_groups", "residual_gbps", "ring_order", "select_members",
]
