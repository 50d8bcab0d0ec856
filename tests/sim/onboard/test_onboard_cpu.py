"""Running well on a CPU: the dtype option, memory-mapped loading, dynamic int8, bfloat16 parity
with transformers, and the bench's comparison report. Tiny random models only."""

import json

import pytest
import torch
from safetensors.torch import load as load_safetensors_bytes

from sim.errors import UserError
from sim.onboard import bench, loading
from sim.onboard.loading import load_model, quantize_int8, resolve_dtype
from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.sampling import SamplingParams, generate_ids
from tests.cli_helpers import cli

IDS = torch.randint(0, 256, (1, 40), generator=torch.Generator().manual_seed(7))


def _greedy(model, prompt, n=24):
    return list(generate_ids(model, prompt, SamplingParams(n, 0.0, 0, 1.0)))


# --- dtype --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,expected", [("float32", torch.float32), ("fp32", torch.float32),
                                           ("bfloat16", torch.bfloat16), ("BF16", torch.bfloat16),
                                           (torch.bfloat16, torch.bfloat16)])
def test_named_dtypes(name, expected):
    assert resolve_dtype(name, 10**9) == expected


@pytest.mark.parametrize("native,expected", [(True, torch.bfloat16), (False, torch.float32)])
def test_auto_picks_bf16_only_for_large_models_on_native_bf16(monkeypatch, native, expected):
    monkeypatch.setattr(loading, "cpu_has_native_bf16", lambda: native)
    assert resolve_dtype("auto", 600_000_000) == expected
    assert resolve_dtype(None, 600_000_000) == expected
    assert resolve_dtype("auto", 2_000_000) == torch.float32  # small: overhead-bound, exact


@pytest.mark.parametrize("bad", ["float16", "int8", "", torch.float16])
def test_bad_dtype_is_refused(bad):
    with pytest.raises(UserError, match="dtype"):
        resolve_dtype(bad, 10**6)


def test_dtype_option_loads_that_dtype(tiny_dir):
    assert load_model(tiny_dir).compute_dtype == "float32"  # auto, tiny
    om = load_model(tiny_dir, dtype="bfloat16")
    assert om.compute_dtype == "bfloat16"
    assert {p.dtype for p in om.model.parameters()} == {torch.bfloat16}
    assert om.model.new_cache(8).k[0].dtype == torch.bfloat16
    assert om.generate("Status?").generated_tokens >= 1


# --- memory-mapped loading ----------------------------------------------------------------------

def test_mmap_loading_gives_identical_logits(tiny_dir):
    """The memory-mapped, assigned weights compute exactly what a model filled from an in-memory
    copy of the same file computes."""
    om = load_model(tiny_dir, dtype="float32")
    state = load_safetensors_bytes((tiny_dir / "model.safetensors").read_bytes())
    ref = Qwen3ForCausalLM(om.config).eval()
    ref.load_state_dict(state, strict=False)  # the tied head is not stored
    with torch.inference_mode():
        assert torch.equal(om.model(IDS), ref(IDS))


def test_checkpoint_dtype_is_assigned_without_a_copy(make_model_dir):
    """Loading a bf16 checkpoint as bf16 keeps the file's mapped tensors: nothing is copied."""
    folder = make_model_dir("bf16")
    path = folder / "model.safetensors"
    from safetensors.torch import load_file, save_file

    save_file({k: v.bfloat16() for k, v in load_file(str(path)).items()}, str(path))
    weights = loading.load_weights(folder)
    pointer = weights["model.norm.weight"].data_ptr()
    cfg = loading.load_config(folder)
    model = loading.build_model(cfg, weights, folder, torch.bfloat16)
    assert model.model.norm.weight.data_ptr() == pointer


# --- bfloat16 parity with transformers ------------------------------------------------------------

