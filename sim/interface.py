"""The typed interface from viz to sim: what the drawing side may use of a World, and the
factory run.py hands to viz. Everything else of the sim stays behind it (DESIGN.md rules 2-3):
viz reads Snapshots and changes the world only through Commands (`apply`) and the clock
(`advance`).

Light on purpose: importing this module loads no numerical or astronomy library, so viz can
name these types without pulling in the simulation's heavy dependencies.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .commands import Command
    from .snapshot import Snapshot
    from .timeline import Timeline


class SimWorld(Protocol):
    """A running scenario as viz sees it (implemented by sim.world.World)."""

    @property
    def title(self) -> str:
        """The scenario's title, for captions and the panel."""

    @property
    def model_loaded(self) -> bool:
        """True once the onboard model is loaded (prompts then start without a pause)."""

    def snapshot(self) -> Snapshot:
        """The latest Snapshot (read-only arrays)."""

    def apply(self, command: Command) -> Snapshot:
        """Change the world; bad values raise sim.errors.UserError."""

    def advance(self, dt_wall_s: float) -> Snapshot:
        """Move on by `dt_wall_s` wall seconds as the sim clock decides (warp, pause, slow
        motion around light-time legs, fast-forward through waits)."""

    def timeline(self) -> Timeline:
        """The scenario file's [[timeline]] (empty when it has none)."""

    def find_satellite(self, query: str) -> int:
        """Satellite index from an index, a name or a unique name fragment (UserError else)."""

    def load_model(self) -> None:
        """Load the onboard model now (a thread may call this ahead of the first prompt)."""

    def finish_round_trips(self) -> Snapshot:
        """Schedule every round trip in flight to its end now (blocking on the onboard model),
        so that `RoundTripView.plan` holds all its phases; the clock does not move."""

    def finish_real_training(self) -> Snapshot:
        """Wait for the real training run (TrainForReal) to finish its steps (a shot or a
        recording: its checkpoint is then whole); the clock does not move."""

    def close(self) -> None:
        """Stop the onboard model's worker thread, if it was started."""


def train_and_deploy(world: SimWorld, steps: int, fraction: float = 1.0) -> Snapshot:
    """Really train `steps` steps (two replicas), deploy the checkpoint to the inference
    satellites and step the world `fraction` (0..1) of the way to the last transfer's end:
    `run.py ask --deploy-steps` (fraction 1) and `run.py shot --deploy F`."""
    from .commands import Advance, DeployCheckpoint, TrainForReal

    world.apply(TrainForReal(steps=steps, replicas=2))
    world.finish_real_training()
    deploy = world.apply(DeployCheckpoint()).deploy
    return world.apply(Advance(fraction * (deploy.end_s - deploy.start_s)))


class WorldFactory(Protocol):
    """run.py's `sim.cli.world_from_args`: a World from the command line's --scenario, --at
    and --seed. `blocking_inference`: round trips wait for the model inside each step
    (recording: deterministic frames)."""

    def __call__(self, args: argparse.Namespace, *, model_dir: str | None = None,
                 blocking_inference: bool = False) -> SimWorld:
        ...
