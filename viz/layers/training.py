"""Training jobs (`snapshot.training`, see `sim.snapshot.TrainingView`) in the scene:

  members      a glow on every satellite of the job, in the colour of what the job is doing:
               computing (dim white), reduce-scatter (orange), all-gather (violet), waiting
               or re-forming the ring (grey)
  the ring     the ring's edges, member k to member k+1 in ring order, with pulses running the
               way the chunks travel while a collective phase runs; for the grid and
               hierarchical collectives the laser links the collective uses, lit evenly

  deploy       a trained checkpoint on its way to the inference satellites (viz/layers/deploy.py)

So a presenter can point at the shell and say: the chips finish in a millisecond, then the
data goes round the ring for seconds. The vertices are rebuilt in numpy every frame from the
positions at the frame's time (`snapshot.sat_positions`): the pulses need nothing but the
frame time. A job of thousands of members (a scaled-up network) draws at most EDGE_BUDGET of
its edges and member glows (a stable one in k), smaller, so that it stays a ring, not a blaze, and
costs software GL a few milliseconds. Frames and units: GCRS km; the animation clock is the
frame's time_s.
"""
from __future__ import annotations

import numpy as np

from viz.layers.deploy import HolderGlow, deploy_vertices, node_positions
from viz.layers.ribbons import RibbonSpriteLayer
from viz.layers.roundtrip import GLOW, RIBBON
from viz.layers.traffic import SPRITE

COMPUTE = (0.80, 0.85, 0.95)   #: members computing: a quiet white
SCATTER = (1.00, 0.55, 0.20)   #: reduce-scatter: orange
GATHER = (0.75, 0.50, 1.00)    #: all-gather: violet
IDLE = (0.55, 0.55, 0.60)      #: waiting, re-forming, paused
PULSE_SPEED = 0.6              #: ring pulses per animation second along each edge
EDGE_BUDGET = 2_000            #: most ring edges drawn per job (one in k beyond)
GLOW_PX = 20.0                 #: member glow size for a job of up to GLOW_FULL_MEMBERS
GLOW_FULL_MEMBERS = 400


def glow_px(members: int) -> float:
    """Member glow diameter (px at 1080 lines): 20 up to 400 members, shrinking as 1/sqrt(n)
    to a quarter of that, so a shell of 14,000 members does not merge into one glare."""
    return GLOW_PX * float(np.clip(np.sqrt(GLOW_FULL_MEMBERS / max(members, 1)), 0.25, 1.0))


def phase_colour(phase: str) -> tuple[float, float, float]:
    """The colour of a job's phase (the collective phases are named after what they do)."""
    if phase == "compute":
        return COMPUTE
    if "gather" in phase or "broadcast" in phase:
        return GATHER
    if "scatter" in phase or "reduce" in phase:
        return SCATTER
    return IDLE


def ring_edges(job, positions_of, budget: int = EDGE_BUDGET
               ) -> tuple[np.ndarray, np.ndarray, bool]:
    """(E,3) start and end GCRS km of the edges to draw, and whether they are directed: the
    ring in member order for a ring collective (the way chunks travel), else the laser links
    the collective uses; one in k beyond `budget`. `positions_of(indices)`: GCRS km."""
    starts, ends, directed = _edge_ends(job)
    k = edge_stride(job, budget)
    return positions_of(starts[::k]), positions_of(ends[::k]), directed


def _edge_ends(job) -> tuple[np.ndarray, np.ndarray, bool]:
    members = np.asarray(job.members, np.int64)
    if job.collective == "ring" and len(members) >= 2:
        return members, np.roll(members, -1), True
    pairs = np.asarray(job.ring_link_pairs, np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1], False


def edge_stride(job, budget: int = EDGE_BUDGET) -> int:
    """k: one edge in k of `job` is drawn (1: all of them)."""
    n = len(job.members) if job.collective == "ring" else len(job.ring_link_pairs)
    return int(np.ceil(n / budget)) if n > budget else 1


