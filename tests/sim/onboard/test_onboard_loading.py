"""Model folders: what loads, and the clear errors for what does not."""

import json

import pytest
import torch

from sim.errors import UserError
from sim.onboard.loading import load_model


def test_loads_tiny_folder(tiny_dir):
    om = load_model(tiny_dir)
    assert om.config.num_hidden_layers == 2
    assert not om.tokenizer.chat and om.tokenizer.stop_strings == ("\n\n",)
    assert om.model.lm_head.weight is om.model.model.embed_tokens.weight  # tied
    assert next(om.model.parameters()).dtype == torch.float32


def test_byte_tokenizer_ids_are_bytes(tiny_dir):
    tok = load_model(tiny_dir).tokenizer
    text = "ROMEO.\nBut soft! caf\u00e9\n"
    assert tok.encode(text) == list(text.encode())
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode("<|endoftext|>") == [256]
    assert tok.encode_plain("<|endoftext|>") != [256]  # user text cannot forge an end token


@pytest.mark.parametrize("name,message", [
    ("config.json", "missing config.json"),
    ("model.safetensors", r"missing weights \(no \*\.safetensors file\)"),
    ("tokenizer.json", "missing tokenizer.json"),
])
def test_missing_file_is_named(tiny_dir, name, message):
    (tiny_dir / name).unlink()
    with pytest.raises(UserError, match=message):
        load_model(tiny_dir)


def test_missing_folder(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_model(tmp_path / "nowhere")


@pytest.mark.parametrize("key,value", [
    ("rope_scaling", {"rope_type": "yarn", "factor": 4.0}),
    ("use_sliding_window", True),
    ("quantization_config", {"quant_method": "gptq"}),
    ("model_type", "llama"),
    ("hidden_act", "gelu"),
])
def test_unsupported_config_key_is_named(tiny_dir, key, value):
    path = tiny_dir / "config.json"
    cfg = json.loads(path.read_text())
    cfg[key] = value
    path.write_text(json.dumps(cfg))
    with pytest.raises(UserError, match=f"unsupported config key '{key}'"):
        load_model(tiny_dir)


def test_missing_config_key_is_named(tiny_dir):
    path = tiny_dir / "config.json"
    cfg = json.loads(path.read_text())
    del cfg["hidden_size"]
    path.write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="missing config key 'hidden_size'"):
        load_model(tiny_dir)


def test_bad_json(tiny_dir):
    (tiny_dir / "config.json").write_text("{not json")
    with pytest.raises(UserError, match="config.json: not valid JSON"):
        load_model(tiny_dir)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_safetensors(tiny_dir, damage):
    path = tiny_dir / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(b"\x00garbage" * 10 if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(UserError, match="model.safetensors: corrupt or unreadable"):
        load_model(tiny_dir)


def test_missing_tensor_is_named(tiny_dir):
    from safetensors.torch import load_file, save_file
    path = tiny_dir / "model.safetensors"
    state = load_file(str(path))
    del state["model.layers.1.self_attn.k_norm.weight"]
    save_file(state, str(path))
    with pytest.raises(UserError, match="model.layers.1.self_attn.k_norm.weight"):
        load_model(tiny_dir)


def test_shape_mismatch_is_named(tiny_dir):
    path = tiny_dir / "config.json"
    cfg = json.loads(path.read_text())
    cfg["intermediate_size"] = 48
    path.write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="gate_proj.weight' has shape"):
        load_model(tiny_dir)


def test_corrupt_tokenizer(tiny_dir):
    (tiny_dir / "tokenizer.json").write_text("[]")
    with pytest.raises(UserError, match="tokenizer.json: not a readable tokenizer"):
        load_model(tiny_dir)
