"""One optimisation step of the onboard model, shared by the single-process trainer of the
shipped model (train.py) and the data-parallel replicas (dataparallel.py): batches of byte
windows, next-byte loss and flattened gradient, AdamW with clipping, the learning-rate
schedule. Losses in nats per byte."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector

from sim.onboard.qwen3 import Qwen3ForCausalLM


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < warmup:
        return lr * (step + 1) / warmup
    frac = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def sample_batch(shard: np.ndarray, batch: int, seq_len: int,
                 rng: np.random.Generator) -> torch.Tensor:
    """``batch`` random windows of seq_len+1 byte ids from a shard: (B, T+1) int64."""
    starts = rng.integers(0, len(shard) - seq_len - 1, batch)
    return torch.from_numpy(shard[starts[:, None] + np.arange(seq_len + 1)[None, :]])


def new_optimizer(model: Qwen3ForCausalLM, lr: float) -> torch.optim.AdamW:
    """AdamW: weight decay 0.1 on matrices only, betas (0.9, 0.95)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95))


def loss_and_grad(model: Qwen3ForCausalLM, chunk: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Next-byte cross-entropy (nats) of a (B, T+1) batch, and the flattened gradient."""
    model.zero_grad(set_to_none=True)
    logits = model(chunk[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    return loss.item(), parameters_to_vector(grads)


def apply_gradient(model: Qwen3ForCausalLM, opt: torch.optim.Optimizer, grad: torch.Tensor,
                   lr: float, clip: float = 1.0) -> None:
    """Set the model's .grad from a flattened vector, clip its norm, take one optimizer step."""
    params = list(model.parameters())
    chunks = torch.split(grad, [p.numel() for p in params])
    for p, g in zip(params, chunks):  # views of this replica's own averaged buffer
        p.grad = g.view_as(p)
    torch.nn.utils.clip_grad_norm_(params, clip)
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
