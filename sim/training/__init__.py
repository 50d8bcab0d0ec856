"""Training in orbit: data-parallel steps of a job on its satellites, with the gradient
collective routed over the laser links of the instant.

A package by concern: `job.py` a job's settings, their limits and its members in ring order;
`graph.py` the laser graph of an instant (routes, what a link has left); `collective.py` the
cost of a ring, 2-D grid or hierarchical all-reduce on it (the model and its sources are in its
docstring); `steps.py` a job stepping in sim time (re-forming its ring when a link drops);
`service.py` a World's jobs. Everything is re-exported here, so `from sim.training import ...`
names any of it.

Times are seconds, sizes bytes, rates Gbps (1e9 bit/s), compute PFLOPS (1e15 FLOP/s).
"""
from ..commands import COLLECTIVES
from .collective import CollectivePlan, PhaseCost, closed_form_s, phases_for, plan_collective
from .graph import MIN_SHARE, LaserGraph, NoLaserPath, residual_gbps
from .job import (SETTING_LIMITS, TrainingJob, checked_setting, job_index, plane_groups,
                  ring_order, select_members, setting_check)
from .service import Instant, TrainingService
from .steps import LOG_LINES, MAX_STEPS_PER_TICK, JobRun, StepFigures

__all__ = [
    "COLLECTIVES", "CollectivePlan", "Instant", "JobRun", "LOG_LINES", "LaserGraph",
    "MAX_STEPS_PER_TICK", "MIN_SHARE", "NoLaserPath", "PhaseCost", "StepFigures",
    "SETTING_LIMITS", "TrainingJob", "TrainingService", "checked_setting", "closed_form_s",
    "job_index", "phases_for", "plan_collective",
    "plane_groups", "residual_gbps", "ring_order", "select_members", "setting_check",
]
