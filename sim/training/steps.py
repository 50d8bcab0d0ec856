"""A job advancing in sim time, step by step: compute, then its collective (re-planned when
a link it uses drops or a member goes offline)."""
from __future__ import annotations

import collections
import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..snapshot import TrainingView
from .collective import CollectivePlan, plan_collective
from .graph import NoLaserPath
from .job import TrainingJob, plane_groups, select_members

if TYPE_CHECKING:
    from ..constellation import Constellation
    from .service import Instant

#: Training steps a World step may complete at most (bounded work per frame, whatever the
#: warp); steps without communication are counted in bulk and do not count against it.
MAX_STEPS_PER_TICK = 8
LOG_LINES = 50


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
    #: the part of communication_s spent spreading results out (all-gather, broadcast)
    gather_s: float = 0.0
    sync_every: int = 1  #: the job's sync interval when the step ran

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
        self.log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self.history: list[StepFigures] = []
        self.plan: CollectivePlan | None = None
        self._checked_pairs: np.ndarray | None = None  # laser links last found to carry it
        self.step_index = 0  #: steps finished
        self._begin(start_s)
        #: a paused job keeps its step where it is (the panel's control); a job declared
        #: `paused` waits from the start for the presenter to start it
        self.paused = job.paused
        self.paused_at_s = start_s
        if job.paused:
            self.log.append("step 1: waiting to be started")

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
            reformed=self.reformed,
            gather_s=plan.gather_communication_s if plan else 0.0,
            sync_every=job.sync_every)
        self.history.append(figures)
        del self.history[:-LOG_LINES]
        self.step_index += 1
        self._begin(self.step_start_s + figures.step_s)

    def view(self, now_s: float) -> TrainingView:
        """The job for the Snapshot: its phase now, the last step's figures and those of the
        last step that ran the collective (the same step unless sync_every > 1)."""
        last = self.history[-1] if self.history else None
        phase, progress = self.phase_at(now_s)
        if self.paused:
            phase = "paused"
        plan = self.plan
        synced = next((h for h in reversed(self.history) if h.synced), None)
        return TrainingView(
            name=self.job.name, collective=self.job.collective, members=self.members,
            steps_done=self.step_index, phase=phase, phase_progress=progress,
            figures=step_figures(last),
            sync_figures=step_figures(synced),
            busiest_pair=np.array(last.busiest_pair if last else (-1, -1), np.int32),
            ring_link_pairs=(plan.link_pairs.astype(np.int32) if plan is not None
                             else np.zeros((0, 2), np.int32)),
            log=tuple(self.log), sync_every=self.job.sync_every,
            parameters=float(self.job.parameters))


def step_figures(step: StepFigures | None) -> dict[str, float]:
    """A finished step's figures as `TrainingView.figures` holds them ({} for None)."""
    if step is None:
        return {}
    return {"step": float(step.index), "step_s": step.step_s, "compute_s": step.compute_s,
            "communication_s": step.communication_s, "waiting_s": step.waiting_s,
            "gather_s": step.gather_s, "synced": float(step.synced),
            "sync_every": float(step.sync_every),
            "tokens_per_s": step.tokens_per_s, "pflops_fraction": step.pflops_fraction,
            "bytes_moved": step.bytes_moved, "link_bytes": step.link_bytes,
            "busiest_utilisation": step.busiest_utilisation,
            "busiest_a": float(step.busiest_pair[0]), "busiest_b": float(step.busiest_pair[1])}
