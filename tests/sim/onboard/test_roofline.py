"""The roofline estimate of time on board (sim/onboard/roofline.py) against cases computed by
hand, and the memory refusal (issue 12)."""
import pytest

from sim.errors import UserError
from sim.onboard.roofline import (ModelShape, OnboardEstimate, check_fits, decode_step,
                                  estimate, memory_needed_gb, prefill)
from sim.scenario import HardwareProfile

#: 1e9 parameters, 10 layers x 2 KV heads x 64 dims: 2*10*2*64 = 2,560 numbers per token
BILLION = ModelShape("Test-1B", 10**9, 10**9, n_layers=10, n_kv_heads=2, head_dim=64)
#: 100 GB/s, 100 TOPS, efficiency 1: every figure below is done by hand
PLAIN = HardwareProfile(peak_tops=100.0, memory_bandwidth_gb_s=100.0, memory_gb=16.0,
                        efficiency=1.0, weight_dtype="bf16", kv_dtype="bf16")


def test_a_decode_step_of_a_billion_bf16_weights_at_100_gb_s_takes_20_ms():
    # 1e9 x 2 B = 2e9 B read at 1e11 B/s = 0.02 s; compute 2e9 FLOPs at 1e14/s = 0.02 ms
    seconds, bound = decode_step(BILLION, PLAIN, cached_tokens=0)
    assert seconds == pytest.approx(0.020)
    assert bound == "memory"


def test_the_kv_cache_adds_to_each_decode_read():
    # 1,000 cached tokens x 2,560 numbers x 2 B = 5.12 MB more: 5.12e6 / 1e11 = 51.2 us
    seconds, _ = decode_step(BILLION, PLAIN, cached_tokens=1000)
    assert seconds == pytest.approx(0.020 + 51.2e-6)


def test_efficiency_scales_both_roofs():
    half = HardwareProfile(100.0, 100.0, 16.0, efficiency=0.5)
    assert decode_step(BILLION, half, 0)[0] == pytest.approx(0.040)
    assert prefill(BILLION, half, 1000)[0] == pytest.approx(0.040)  # 2e12 / 5e13


def test_prefill_is_bound_by_compute():
    # 2 x 1e9 x 2,000 tokens = 4e12 FLOPs at 1e14/s = 40 ms, against 20 ms to read the weights
    seconds, bound = prefill(BILLION, PLAIN, 2000)
    assert seconds == pytest.approx(0.040)
    assert bound == "compute"


def test_a_tiny_prompt_prefill_still_reads_the_weights_once():
    seconds, bound = prefill(BILLION, PLAIN, 1)
    assert seconds == pytest.approx(0.020)
    assert bound == "memory"


def test_a_tiny_model_on_a_weak_chip_is_compute_bound():
    # 1e6 parameters, int8: 1 MB read at 100 GB/s = 10 us; 2e6 FLOPs at 0.01 TOPS = 200 us
    tiny = ModelShape("Tiny", 10**6, 10**6, 1, 1, 8)
    weak = HardwareProfile(0.01, 100.0, 1.0, efficiency=1.0, weight_dtype="int8")
    seconds, bound = decode_step(tiny, weak, 0)
    assert seconds == pytest.approx(200e-6)
    assert bound == "compute"


def test_a_whole_request_sums_prefill_and_the_decode_steps():
    # prompt 2,000 -> 40 ms; 3 generated tokens -> 2 decode steps with 2,000 and 2,001 tokens
    # cached: 2 x 20 ms + (4,001 x 5,120 B) / 1e11
    result = estimate(BILLION, PLAIN, prompt_tokens=2000, generated_tokens=3)
    assert result.prefill_s == pytest.approx(0.040)
    assert result.decode_steps == 2
    assert result.decode_s == pytest.approx(0.040 + 4001 * 5120 / 1e11)
    assert result.total_s == pytest.approx(result.prefill_s + result.decode_s)
    assert (result.prefill_bound, result.decode_bound) == ("compute", "memory")
    assert "decode memory-bound at 100 GB/s" in result.summary()


def test_edge_cases_no_decode_steps_and_no_tokens():
    one = estimate(BILLION, PLAIN, prompt_tokens=2000, generated_tokens=1)
    assert (one.decode_steps, one.decode_s, one.decode_bound) == (0, 0.0, "")
    assert "prefill compute-bound" in one.summary()
    none = estimate(BILLION, PLAIN, prompt_tokens=0, generated_tokens=0)
    assert none.total_s == 0.0
    with pytest.raises(ValueError):
        estimate(BILLION, PLAIN, -1, 3)


def test_untied_embeddings_count_in_memory_but_not_in_the_per_token_read():
    untied = ModelShape("U", params=1_500_000_000, matmul_params=10**9, n_layers=10,
                        n_kv_heads=2, head_dim=64)
    assert decode_step(untied, PLAIN, 0)[0] == pytest.approx(0.020)
    assert memory_needed_gb(untied, PLAIN, 0) == pytest.approx(3.0)


def test_memory_fit_counts_weights_and_the_kv_cache():
    # 2 GB of weights + 1,000 x 5,120 B = 2.00512 GB
    assert memory_needed_gb(BILLION, PLAIN, 1000) == pytest.approx(2.00512)
    check_fits(BILLION, PLAIN, 1000, "XS-03")  # fits in 16 GB


def test_a_model_too_big_for_the_satellite_is_refused_with_both_sizes():
    qwen8b = ModelShape("Qwen3-8B", 8_190_000_000, 8_190_000_000, 36, 8, 128)
    small = HardwareProfile(744.0, 204.8, 8.0, weight_dtype="bf16")
    with pytest.raises(UserError) as error:
        check_fits(qwen8b, small, 100, "XS-03")
    text = str(error.value)
    assert "Qwen3-8B" in text and "16.4 GB in bf16" in text and "XS-03 has 8 GB" in text
    assert "\n" not in text


def test_estimate_is_a_frozen_value():
    result = estimate(BILLION, PLAIN, 10, 2)
    assert isinstance(result, OnboardEstimate)
    with pytest.raises(AttributeError):
        result.prefill_s = 0.0
