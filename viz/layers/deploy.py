"""A checkpoint deploy (`snapshot.deploy`, see `sim.snapshot.DeployView`) in the scene, drawn
by the training layer with the same ribbons and sprites:

  transfers   every edge of the broadcast tree (training satellite ... station ... inference
              satellite) that the weights are crossing, yellow, with a packet where the
              checkpoint has got to along it; edges already done stay as a faint yellow line
              while the deploy runs
  holders     a yellow glow on each inference satellite that holds the new checkpoint, while
              the deploy runs and for HOLD_S animation seconds after it ends

Lemon yellow is used for nothing else in the scene (training phases are orange and violet,
inference routes blue and violet, station beams green). Frames and units: GCRS km; the animation clock is the frame's time_s.
"""
from __future__ import annotations

import numpy as np

from viz.layers.roundtrip import GLOW, RIBBON
from viz.layers.traffic import SPRITE

DEPLOY = (1.0, 0.95, 0.3)  #: the checkpoint's colour: lemon yellow
HOLD_S = 6.0  #: animation seconds the holders keep glowing once every transfer is done


def node_positions(snapshot) -> np.ndarray:
    """GCRS km of every route node: satellites, then ground stations (node N + g)."""
    return np.concatenate([np.asarray(snapshot.positions_km, np.float64),
                           np.asarray(snapshot.station_positions_km, np.float64)])


def deploy_vertices(deploy, nodes_km: np.ndarray, glow: bool,
                    px_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(ribbon vertices, sprites) of `deploy` over route nodes at `nodes_km`: the tree's edges
    while any transfer runs, the holders' glow while `glow`."""
    ribbons, sprites = np.zeros(0, RIBBON), np.zeros(0, SPRITE)
    progress = np.asarray(deploy.edge_progress, np.float64)
    edges = np.asarray(deploy.edges, np.int64).reshape(-1, 2)
    if deploy.in_flight and len(edges):
        v = np.zeros((len(edges), 2), RIBBON)
        v["pos"][:, 0], v["pos"][:, 1] = nodes_km[edges[:, 0]], nodes_km[edges[:, 1]]
        v["s"][:, 0], v["s"][:, 1] = 0.0, 1.0
        crossing = (progress > 0) & (progress < 1)
        # a packet at the head of the checkpoint on edges it is crossing; lit evenly (-1)
        # once crossed; edges it has not reached yet are left dark (alpha 0)
        v["progress"] = np.where(crossing, progress, -1.0)[:, None]
        v["colour"][..., :3] = DEPLOY
        v["colour"][..., 3] = np.where(crossing, 0.9, np.where(progress >= 1, 0.18, 0.0))[:, None]
        v["width"] = 3.0 * px_scale
        ribbons = v[progress > 0].reshape(-1)
    if glow:
        done = np.asarray(deploy.targets, np.int64)[np.asarray(deploy.progress) >= 1.0]
        sprites = np.zeros(len(done), SPRITE)
        sprites["pos"], sprites["colour"] = nodes_km[done], (*DEPLOY, 0.8)
        sprites["size"], sprites["shape"] = 14.0 * px_scale, GLOW
    return ribbons, sprites


class HolderGlow:
    """When the holders stop glowing: HOLD_S animation seconds after a deploy is first seen
    finished (sim time may run at any warp, so the hold is counted in frame time)."""

    def __init__(self):
        self._seen: tuple[int, float] | None = None  #: (version, frame time it was done)

    def on(self, deploy, time_s: float) -> bool:
        if deploy is None:
            return False
        if deploy.in_flight:
            self._seen = None
            return True
        if self._seen is None or self._seen[0] != deploy.version:
            self._seen = (deploy.version, time_s)
        return time_s - self._seen[1] < HOLD_S