class TrainingLayer(RibbonSpriteLayer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.jobs: tuple = ()
        self._positions_of = None  #: the Snapshot's sat_positions (at the frame's time)
        self.thinned: dict[str, int] = {}  #: job name -> k where one edge in k is drawn
        self._strides: tuple[int, ...] = ()  #: edge_stride of each of `jobs`
        self.deploy = None  #: the snapshot's DeployView (None: none, or the layer is off)
        self._snap = None
        self._nodes = None  #: satellites then stations, for the deploy's routes (made on use)
        self._glow = HolderGlow()

    def update(self, snapshot, frame) -> None:
        self.jobs = tuple(snapshot.training) if frame.layers.training else ()
        self._positions_of = snapshot.sat_positions
        self._strides = tuple(edge_stride(job) for job in self.jobs)
        self.thinned = {job.name: k for job, k in zip(self.jobs, self._strides) if k > 1}
        self.deploy = snapshot.deploy if frame.layers.training else None
        self._snap, self._nodes = snapshot, None

    def _deploy_vertices(self, time_s: float, px_scale: float):
        """The deploy's transfers and holders, or None when nothing of it shows: the last
        deploy stays in every Snapshot, and its nodes are every satellite's position."""
        glow = self._glow.on(self.deploy, time_s)
        if not (self.deploy.in_flight or glow):
            return None
        if self._nodes is None:
            self._nodes = node_positions(self._snap)
        return deploy_vertices(self.deploy, self._nodes, glow, px_scale)

    def build(self, time_s: float, px_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Ribbon vertices (pairs of edge ends) and member sprites of every job at `time_s`."""
        ribbons, sprites = [], []
        for job, stride in zip(self.jobs, self._strides):
            colour = phase_colour(job.phase)
            communicating = colour in (SCATTER, GATHER)
            start, end, directed = ring_edges(job, self._positions_of)
            if len(start) and (communicating or job.phase == "compute"):
                ribbons.append(self._edges(start, end, colour, time_s, px_scale,
                                           pulses=communicating and directed,
                                           strength=0.8 if communicating else 0.25))
            # the same one-in-k of the members glow as of the edges are drawn
            members = self._positions_of(np.asarray(job.members, np.int64)[::stride])
            sp = np.zeros(len(members), SPRITE)
            sp["pos"], sp["colour"] = members, (*colour, 0.9 if communicating else 0.6)
            sp["size"], sp["shape"] = glow_px(len(job.members)) * px_scale, GLOW
            sprites.append(sp)
        shown = self._deploy_vertices(time_s, px_scale) if self.deploy is not None else None
        if shown is not None:
            ribbons.append(shown[0])
            sprites.append(shown[1])
        rib = np.concatenate(ribbons) if ribbons else np.zeros(0, RIBBON)
        spr = np.concatenate(sprites) if sprites else np.zeros(0, SPRITE)
        return rib, spr

    @staticmethod
    def _edges(start, end, colour, time_s: float, px_scale: float, pulses: bool,
               strength: float) -> np.ndarray:
        """One ribbon segment per edge; with `pulses` a packet runs start -> end on each
        (staggered along the ring so they do not blink in step), else lit evenly."""
        n = len(start)
        v = np.zeros((n, 2), RIBBON)
        v["pos"][:, 0], v["pos"][:, 1] = start, end
        v["s"][:, 0], v["s"][:, 1] = 0.0, 1.0
        if pulses:
            v["progress"] = ((time_s * PULSE_SPEED + np.arange(n) * 0.37) % 1.0)[:, None]
        else:
            v["progress"] = -1.0
        v["colour"][..., :3] = colour
        v["colour"][..., 3] = strength
        v["width"] = 3.5 * px_scale
        return v.reshape(-1)

    def draw(self, camera, frame) -> None:
        if self.jobs or self.deploy is not None:
            self.draw_vertices(*self.build(frame.time_s, frame.px_scale), frame, trail=0.35)
