"""How long a request would take on the satellite's own hardware: a roofline estimate.

A language model's forward pass does ~2 FLOPs per (matmul) parameter per token and has to bring
every weight from memory into the chip. Whichever takes longer, the arithmetic at the chip's peak
or the memory traffic at its bandwidth, bounds the step (the "roofline"):

    prefill_s    = max(2 * P * prompt_tokens / (peak * eff), weight_bytes / (bandwidth * eff))
    decode step  = max(2 * P / (peak * eff), (weight_bytes + kv_bytes_so_far) / (bandwidth * eff))
    total_s      = prefill_s + sum of the decode steps

P: matmul parameters (what multiplies per token); peak in operations/s (1 TOPS = 1e12; one
multiply-add = 2 operations, as for FLOPs); eff: the profile's efficiency, applied to both the
compute peak and the bandwidth. Prefill reads the weights once for the whole prompt, so it is
compute-bound for any prompt longer than a few tokens; decode reads them again for every token,
so on every real accelerator it is bound by memory.

The first generated token is sampled from the prefill's output; each later one costs a decode
step, so `generated_tokens` tokens cost `generated_tokens - 1` steps. Decode step k (1-based)
reads the KV cache of `prompt_tokens + k - 1` positions (the prompt and the tokens fed back
before it). weight_bytes: the matmul weights at the profile's `weight_dtype` (an untied input
embedding is a table look-up: one row per token, not read whole).

Pure functions, no torch: the scenario's hardware profile is any object with the attributes of
`sim.scenario.HardwareProfile` (peak_tops, memory_bandwidth_gb_s, memory_gb, efficiency,
weight_dtype, kv_dtype).
"""
from __future__ import annotations

import dataclasses

from sim.errors import UserError

#: Bytes per stored number, by the dtype names a hardware profile may give.
DTYPE_BYTES: dict[str, float] = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0,
                                 "int8": 1.0, "int4": 0.5}


@dataclasses.dataclass(frozen=True)
class ModelShape:
    """What the roofline needs of a model (from its config and weights)."""

    name: str
    params: int  #: every stored parameter (what must fit in memory)
    matmul_params: int  #: parameters that multiply per token (an untied input embedding does not)
    n_layers: int
    n_kv_heads: int
    head_dim: int

    def kv_bytes_per_token(self, kv_dtype: str) -> float:
        """Cache bytes one token adds: a key and a value per layer and KV head."""
        return 2.0 * self.n_layers * self.n_kv_heads * self.head_dim * DTYPE_BYTES[kv_dtype]


@dataclasses.dataclass(frozen=True)
class OnboardEstimate:
    """A request's time on board, s, split into prefill and decode, with the bounds that set
    them ("compute" or "memory")."""

    prefill_s: float
    decode_s: float
    prefill_bound: str
    decode_bound: str  #: the bound of the most decode steps ("" when there are none)
    decode_steps: int
    peak_tops: float
    memory_bandwidth_gb_s: float
    efficiency: float
    weight_dtype: str

    @property
    def total_s(self) -> float:
        return self.prefill_s + self.decode_s

    def summary(self) -> str:
        """'decode memory-bound at 204.8 GB/s': what dominated, for the phase's detail."""
        stage, bound = ("decode", self.decode_bound) if self.decode_s >= self.prefill_s \
            and self.decode_steps else ("prefill", self.prefill_bound)
        limit = (f"{_figure(self.memory_bandwidth_gb_s)} GB/s" if bound == "memory"
                 else f"{_figure(self.peak_tops)} TOPS")
        return f"{stage} {bound}-bound at {limit}, efficiency {self.efficiency:g}, {self.weight_dtype}"


def weight_bytes(shape: ModelShape, weight_dtype: str) -> float:
    """Bytes of all the weights as deployed, B."""
    return shape.params * DTYPE_BYTES[weight_dtype]


def compute_s(flops: float, peak_tops: float, efficiency: float) -> float:
    """Seconds to do `flops` operations at `peak_tops` x `efficiency`."""
    return flops / (peak_tops * 1e12 * efficiency)


