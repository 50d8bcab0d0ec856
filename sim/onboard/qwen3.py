"""A Qwen3 decoder in plain PyTorch, in the nanoGPT spirit: one config dataclass, one file.

Architecture (as Hugging Face's ``Qwen3ForCausalLM``): token embedding, N blocks of
[RMSNorm -> grouped-query attention with per-head q/k RMSNorm and rotary embeddings -> residual,
RMSNorm -> SwiGLU MLP -> residual], a final RMSNorm and the LM head (optionally tied to the
embedding). Parameter names are identical to Hugging Face's, so a real Qwen3 checkpoint's
state dict loads as it is (see ``loading.py``).

Shape letters in comments: B batch, T new tokens, S cached + new tokens, D hidden size,
H query heads, K key/value heads, E head dim, V vocabulary, F MLP width.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Qwen3Config:
    """Hyper-parameters, named as in Hugging Face's ``Qwen3Config`` (config.json keys).

    The defaults are the shipped byte-level model (about 1.8M parameters)."""

    vocab_size: int = 257  # 256 byte values + <|endoftext|>
    hidden_size: int = 192
    intermediate_size: int = 576
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    num_key_value_heads: int = 2
    head_dim: int = 32
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = True
    attention_bias: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


class RMSNorm(nn.Module):
    """Root-mean-square norm, computed in float32 as Hugging Face does (bf16 weights stay exact)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


@functools.lru_cache(maxsize=8)
def _inv_freq(head_dim: int, theta: float) -> torch.Tensor:
    """RoPE's E/2 inverse frequencies (radians per position), computed once per shape: a decode
    step would otherwise rebuild them for every token."""
    exponents = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim
    return 1.0 / (theta ** exponents)


