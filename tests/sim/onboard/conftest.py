"""Fixtures: tiny random model folders written the way a checkpoint is, so loader, engine and
worker tests need neither the shipped weights nor transformers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.tokenizer import build_byte_tokenizer

TINY = dict(vocab_size=260, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, head_dim=8,
            max_position_embeddings=96, tie_word_embeddings=True)


def write_model_dir(folder: Path, chat: bool = False, seed: int = 0, **overrides) -> Path:
    """A complete model folder: config.json, model.safetensors, tokenizer.json (byte-level; with
    ``chat`` it also has Qwen3's <|im_start|>/<|im_end|> tokens, so the chat template applies)."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = Qwen3Config(**{**TINY, **overrides})
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(cfg)
    model.init_weights(seed)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if cfg.tie_word_embeddings:
        state.pop("lm_head.weight")
    save_file(state, str(folder / "model.safetensors"))
    config = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", **cfg.to_dict()}
    (folder / "config.json").write_text(json.dumps(config))
    tok = build_byte_tokenizer()
    if chat:
        from tokenizers import AddedToken
        tok.add_special_tokens([AddedToken("<|im_start|>", special=True),
                                AddedToken("<|im_end|>", special=True)])
    tok.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture
def tiny_dir(tmp_path) -> Path:
    return write_model_dir(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def _one_thread():
    """The box is shared: keep tests on one torch thread."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture
def make_model_dir(tmp_path):
    """write_model_dir with folders under this test's tmp_path: make_model_dir("name", **kw)."""
    return lambda name="model", **kw: write_model_dir(tmp_path / name, **kw)
