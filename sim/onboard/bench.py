"""Speed of the onboard model on this machine.

``run_model_bench`` is what ``run.py bench --model`` reports. It generates a fixed number of
tokens greedily from a fixed framed prompt (end tokens and stop strings ignored, so every run
produces the same number of tokens), after a warm-up run.

- Shipped model (no ``model_dir``): with and without the KV cache, median of a few runs.
- ``model_dir`` (a Qwen3 checkpoint folder): our implementation beside Hugging Face
  ``transformers`` (``generate``, greedy) on the same prompt ids, dtype and threads, one run each
  (a real checkpoint is slow on a CPU), with or without dynamic int8 on both sides.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time

import torch

from sim.errors import UserError
from sim.onboard.loading import load_model
from sim.onboard.sampling import GREEDY, SamplingParams, generate_ids

PROMPT = "What news from orbit? Is the sky clear over the western sea?"
NEW_TOKENS = 128


@contextlib.contextmanager
def _torch_threads(threads: int | None):
    """Run the block with `threads` torch CPU threads (None: leave torch's setting), then put
    the setting back; yields the count in use."""
    old = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield threads or old
    finally:
        torch.set_num_threads(old)


def _run_ours(model, ids: list[int], n: int, use_cache: bool = True):
    """One greedy run of n tokens with our implementation: (start, the perf_counter stamp of
    each token as it was picked, the tokens). The one timer of every bench of ours."""
    params = SamplingParams(n, GREEDY.temperature, 0, 1.0, None)
    t0 = time.perf_counter()
    stamps, tokens = [], []
    for token in generate_ids(model, ids, params, (), use_cache):
        stamps.append(time.perf_counter())
        tokens.append(token)
    return t0, stamps, tokens


def _rates(t0: float, stamps: list[float]) -> tuple[float, float]:
    """(time to first token s: prefill + first pick, decode tokens/s after the first token;
    0 when fewer than two tokens were timed)."""
    decode_s = stamps[-1] - stamps[0]
    return stamps[0] - t0, (len(stamps) - 1) / decode_s if decode_s > 0 else 0.0


#: New tokens per run for a checkpoint folder: a 0.6B model makes a few tokens per second here.
FOLDER_NEW_TOKENS = 32


def run_model_bench(as_json: bool = False, runs: int = 3, threads: int | None = 1,
                    model_dir: str | None = None, dtype: str = "auto", int8: bool = False,
                    new_tokens: int | None = None) -> dict:
    """Measure and print the model's speed; returns the figures as a dict.

    ``threads``: torch CPU threads during the bench (1 by default: what the app's model thread
    uses, and considerate of a shared machine); None leaves torch's setting alone.
    ``dtype``: see ``loading.resolve_dtype``. ``model_dir`` or ``int8``: compare with
    transformers on that checkpoint folder, or the shipped model (``compare_with_transformers``).
    ``new_tokens``: per run (default 128, or 32 for the comparison), capped by the context."""
    if model_dir is not None or int8:
        return compare_with_transformers(model_dir, dtype, int8, threads,
                                         new_tokens or FOLDER_NEW_TOKENS, as_json)
    with _torch_threads(threads) as threads_used:
        om = load_model(dtype=dtype)
        ids = _framed_prompt(om)
        n = min(new_tokens or NEW_TOKENS, om.context_length - len(ids))
        results = {}
        for name, cache in (("kv_cache", True), ("no_cache", False)):
            _run_ours(om.model, ids, 8, cache)  # warm-up: first-call allocations
            samples = [_rates(*_run_ours(om.model, ids, n, cache)[:2]) for _ in range(runs)]
            results[name] = {
                "time_to_first_token_ms": round(1000 * statistics.median(s[0] for s in samples), 2),
                "tokens_per_s": round(statistics.median(s[1] for s in samples), 1),
            }
    out = {
        "model": str(om.path), "parameters": om.num_parameters,
        "prompt_tokens": len(ids), "generated_tokens": n, "runs": runs,
        "torch_threads": threads_used, **results,
        "cache_speedup": round(results["kv_cache"]["tokens_per_s"]
                               / results["no_cache"]["tokens_per_s"], 2),
    }
    if as_json:
        print(json.dumps(out))
    else:
        print(f"onboard model {out['model']} ({out['parameters']:,} parameters), "
              f"prompt {len(ids)} tokens, {n} new tokens, "
              f"{out['torch_threads']} thread(s), median of {runs}")
        for name in ("kv_cache", "no_cache"):
            r = results[name]
            print(f"  {name:9s} first token {r['time_to_first_token_ms']:7.2f} ms   "
                  f"{r['tokens_per_s']:8.1f} tokens/s")
        print(f"  the KV cache is {out['cache_speedup']}x faster")
    return out


def _framed_prompt(om) -> list[int]:
    before, after = om.tokenizer.frame_parts("Kashi", "Xingshi-07")
    return om.tokenizer.encode(before + PROMPT + after)


def _figures(t0: float, stamps: list[float], tokens: list[int]) -> dict:
    """One run's report: first-token time (ms), decode tokens/s, and the tokens."""
    first_s, tokens_per_s = _rates(t0, stamps)
    return {"time_to_first_token_ms": round(1000 * first_s, 1),
            "tokens_per_s": round(tokens_per_s, 2), "tokens": tokens}


def _load_transformers(folder, dtype: torch.dtype, int8: bool):
    """Hugging Face's Qwen3ForCausalLM on the same folder, dtype and quantisation; None if
    transformers is not installed (it is a test-only dependency)."""
    try:
        import transformers
    except ImportError:
        return None
    hf = transformers.Qwen3ForCausalLM.from_pretrained(str(folder), dtype=dtype).eval()
    if int8:
        from sim.onboard.loading import quantize_int8

        hf = quantize_int8(hf)
    return hf


def _time_transformers(hf, ids: list[int], n: int) -> dict:
    """One ``generate`` run, greedy, exactly n new tokens, timed by a streamer (its ``put``
    gets the prompt first, then each new token as it is picked)."""
    from transformers.generation.streamers import BaseStreamer

    class Stamps(BaseStreamer):
        def __init__(self):
            self.stamps: list[float] = []

        def put(self, value):
            self.stamps.append(time.perf_counter())

        def end(self):
            pass

    streamer = Stamps()
    prompt = torch.tensor([ids])
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=n,
                          min_new_tokens=n, do_sample=False, temperature=None, top_p=None,
                          top_k=None, pad_token_id=0, streamer=streamer)
    return _figures(t0, streamer.stamps[1:], out[0, len(ids):].tolist())


