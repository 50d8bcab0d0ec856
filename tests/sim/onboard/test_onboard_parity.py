"""Parity with Hugging Face's Qwen3ForCausalLM on a small random config (no weights needed)."""

import pytest
import torch

from sim.onboard.loading import load_model
from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.sampling import GREEDY, SamplingParams, generate_ids

transformers = pytest.importorskip(
    "transformers", reason="transformers (a test-only dependency) is not installed: "
    "parity with Hugging Face's Qwen3ForCausalLM is not checked")

SMALL = dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16,
             max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=10000.0)


def hf_pair(tie: bool, seed: int = 0):
    torch.manual_seed(seed)
    hf_cfg = transformers.Qwen3Config(**SMALL, tie_word_embeddings=tie,
                                      attn_implementation="eager")
    hf = transformers.Qwen3ForCausalLM(hf_cfg).eval()
    with torch.no_grad():  # HF's init leaves the norms at 1: perturb so they are tested too
        for name, p in hf.named_parameters():
            if "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    ours = Qwen3ForCausalLM(Qwen3Config(**SMALL, tie_word_embeddings=tie)).eval()
    state = hf.state_dict()
    ours.load_state_dict(state, strict=True)
    return hf, ours


@pytest.mark.parametrize("tie", [True, False])
def test_logits_match(tie):
    hf, ours = hf_pair(tie)
    ids = torch.randint(0, SMALL["vocab_size"], (2, 17), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = hf(ids).logits
        got = ours(ids)
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, atol=2e-5, rtol=1e-4)


def test_kv_cache_equals_full_forward():
    _, ours = hf_pair(False)
    ids = torch.randint(0, SMALL["vocab_size"], (1, 20), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        full = ours(ids)
        cache = ours.new_cache(20)
        parts = [ours(ids[:, :7], cache),  # prefill
                 ours(ids[:, 7:10], cache)]  # several tokens after a cached prefix (masked path)
        parts += [ours(ids[:, i:i + 1], cache) for i in range(10, 20)]  # one token at a time
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=2e-5, rtol=1e-4)


def test_greedy_generation_token_for_token():
    hf, ours = hf_pair(True, seed=3)
    prompt = [5, 17, 42, 99, 7, 250, 3]
    ref = hf.generate(torch.tensor([prompt]), max_new_tokens=24, do_sample=False,
                      eos_token_id=None, pad_token_id=0, attention_mask=torch.ones(1, 7))
    ref = ref[0, len(prompt):].tolist()
    cached = list(generate_ids(ours, prompt, SamplingParams(24, 0.0, 0, 1.0)))
    uncached = list(generate_ids(ours, prompt, SamplingParams(24, 0.0, 0, 1.0), use_cache=False))
    assert cached == ref
    assert uncached == ref


def test_loads_a_save_pretrained_folder(tmp_path, make_model_dir):
    hf, _ = hf_pair(True, seed=4)
    folder = tmp_path / "hf"
    hf.save_pretrained(folder, safe_serialization=True)
    # save_pretrained writes no tokenizer: take the test's chat-style byte tokenizer
    (folder / "tokenizer.json").write_text(
        (make_model_dir("tok", chat=True) / "tokenizer.json").read_text())
    om = load_model(folder)
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        torch.testing.assert_close(om.model(ids), hf(ids).logits, atol=2e-5, rtol=1e-4)
    assert om.tokenizer.chat  # <|im_start|>/<|im_end|> present: Qwen3 chat template
    prep = om.prepare("Status?", "Kashi", "Xingshi-07", max_new_tokens=8)
    text = om.tokenizer._tok.decode(prep.ids, skip_special_tokens=False)
    assert text.startswith("<|im_start|>system\n") and "<|im_start|>user\nStatus?<|im_end|>" in text
    assert text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    reply = om.generate("Status?", params=GREEDY)
    assert reply.generated_tokens >= 1


def test_loads_a_sharded_bf16_checkpoint(tmp_path, make_model_dir):
    hf, _ = hf_pair(False, seed=5)
    folder = tmp_path / "sharded"
    hf.to(torch.bfloat16).save_pretrained(folder, max_shard_size="50KB")
    assert len(list(folder.glob("*.safetensors"))) > 1
    (folder / "tokenizer.json").write_text(
        (make_model_dir("tok") / "tokenizer.json").read_text())
    om = load_model(folder)  # small: computed in float32 from the bf16 weights
    ids = torch.tensor([[9, 8, 7, 6]])
    with torch.no_grad():
        ref = hf.float()(ids).logits
        torch.testing.assert_close(om.model(ids), ref, atol=1e-4, rtol=1e-3)
