"""A checkpoint of the real data-parallel run (sim/onboard/dataparallel.py), as deployed to
the inference satellites (sim/deploy.py): the weights of one finished step, kept in memory.

Kept in memory rather than written as safetensors: the model is a few megabytes, a checkpoint
is only meaningful inside the World that trained and deployed it, and the live app would
otherwise leave a folder of files behind on every click. `byte_size` is what travels: the
float32 weights, the tied embedding counted once (as a safetensors file stores it).
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from sim.onboard.engine import OnboardModel
    from sim.onboard.qwen3 import Qwen3Config


@dataclasses.dataclass(frozen=True, eq=False)
class Checkpoint:
    version: int  #: 1, 2, ... in the World that deployed it
    step: int  #: the real run's finished steps when it was taken
    config: "Qwen3Config"
    state: dict  #: name -> float32 tensor (a private copy), the tied head left out

    @property
    def label(self) -> str:
        """What the Ask log says of an answer from it."""
        return f"trained step {self.step}"

    @property
    def byte_size(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.state.values())


def weights_of(model: torch.nn.Module, tied: bool) -> dict:
    """A private float32 copy of `model`'s weights (the tied LM head left out)."""
    state = {k: v.detach().to(torch.float32).clone() for k, v in model.state_dict().items()}
    if tied:
        state.pop("lm_head.weight", None)
    return state


def onboard_model(checkpoint: Checkpoint) -> "OnboardModel":
    """An OnboardModel that answers with the checkpoint's weights, with the shipped byte-level
    tokenizer (the real run trains the shipped architecture on bytes)."""
    from sim.onboard.engine import OnboardModel
    from sim.onboard.loading import DEFAULT_MODEL_DIR, build_model
    from sim.onboard.tokenizer import Tokenizer

    state = dict(checkpoint.state)  # build_model may pop keys: not from the checkpoint's own
    model = build_model(checkpoint.config, state, DEFAULT_MODEL_DIR, torch.float32)
    return OnboardModel(model, Tokenizer(DEFAULT_MODEL_DIR / "tokenizer.json"), None)