def compare_with_transformers(model_dir, dtype: str = "auto", int8: bool = False,
                              threads: int | None = 1, new_tokens: int = FOLDER_NEW_TOKENS,
                              as_json: bool = False) -> dict:
    """Our implementation, then transformers, on the same folder, prompt ids, dtype (ours picks
    it, see ``loading.resolve_dtype``), threads and quantisation: one run each after an
    8-token warm-up. Ours is freed before transformers loads, so they never share memory."""
    import gc

    with _torch_threads(threads) as threads_used:
        t0 = time.perf_counter()
        om = load_model(model_dir, dtype=dtype, int8=int8)
        load_s = time.perf_counter() - t0
        ids = _framed_prompt(om)
        new_tokens = min(new_tokens, om.context_length - len(ids))
        if new_tokens < 2:  # a decode speed needs at least two tokens
            raise UserError(f"{om.path}: the model's context ({om.context_length} tokens) is "
                            f"too small for the bench prompt ({len(ids)} tokens)")
        _run_ours(om.model, ids, 8)  # warm-up
        ours = _figures(*_run_ours(om.model, ids, new_tokens))
        report = {"model": str(om.path), "parameters": om.num_parameters,
                  "dtype": om.compute_dtype, "prompt_tokens": len(ids),
                  "generated_tokens": new_tokens, "runs": 1,
                  "torch_threads": threads_used, "load_s": round(load_s, 2)}
        dtype_used = om.model.model.embed_tokens.weight.dtype
        folder = om.path
        del om
        gc.collect()
        hf = _load_transformers(folder, dtype_used, int8)
        theirs = None
        if hf is not None:
            _time_transformers(hf, ids, 8)
            theirs = _time_transformers(hf, ids, new_tokens)
            del hf
            gc.collect()
    report["ours"] = ours
    report["transformers"] = theirs
    if theirs is not None:
        report["same_tokens"] = ours["tokens"] == theirs["tokens"]
        report["decode_speed_ratio"] = (round(ours["tokens_per_s"] / theirs["tokens_per_s"], 3)
                                        if theirs["tokens_per_s"] else None)
    if as_json:
        print(json.dumps(report))
    else:
        _print_comparison(report)
    return report


