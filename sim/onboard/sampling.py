"""Token generation: greedy or temperature / top-k / top-p sampling with a seed, with or without
the KV cache. Text concerns (stop strings, streaming decode) live in ``engine.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import torch

from sim.onboard.qwen3 import Qwen3ForCausalLM


@dataclass(frozen=True)
class SamplingParams:
    """How to pick each next token. ``temperature == 0`` means greedy (argmax); ``top_k == 0`` and
    ``top_p == 1`` switch those filters off; ``seed`` makes sampling reproducible."""

    max_new_tokens: int = 160
    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 0.95
    seed: int | None = None

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.top_k < 0:
            raise ValueError("need temperature >= 0, 0 < top_p <= 1, top_k >= 0")


GREEDY = SamplingParams(temperature=0.0, top_p=1.0)


def pick_token(logits: torch.Tensor, params: SamplingParams,
               generator: torch.Generator | None) -> int:
    """Choose the next id from (V,) logits."""
    if params.temperature == 0:
        return int(torch.argmax(logits))
    logits = logits.float() / params.temperature
    if params.top_k and params.top_k < logits.shape[-1]:
        kth = torch.topk(logits, params.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if params.top_p < 1.0:
        sorted_p, order = torch.sort(probs, descending=True)
        # Drop a token once the tokens ranked above it already cover top_p (the first one stays).
        drop = (torch.cumsum(sorted_p, dim=-1) - sorted_p) > params.top_p
        sorted_p[drop] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_p)
    return int(torch.multinomial(probs, 1, generator=generator))


def generate_ids(model: Qwen3ForCausalLM, prompt_ids: list[int], params: SamplingParams,
                 end_ids: Iterable[int] = (), use_cache: bool = True,
                 banned_first: Iterable[int] = ()) -> Iterator[int]:
    """Yield generated ids one at a time (the first right after the prompt's prefill, so the
    caller can time the first token). Stops after ``max_new_tokens`` or after yielding an end id.

    ``banned_first``: ids the first token may not be. Without the cache every step recomputes the
    whole sequence: the cost the cache saves."""
    if not prompt_ids:
        raise ValueError("empty prompt")
    end_ids = set(end_ids)
    generator = None
    if params.temperature > 0:
        generator = torch.Generator()
        generator.manual_seed(params.seed if params.seed is not None else torch.seed())
    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids], dtype=torch.long, device=device)  # (1, T)
    with torch.inference_mode():
        cache = model.new_cache(len(prompt_ids) + params.max_new_tokens) if use_cache else None
        logits = model(ids, cache, last_only=True)
    banned = torch.tensor(sorted(set(banned_first)), dtype=torch.long, device=device)
    for i in range(params.max_new_tokens):
        if i == 0 and len(banned):
            logits = logits.clone()
            logits[0, -1, banned] = float("-inf")
        token = pick_token(logits[0, -1], params, generator)
        yield token
        if token in end_ids or i == params.max_new_tokens - 1:
            return
        with torch.inference_mode():
            nxt = torch.tensor([[token]], dtype=torch.long, device=device)
            if use_cache:
                logits = model(nxt, cache, last_only=True)  # one new position
            else:
                ids = torch.cat([ids, nxt], dim=1)
                logits = model(ids, None, last_only=True)  # the whole sequence again
