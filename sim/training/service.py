"""The scenario's training jobs as the World steps them, on the links of each instant."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..snapshot import TrainingView
from .collective import CollectivePlan, plan_collective
from .graph import LaserGraph, NoLaserPath
from .job import job_index, plane_groups
from .steps import JobRun

if TYPE_CHECKING:
    from ..constellation import Constellation

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

    def __init__(self, jobs, con: "Constellation", start_s: float):
        self.runs = [JobRun(job, con, start_s) for job in jobs]

    def step(self, now_s: float, geometry, traffic, capacity_gbps: float) -> None:
        """Advance every job to `now_s` on the links of `geometry`, each of `capacity_gbps`
        (the scenario's; the World owns it and a command may change it)."""
        if not self.runs:
            return
        instant = Instant(geometry, traffic, now_s, capacity_gbps)
        for run in self.runs:
            run.advance(now_s, instant, geometry.state.online)

    def restart(self, now_s: float) -> None:
        """The clock was set: every job drops the step it was running and starts one now."""
        for run in self.runs:
            run.log.append(f"step {run.step_index + 1}: the clock was set; the step restarts")
            run._begin(now_s)

    def check_paths(self, geometry, traffic, now_s: float,
                    capacity_gbps: float) -> list[CollectivePlan]:
        """Each job's collective planned at `now_s`; UserError when its members have no
        laser path between them (bad input for a headless run)."""
        instant = Instant(geometry, traffic, now_s, capacity_gbps)
        plans = []
        for run in self.runs:
            online = geometry.state.online
            members = run.all_members[online[run.all_members]]
            try:
                plans.append(plan_collective(run.job, plane_groups(members, run.con),
                                             instant.graph, capacity_gbps, instant.load))
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
        return self.runs[job_index([r.job.name for r in self.runs], name)]

    def pause(self, run: JobRun, paused: bool, now_s: float) -> None:
        if paused and not run.paused:
            run.paused_at_s = now_s
            run.log.append(f"step {run.step_index + 1}: paused")
        elif run.paused and not paused:
            run.advance_paused_clock(now_s)
            run.log.append(f"step {run.step_index + 1}: resumed")
        run.paused = paused
