"""The words and numbers the sim's results are said in (durations, bytes), and one formatter
for a round trip's inference line (the Snapshot, the app's log) and `run.py ask`'s summary, so
both say the same thing.
"""
from __future__ import annotations


def short_duration(seconds: float) -> str:
    """'0.52 us', '3.1 ms', '2.4 s': the unit that keeps the number readable."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def inference_detail(timing: str, figures, tokens_per_s_fixed: float, full: bool = False) -> str:
    """The inference's line: the time that drives the timeline first, then the others
    ("64 tokens; on board 1.17 ms (decode memory-bound at 204.8 GB/s, efficiency 0.5, int8)
    drives the timeline; measured here 349 ms (192 tokens/s)"). `figures` is an
    InferenceFigures (seconds); `full` adds the first token's latency and the on-board
    prefill / decode split (the command line's summary)."""
    first = f"first token {figures.time_to_first_token_s * 1e3:.1f} ms, " if full else ""
    measured = (f"measured here {short_duration(figures.measured_s)} "
                f"({first}{figures.tokens_per_s:.0f} tokens/s)")
    estimate = figures.onboard
    if estimate is None:
        onboard = "no hardware profile: no on-board estimate"
    elif full:
        onboard = (f"on board {short_duration(estimate.total_s)} (prefill "
                   f"{short_duration(estimate.prefill_s)}, decode "
                   f"{short_duration(estimate.decode_s)}: {estimate.summary()})")
    else:
        onboard = f"on board {short_duration(estimate.total_s)} ({estimate.summary()})"
    parts = {"measured": measured, "onboard": onboard,
             "fixed": f"a fixed {tokens_per_s_fixed:g} tokens/s"}
    lead = f"{parts[timing]} drives the timeline"
    others = [parts[k] for k in ("measured", "onboard") if k != timing]
    text = f"{figures.generated_tokens} tokens; " + "; ".join([lead] + others)
    if estimate is None and figures.hardware_s is not None:
        text += (f"; the satellite's stated {figures.hardware_tops:,.0f} TOPS would need "
                 f"{short_duration(figures.hardware_s)} for these {figures.flops:.3g} FLOPs")
    return text


def format_bytes(n: float) -> str:
    """'160 B', '12.4 kB', '5.05 GB' (decimal units, as the sim's figures)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"