def rope_cos_sin(cfg: Qwen3Config, positions: torch.Tensor, dtype: torch.dtype):
    """cos, sin of shape (T, E) for the given absolute positions (T,), "rotate half" layout."""
    inv_freq = _inv_freq(cfg.head_dim, float(cfg.rope_theta)).to(positions.device)
    freqs = positions.float()[:, None] * inv_freq[None, :]  # (T, E/2), float32 as Hugging Face
    emb = torch.cat((freqs, freqs), dim=-1)  # (T, E)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (B, heads, T, E) by position; pairs are (i, i + E/2) as in Hugging Face."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class KVCache:
    """Pre-allocated keys and values for every layer, so a decode step writes in place instead
    of concatenating (which would copy the whole cache for every token)."""

    def __init__(self, cfg: Qwen3Config, batch: int, max_len: int, dtype: torch.dtype,
                 device: torch.device | str = "cpu"):
        shape = (batch, cfg.num_key_value_heads, max_len, cfg.head_dim)  # (B, K, S_max, E)
        self.k = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_hidden_layers)]
        self.v = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(cfg.num_hidden_layers)]
        self.length = 0  # tokens stored so far
        self.max_len = max_len

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store (B, K, T, E) new keys/values at the current length; return the (B, K, S, E) views."""
        start, end = self.length, self.length + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache full: {end} > {self.max_len} tokens")
        self.k[layer][:, :, start:end] = k
        self.v[layer][:, :, start:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]


class Qwen3Attention(nn.Module):
    def __init__(self, cfg: Qwen3Config, layer: int):
        super().__init__()
        self.cfg, self.layer = cfg, layer
        h, k, e, d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim, cfg.hidden_size
        self.q_proj = nn.Linear(d, h * e, bias=cfg.attention_bias)
        self.k_proj = nn.Linear(d, k * e, bias=cfg.attention_bias)
        self.v_proj = nn.Linear(d, k * e, bias=cfg.attention_bias)
        self.o_proj = nn.Linear(h * e, d, bias=cfg.attention_bias)
        # Qwen3's addition over Qwen2: RMSNorm over each head's E before RoPE (stabilises training).
        self.q_norm = RMSNorm(e, cfg.rms_norm_eps)
        self.k_norm = RMSNorm(e, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, cache: KVCache | None):
        b, t, _ = x.shape  # (B, T, D)
        cfg = self.cfg
        q = self.q_norm(self.q_proj(x).view(b, t, -1, cfg.head_dim)).transpose(1, 2)  # (B, H, T, E)
        k = self.k_norm(self.k_proj(x).view(b, t, -1, cfg.head_dim)).transpose(1, 2)  # (B, K, T, E)
        v = self.v_proj(x).view(b, t, -1, cfg.head_dim).transpose(1, 2)  # (B, K, T, E)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.update(self.layer, k, v)  # (B, K, S, E)
        # Grouped-query attention: SDPA pairs each K/V head with its `groups` query heads itself
        # (enable_gqa), without repeat_interleave's copy of the whole cache at every step.
        gqa = {"enable_gqa": True} if cfg.num_attention_heads != cfg.num_key_value_heads else {}
        if t == 1:  # one new token attends to everything before it: no mask needed
            y = F.scaled_dot_product_attention(q, k, v, **gqa)
        elif past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, **gqa)
        else:  # several new tokens after a cached prefix: causal mask offset by the prefix
            s = past + t
            mask = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **gqa)
        y = y.transpose(1, 2).reshape(b, t, -1)  # (B, T, H*E)
        return self.o_proj(y)  # (B, T, D)


class Qwen3MLP(nn.Module):
    def __init__(self, cfg: Qwen3Config):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):  # (B, T, D) -> (B, T, F) -> (B, T, D)
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Qwen3DecoderLayer(nn.Module):
    def __init__(self, cfg: Qwen3Config, layer: int):
        super().__init__()
        self.self_attn = Qwen3Attention(cfg, layer)
        self.mlp = Qwen3MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, cache):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen3Model(nn.Module):
    """The trunk (``model.*`` in checkpoints): embeddings, decoder layers, final norm."""

    def __init__(self, cfg: Qwen3Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(Qwen3DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class Qwen3ForCausalLM(nn.Module):
    """Decoder with a language-model head. ``forward(ids, cache)`` returns (B, T, V) logits."""

    def __init__(self, cfg: Qwen3Config):
        super().__init__()
        self.config = cfg
        self.int8 = False  # True once quantize_int8 (loading.py) replaced the Linear layers
        self._parameter_count: int | None = None  # kept by quantize_int8 (int8 weights are buffers)
        self.model = Qwen3Model(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def init_weights(self, seed: int = 0) -> None:
        """Small-normal init for training from scratch; residual outputs scaled by depth (GPT-2)."""
        gen = torch.Generator().manual_seed(seed)
        std = 0.02
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            else:
                scale = 1 / math.sqrt(2 * self.config.num_hidden_layers)
                s = std * scale if name.endswith(("o_proj.weight", "down_proj.weight")) else std
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * s)

    def num_parameters(self) -> int:
        """Distinct parameters (a tied head counts once), as in the checkpoint."""
        if self._parameter_count is not None:
            return self._parameter_count
        return sum(p.numel() for p in self.parameters())

    def forward(self, input_ids: torch.Tensor, cache: KVCache | None = None,
                last_only: bool = False) -> torch.Tensor:
        """input_ids (B, T) -> logits (B, T, V), or (B, 1, V) with ``last_only`` (generation
        needs only the last position, and the LM head is a large share of a small model's work)."""
        t = input_ids.shape[1]
        start = cache.length if cache is not None else 0
        x = self.model.embed_tokens(input_ids)  # (B, T, D)
        positions = torch.arange(start, start + t, device=input_ids.device)
        cos, sin = rope_cos_sin(self.config, positions, x.dtype)  # (T, E)
        for layer in self.model.layers:
            x = layer(x, cos, sin, cache)
        if cache is not None:
            cache.length += t
        x = self.model.norm(x)
        if last_only:
            x = x[:, -1:]
        return self.lm_head(x)  # (B, T, V)

    def new_cache(self, max_len: int, batch: int = 1) -> KVCache:
        p = self.model.embed_tokens.weight  # the activations' dtype (also under int8)
        return KVCache(self.config, batch, max_len, p.dtype, p.device)