def test_bf16_matches_transformers_bf16():
    pytest.importorskip("transformers")
    from tests.sim.onboard.test_onboard_parity import hf_pair

    hf, ours = hf_pair(True, seed=6)
    hf, ours = hf.to(torch.bfloat16), ours.to(torch.bfloat16)
    ids = torch.randint(0, 300, (1, 30), generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        ref, got = hf(ids).logits.float(), ours(ids).float()
    # bf16 keeps 8 mantissa bits: a few units in the last place of logits of size ~1
    torch.testing.assert_close(got, ref, atol=3e-2, rtol=2e-2)
    assert torch.equal(got.argmax(-1), ref.argmax(-1))
    prompt = [5, 17, 42, 99, 7, 250, 3]
    theirs = hf.generate(torch.tensor([prompt]), max_new_tokens=16, do_sample=False,
                         eos_token_id=None, pad_token_id=0, attention_mask=torch.ones(1, 7))
    assert _greedy(ours, prompt, 16) == theirs[0, len(prompt):].tolist()


# --- dynamic int8 -------------------------------------------------------------------------------

def test_int8_quantises_every_linear_and_keeps_the_count(tiny_dir):
    om = load_model(tiny_dir, int8=True)
    plain = load_model(tiny_dir)
    assert om.compute_dtype == "int8" and om.model.int8
    assert not any(type(m) is torch.nn.Linear for m in om.model.modules())
    assert om.num_parameters == plain.num_parameters
    assert om.flops_per_token == plain.flops_per_token


def test_int8_agrees_with_float32(tiny_dir):
    """Tolerance: teacher-forced top-1 agreement of at least 95% of positions, and the greedy
    continuation identical for its first 8 tokens (measured: 100% and all 24 on these seeds)."""
    plain, quant = load_model(tiny_dir), load_model(tiny_dir, int8=True)
    with torch.inference_mode():
        ref, got = plain.model(IDS), quant.model(IDS)
    agree = (ref.argmax(-1) == got.argmax(-1)).float().mean().item()
    assert agree >= 0.95
    assert (got - ref).abs().max() < 0.1 * ref.abs().max()
    prompt = IDS[0, :12].tolist()
    assert _greedy(quant.model, prompt)[:8] == _greedy(plain.model, prompt)[:8]


def test_int8_refuses_a_bf16_model():
    model = Qwen3ForCausalLM(Qwen3Config(vocab_size=64, hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2,
                                         num_key_value_heads=1, head_dim=8)).bfloat16()
    with pytest.raises(ValueError, match="float32"):
        quantize_int8(model)


# --- bench's comparison report ----------------------------------------------------------------------

@pytest.fixture
def bench_dir(make_model_dir):
    """A tiny model whose context holds the bench's framed prompt (106 tokens) and a reply."""
    return make_model_dir("bench", max_position_embeddings=160)


def _check_figures(figures, n):
    assert figures["time_to_first_token_ms"] > 0 and figures["tokens_per_s"] > 0
    assert len(figures["tokens"]) == n


def test_compare_with_transformers_report(bench_dir, capsys):
    pytest.importorskip("transformers")
    report = bench.compare_with_transformers(bench_dir, new_tokens=6)
    assert report["dtype"] == "float32" and report["generated_tokens"] == 6
    assert report["torch_threads"] == 1 and report["runs"] == 1
    _check_figures(report["ours"], 6)
    _check_figures(report["transformers"], 6)
    assert report["same_tokens"] is True and report["decode_speed_ratio"] > 0
    out = capsys.readouterr().out
    assert "ours" in out and "transformers" in out and "same greedy tokens: yes" in out


def test_bench_cli_model_dir_json_int8(bench_dir, capsys):
    pytest.importorskip("transformers")
    code, out, _ = cli(capsys, "bench", "--no-sim", "--model-dir", bench_dir, "--int8",
                       "--tokens", "5", "--json")
    assert code == 0
    report = json.loads(out[out.index("{\n"):])["model"]  # the pretty report comes last
    assert report["dtype"] == "int8" and report["generated_tokens"] == 5
    _check_figures(report["ours"], 5)
    _check_figures(report["transformers"], 5)


def test_bench_without_transformers_reports_ours_only(bench_dir, monkeypatch, capsys):
    monkeypatch.setattr(bench, "_load_transformers", lambda *args: None)
    report = bench.compare_with_transformers(bench_dir, new_tokens=3)
    assert report["transformers"] is None and "same_tokens" not in report
    assert "not measured" in capsys.readouterr().out


def test_bench_refuses_a_context_too_small_for_its_prompt(tiny_dir, capsys):
    with pytest.raises(UserError, match="too small for the bench prompt"):
        bench.compare_with_transformers(tiny_dir, new_tokens=3)


def test_shipped_model_bench_times_both_cache_modes_and_restores_threads(capsys):
    """`run.py bench --model` on the shipped model: one timer for both modes (with and
    without the KV cache), every figure positive, torch's thread count put back."""
    before = torch.get_num_threads()
    report = bench.run_model_bench(as_json=True, runs=1, threads=1, new_tokens=6)
    assert torch.get_num_threads() == before
    assert json.loads(capsys.readouterr().out) == report
    assert report["generated_tokens"] == 6 and report["torch_threads"] == 1
    for mode in ("kv_cache", "no_cache"):
        assert report[mode]["time_to_first_token_ms"] > 0 and report[mode]["tokens_per_s"] > 0
    assert report["cache_speedup"] > 0