def transfer_s(n_bytes: float, bandwidth_gb_s: float, efficiency: float) -> float:
    """Seconds to read `n_bytes` at `bandwidth_gb_s` (1 GB = 1e9 B) x `efficiency`."""
    return n_bytes / (bandwidth_gb_s * 1e9 * efficiency)


def prefill(shape: ModelShape, profile, prompt_tokens: int) -> tuple[float, str]:
    """Prefill time, s, and its bound: the prompt's FLOPs, or one read of the weights."""
    flops = 2.0 * shape.matmul_params * prompt_tokens
    compute = compute_s(flops, profile.peak_tops, profile.efficiency)
    memory = transfer_s(shape.matmul_params * DTYPE_BYTES[profile.weight_dtype],
                        profile.memory_bandwidth_gb_s, profile.efficiency)
    return (compute, "compute") if compute >= memory else (memory, "memory")


def decode_step(shape: ModelShape, profile, cached_tokens: int) -> tuple[float, str]:
    """One decode step's time, s, and its bound, with `cached_tokens` positions in the KV
    cache: one token's FLOPs, or reading the weights and the cache once."""
    compute = compute_s(2.0 * shape.matmul_params, profile.peak_tops, profile.efficiency)
    read = (shape.matmul_params * DTYPE_BYTES[profile.weight_dtype]
            + cached_tokens * shape.kv_bytes_per_token(profile.kv_dtype))
    memory = transfer_s(read, profile.memory_bandwidth_gb_s, profile.efficiency)
    return (compute, "compute") if compute >= memory else (memory, "memory")


def estimate(shape: ModelShape, profile, prompt_tokens: int,
             generated_tokens: int) -> OnboardEstimate:
    """The roofline time of one request on `profile` (see the module's docstring)."""
    if prompt_tokens < 0 or generated_tokens < 0:
        raise ValueError(f"token counts must be >= 0, got {prompt_tokens}, {generated_tokens}")
    prefill_s, prefill_bound = prefill(shape, profile, prompt_tokens) if prompt_tokens \
        else (0.0, "")
    steps = max(generated_tokens - 1, 0)
    decode_s, memory_steps = 0.0, 0
    # The KV read grows by one token per step; a loop keeps each step's bound exact (a
    # closed form would have to find where the bound switches). Replies are at most
    # sim.commands.MAX_TOKENS (2048) tokens, so the loop stays short.
    for k in range(1, steps + 1):
        step_s, bound = decode_step(shape, profile, prompt_tokens + k - 1)
        decode_s += step_s
        memory_steps += bound == "memory"
    decode_bound = "" if not steps else "memory" if 2 * memory_steps >= steps else "compute"
    return OnboardEstimate(prefill_s, decode_s, prefill_bound, decode_bound, steps,
                           profile.peak_tops, profile.memory_bandwidth_gb_s, profile.efficiency,
                           profile.weight_dtype)


def memory_needed_gb(shape: ModelShape, profile, context_tokens: int) -> float:
    """GB a request needs resident: every weight plus the KV cache of `context_tokens`."""
    kv = context_tokens * shape.kv_bytes_per_token(profile.kv_dtype)
    return (weight_bytes(shape, profile.weight_dtype) + kv) / 1e9


def check_fits(shape: ModelShape, profile, context_tokens: int, satellite: str) -> None:
    """UserError when the weights and this request's KV cache exceed the satellite's memory."""
    need = memory_needed_gb(shape, profile, context_tokens)
    if need > profile.memory_gb:
        raise UserError(
            f"{shape.name} ({human_count(shape.params)} parameters) needs {need:,.3g} GB in "
            f"{profile.weight_dtype} with a {context_tokens}-token KV cache; {satellite} has "
            f"{profile.memory_gb:,.4g} GB: not run")


def _figure(value: float) -> str:
    """'204.8', '74,080': a rate people read (no exponent)."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


def human_count(n: int | None) -> str:
    """'8.2B', '1.77M', '950': a parameter count people read; None -> '-'."""
    if n is None:
        return "-"
    for suffix, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}"
    return str(n)
