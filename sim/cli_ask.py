"""`run.py ask`: one prompt's round trip Earth -> satellite -> Earth, headless.

Prints the satellite's reply, then every phase with its duration (and hops), and the total;
`--json` prints the same as one JSON object.
"""
from __future__ import annotations

import json
import pathlib

from . import commands as cmd
from .errors import UserError
from .interface import train_and_deploy
from .trip import RoundTrip
from .trip_text import inference_detail


def add_ask_command(commands, add_scenario_args) -> None:
    p = commands.add_parser("ask", help="send a prompt to a satellite and time the round trip")
    add_scenario_args(p)
    p.add_argument("--sat", required=True, metavar="ID|NAME", help="target satellite")
    p.add_argument("--prompt", required=True, help="what to ask the satellite")
    p.add_argument("--station", default="", help="ground station (default: the nearest with "
                                                   "a path, found at each end of the trip)")
    model = p.add_mutually_exclusive_group()
    model.add_argument("--model", metavar="NAME",
                       help="onboard model: a repo id pulled with `run.py model pull` "
                            "(e.g. Qwen/Qwen3-0.6B), 'shipped', or a checkpoint folder")
    model.add_argument("--model-dir", type=pathlib.Path,
                       help="a Qwen3 checkpoint folder (config.json, *.safetensors, "
                            "tokenizer.json); default: the byte-level model shipped in "
                            "assets/model")
    p.add_argument("--max-tokens", type=int, default=64,
                   help=f"longest reply, tokens (1..{cmd.MAX_TOKENS})")
    p.add_argument("--timing", choices=cmd.TIMINGS, default="measured",
                   help="inference phase length: as measured here, as estimated on the "
                        "satellite's hardware profile (roofline), or at --tokens-per-s")
    p.add_argument("--tokens-per-s", type=float, default=40.0,
                   help="generation rate for --timing fixed, tokens/s "
                        f"({cmd.FIXED_TOKENS_PER_S[0]:g}..{cmd.FIXED_TOKENS_PER_S[1]:g})")
    p.add_argument("--deploy-steps", type=int, metavar="N",
                   help="first train N real data-parallel steps (2 replicas), deploy the "
                        "checkpoint to the inference satellites and wait until it has arrived")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_ask)


def cmd_ask(args) -> int:
    from .cli import world_from_args

    if args.model_dir is not None and not args.model_dir.is_dir():
        raise UserError(f"--model-dir {args.model_dir}: no such folder")
    cmd.check_tokens_per_s(args.tokens_per_s, "--tokens-per-s")  # also refuses nan and inf
    cmd.check_max_tokens(args.max_tokens, "--max-tokens")  # before the World is built
    if args.deploy_steps is not None and not 1 <= args.deploy_steps <= cmd.MAX_REAL_STEPS:
        raise UserError(f"--deploy-steps: expected 1..{cmd.MAX_REAL_STEPS}, "
                        f"got {args.deploy_steps}")
    world = world_from_args(args, model_dir=str(args.model_dir) if args.model_dir else None,
                            blocking_inference=True)
    try:
        if args.deploy_steps is not None:
            train_and_deploy(world, args.deploy_steps)
        trip = world.ask(cmd.Ask(args.sat, args.prompt, args.station, args.max_tokens,
                                 args.seed or 0, args.timing, args.tokens_per_s))
        world.round_trips.resolve(trip)
    finally:
        world.close()
    report = trip_report(world, trip)
    if trip.error:
        raise UserError(f"the round trip failed: {trip.error}")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_trip(report, trip)
    return 0


def trip_report(world, trip: RoundTrip) -> dict:
    epoch = world.scenario.epoch
    phases = []
    for phase in trip.phases:
        start = epoch.timestamp() + phase.start_s
        phases.append({"name": phase.name,
                       "start_utc": _iso(world, phase.start_s),
                       "duration_ms": round((phase.end_s - phase.start_s) * 1e3, 4),
                       "hops": phase.detail, "_start": start})
    total_ms = (trip.phases[-1].end_s - trip.submitted_s) * 1e3 if trip.phases else 0.0
    figures = trip.figures
    report = {
        "satellite": world.constellation.names[trip.sat], "prompt": trip.prompt,
        "reply": "".join(text for _, text in trip.pieces),
        "tokens": {"prompt": figures.prompt_tokens if figures else 0,
                   "generated": figures.generated_tokens if figures else 0},
        "phases": [{k: v for k, v in p.items() if k != "_start"} for p in phases],
        "total_ms": round(total_ms, 3), "timing": trip.timing, "error": trip.error,
        "model": trip.model_label,
    }
    if figures is not None:
        report["inference"] = {
            "time_to_first_token_ms": round(figures.time_to_first_token_s * 1e3, 2),
            "tokens_per_s": round(figures.tokens_per_s, 1),
            "measured_s": round(figures.measured_s, 4), "flops": figures.flops,
            "hardware_tops": figures.hardware_tops,
            "hardware_s": figures.hardware_s, "notice": figures.notice,
            "onboard": onboard_report(figures.onboard),
        }
    return report


def onboard_report(estimate) -> dict | None:
    """The roofline estimate as JSON (seconds; bounds "compute" / "memory"), None without a
    hardware profile."""
    if estimate is None:
        return None
    return {"total_s": estimate.total_s, "prefill_s": estimate.prefill_s,
            "decode_s": estimate.decode_s, "prefill_bound": estimate.prefill_bound,
            "decode_bound": estimate.decode_bound, "decode_steps": estimate.decode_steps,
            "peak_tops": estimate.peak_tops,
            "memory_bandwidth_gb_s": estimate.memory_bandwidth_gb_s,
            "efficiency": estimate.efficiency, "weight_dtype": estimate.weight_dtype,
            "summary": estimate.summary()}


def _iso(world, seconds: float) -> str:
    import datetime as dt

    return (world.scenario.epoch + dt.timedelta(seconds=seconds)).isoformat()


def print_trip(report: dict, trip: RoundTrip) -> None:
    """`run.py ask`'s text: the reply (and which weights gave it), each phase with its
    duration and hops, the total, and the inference's times (the same words as the inference
    phase's line, in full)."""
    print(f"{report['satellite']} answers ({report['model']} model):\n"
          f"  {report['reply'] or '(no text)'}\n")
    for phase in report["phases"]:
        print(f"  {phase['name']:<13} {_duration(phase['duration_ms']):>12}   {phase['hops']}")
    print(f"  {'total':<13} {_duration(report['total_ms']):>12}")
    if trip.figures is not None:
        print(f"\ninference: "
              f"{inference_detail(trip.timing, trip.figures, trip.tokens_per_s_fixed, full=True)}")
        if trip.figures.notice:
            print(f"note: {trip.figures.notice}")


def _duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{ms / 60_000:.1f} min"
    if ms >= 1_000:
        return f"{ms / 1_000:.2f} s"
    return f"{ms:.3f} ms"
