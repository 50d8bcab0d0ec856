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
from .roundtrip import TIMINGS, RoundTrip, short_duration


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
    p.add_argument("--max-tokens", type=int, default=64, help="longest reply, tokens")
    p.add_argument("--timing", choices=TIMINGS, default="measured",
                   help="inference phase length: as measured here, as estimated on the "
                        "satellite's hardware profile (roofline), or at --tokens-per-s")
    p.add_argument("--tokens-per-s", type=float, default=40.0,
                   help="generation rate for --timing fixed")
    p.add_argument("--deploy-steps", type=int, metavar="N",
                   help="first train N real data-parallel steps (2 replicas), deploy the "
                        "checkpoint to the inference satellites and wait until it has arrived")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_ask)


def cmd_ask(args) -> int:
    from .cli import world_from_args

    if args.model_dir is not None and not args.model_dir.is_dir():
        raise UserError(f"--model-dir {args.model_dir}: no such folder")
    if not 0 < args.tokens_per_s <= 1e6:  # also refuses nan and inf
        raise UserError(f"--tokens-per-s: expected a number in (0, 1000000], "
                        f"got {args.tokens_per_s:g}")
    if not 1 <= args.max_tokens <= 2048:  # before the World is built
        raise UserError(f"--max-tokens: expected 1..2048, got {args.max_tokens}")
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
        print_trip(report)
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


def print_trip(report: dict) -> None:
    print(f"{report['satellite']} answers ({report['model']} model):\n"
          f"  {report['reply'] or '(no text)'}\n")
    for phase in report["phases"]:
        print(f"  {phase['name']:<13} {_duration(phase['duration_ms']):>12}   {phase['hops']}")
    print(f"  {'total':<13} {_duration(report['total_ms']):>12}")
    inference = report.get("inference")
    if inference:
        onboard = inference["onboard"]
        hardware = inference["hardware_s"]
        if onboard is not None:
            stated = (f"; on board {short_duration(onboard['total_s'])} (prefill "
                      f"{short_duration(onboard['prefill_s'])}, decode "
                      f"{short_duration(onboard['decode_s'])}: {onboard['summary']})")
        elif hardware is not None:
            stated = (f"; no hardware profile: the satellite's stated "
                      f"{inference['hardware_tops']:,.0f} TOPS would need "
                      f"{short_duration(hardware)} for the same {inference['flops']:.3g} FLOPs")
        else:
            stated = "; no hardware profile: no on-board estimate"
        print(f"\ninference: measured here {short_duration(inference['measured_s'])} (first "
              f"token {inference['time_to_first_token_ms']:.1f} ms, "
              f"{inference['tokens_per_s']:.0f} tokens/s){stated}. "
              f"The timeline uses the {report['timing']} time.")
        if inference["notice"]:
            print(f"note: {inference['notice']}")


def _duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{ms / 60_000:.1f} min"
    if ms >= 1_000:
        return f"{ms / 1_000:.2f} s"
    return f"{ms:.3f} ms"
