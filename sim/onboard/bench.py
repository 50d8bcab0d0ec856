"""Speed of the default onboard model on this machine, with and without the KV cache.

``run_model_bench`` is what ``run.py bench --model`` reports. It generates a fixed number of
tokens greedily from a fixed framed prompt (end tokens and stop strings ignored, so both runs
produce the same tokens), after one warm-up run, and reports the median of a few runs."""

from __future__ import annotations

import json
import statistics
import time

import torch

from sim.onboard.loading import load_model
from sim.onboard.sampling import GREEDY, SamplingParams, generate_ids

PROMPT = "What news from orbit? Is the sky clear over the western sea?"
NEW_TOKENS = 128


def _time_generation(model, ids: list[int], n: int, use_cache: bool) -> tuple[float, float]:
    """(time to first token, decode tokens/s) for one run of n tokens."""
    params = SamplingParams(n, GREEDY.temperature, 0, 1.0, None)
    t0 = time.perf_counter()
    t_first = None
    count = 0
    for _ in generate_ids(model, ids, params, (), use_cache):
        count += 1
        if t_first is None:
            t_first = time.perf_counter()
    t_end = time.perf_counter()
    return t_first - t0, (count - 1) / (t_end - t_first)


def run_model_bench(as_json: bool = False, runs: int = 3, threads: int | None = 1) -> dict:
    """Measure and print the default model's speed; returns the figures as a dict.

    ``threads``: torch CPU threads during the bench (1 by default: the figure per core, and
    considerate of a shared machine); None leaves torch's setting alone."""
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        om = load_model()
        before, after = om.tokenizer.frame_parts("Kashi", "Xingshi-07")
        ids = om.tokenizer.encode(before + PROMPT + after)
        results = {}
        for name, cache in (("kv_cache", True), ("no_cache", False)):
            _time_generation(om.model, ids, 8, cache)  # warm-up: first-call allocations
            samples = [_time_generation(om.model, ids, NEW_TOKENS, cache) for _ in range(runs)]
            results[name] = {
                "time_to_first_token_ms": round(1000 * statistics.median(s[0] for s in samples), 2),
                "tokens_per_s": round(statistics.median(s[1] for s in samples), 1),
            }
    finally:
        torch.set_num_threads(old_threads)
    out = {
        "model": str(om.path), "parameters": om.num_parameters,
        "prompt_tokens": len(ids), "generated_tokens": NEW_TOKENS, "runs": runs,
        "torch_threads": threads or old_threads, **results,
        "cache_speedup": round(results["kv_cache"]["tokens_per_s"]
                               / results["no_cache"]["tokens_per_s"], 2),
    }
    if as_json:
        print(json.dumps(out))
    else:
        print(f"onboard model {out['model']} ({out['parameters']:,} parameters), "
              f"prompt {len(ids)} tokens, {NEW_TOKENS} new tokens, "
              f"{out['torch_threads']} thread(s), median of {runs}")
        for name in ("kv_cache", "no_cache"):
            r = results[name]
            print(f"  {name:9s} first token {r['time_to_first_token_ms']:7.2f} ms   "
                  f"{r['tokens_per_s']:8.1f} tokens/s")
        print(f"  the KV cache is {out['cache_speedup']}x faster")
    return out


if __name__ == "__main__":
    run_model_bench()