def _print_comparison(r: dict) -> None:
    print(f"onboard model {r['model']} ({r['parameters']:,} parameters, {r['dtype']}), "
          f"prompt {r['prompt_tokens']} tokens, {r['generated_tokens']} new tokens, "
          f"{r['torch_threads']} thread(s), one run each after a warm-up; loaded in "
          f"{r['load_s']} s")
    for name in ("ours", "transformers"):
        f = r[name]
        if f is None:
            print(f"  {name:12s} not measured (transformers is not installed)")
            continue
        print(f"  {name:12s} first token {f['time_to_first_token_ms']:9.1f} ms   "
              f"{f['tokens_per_s']:8.2f} tokens/s")
    if r["transformers"] is not None:
        print(f"  ours / transformers decode speed: {r['decode_speed_ratio']}x; "
              f"same greedy tokens: {'yes' if r['same_tokens'] else 'no'}")



def run_vision_bench(as_json: bool = False, threads: int = 1, runs: int = 3,
                     batch: int = 64) -> dict:
    """The vision model's throughput on this machine (``run.py bench --model``): tiles/s one
    at a time (as captures arrive) and in batches of ``batch``, on ``threads`` torch threads
    (one core by default), median of ``runs`` passes over ``batch`` tiles."""
    import numpy as np

    from sim import scene
    from sim.onboard import vision

    model = vision.load()
    # `batch` day scenes of 290 km on a spiral over the globe (what they show does not change
    # the speed of a CNN)
    k = np.arange(batch)
    sample = scene.render_tile(*scene.swath_points(np.degrees(np.arcsin(2 * (k + 0.5) / batch - 1)),
                                                   (k * 137.508) % 360 - 180, 0.0, 290.0), lit=True)
    with _torch_threads(threads):
        vision.predict(model, sample[:8])  # warm-up: first-call allocations

        def rate(size: int) -> float:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                for first in range(0, batch, size):
                    vision.predict(model, sample[first:first + size], batch=size)
                times.append(time.perf_counter() - start)
            return batch / statistics.median(times)

        one, batched = rate(1), rate(batch)
    flops = vision.forward_flops(model)
    out = {"model": str(vision.VISION_DIR / vision.WEIGHTS_FILE),
           "parameters": vision.parameter_count(model), "flops_per_tile": flops,
           "torch_threads": threads, "tiles_per_s_one_at_a_time": round(one, 1),
           f"tiles_per_s_batch_{batch}": round(batched, 1),
           "gflops_per_s_batched": round(batched * flops / 1e9, 2)}
    if not as_json:
        print(f"vision model ({out['parameters']:,} parameters, {flops / 1e6:.1f} MFLOP a "
              f"64x64 tile), {threads} thread(s), median of {runs}: {one:,.0f} tiles/s one at "
              f"a time, {batched:,.0f} tiles/s in batches of {batch} "
              f"({out['gflops_per_s_batched']} GFLOP/s)")
    return out


if __name__ == "__main__":
    run_model_bench()
