#!/usr/bin/env python3
"""Command-line entry of the orbital computing visualizer.

    python run.py                      launch the desktop app on the default scenario
    python run.py scenarios            list the built-in scenarios
    python run.py info|route|export    inspect a scenario headless
    python run.py bench                measure the sim step (and --render / --model)

Thin on purpose: the commands live in `sim/cli.py` (simulation only) and `viz/cli.py` (drawing).
This file is the one place that joins the two layers: it hands viz a factory that builds a
`sim.World`, so viz never imports the simulation's heavy libraries itself.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading

# numpy's OpenBLAS on one thread, set before numpy loads (the sim's child process inherits
# it): on a 2-core machine that also renders, its threads stalled for tenths of a second, and
# the sim's (N,3) x (3,3) rotations run 5 times faster on one BLAS thread than through
# einsum's own loop (2.4 against 11.7 ms at a million rows). torch keeps its own threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from sim import cli as sim_cli  # noqa: E402 (these three after the setting above)
from sim.errors import UserError  # noqa: E402
from sim.runner import SIM_WORKERS  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="AI computing in orbit: a 3D visualizer driven by an embedded simulation.",
    )
    add_app_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim_cli.add_commands(commands)
    from viz import cli as viz_cli

    viz_cli.add_commands(commands, world_factory=sim_cli.world_from_args)
    return parser


def add_app_options(parser: argparse.ArgumentParser) -> None:
    """Options of the desktop app (plain `run.py` with no command); viz/app.py reads them."""
    app = parser.add_argument_group("desktop app (no COMMAND)")
    app.add_argument("--scenario", help="built-in name or scenario/TLE/OMM file "
                                        "(default network-2035)")
    app.add_argument("--at", metavar="ISO_UTC", help="start instant (default: scenario epoch)")
    app.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    app.add_argument("--size", metavar="WxH", help="window size (default 1600x900)")
    app.add_argument("--fullscreen", action="store_true", help="start fullscreen (F11 toggles)")
    app.add_argument("--warp", type=float, help="starting time warp, 1..10000 (default 60)")
    app.add_argument("--model", metavar="NAME",
                     help="onboard model: a repo id pulled with `run.py model pull` "
                          "(e.g. Qwen/Qwen3-0.6B), 'shipped', or a checkpoint folder")
    app.add_argument("--model-dir", dest="model_dir",
                     help="a Qwen3 checkpoint folder for the onboard model "
                          "(default: the shipped byte-level model)")
    app.add_argument("--no-vsync", action="store_true", help="draw as fast as possible")
    app.add_argument("--quality", choices=("high", "fast"), help="rendering quality (default high)")
    app.add_argument("--sim-worker", dest="sim_worker",
                     choices=SIM_WORKERS,
                     help="run the sim in its own process (or thread), the frame drawing the "
                          "latest state moved on to its own time (default auto: a process "
                          "from 20,000 satellites)")
    app.add_argument("--shots-dir", dest="shots_dir",
                     help="folder for F12 screenshots and recordings (default screenshots)")


#: Options whose value may start with '-' (a southern latitude, a layer switched off):
#: argparse would take "-8.8,13.3" for an option and say "expected one argument".
DASH_VALUE_OPTIONS = ("--from", "--to", "--layers")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every `finally` and `except KeyboardInterrupt`
    cleanup runs (temporary files removed, partial recordings finished)."""


def join_dash_values(argv: list[str]) -> list[str]:
    """['--to', '-8.8,13.3'] -> ['--to=-8.8,13.3'] for DASH_VALUE_OPTIONS (a value starting
    with a single '-'); everything else is left as it is."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        following = argv[i + 1] if i + 1 < len(argv) else None
        if (token in DASH_VALUE_OPTIONS and following is not None and following.startswith("-")
                and not following.startswith("--") and len(following) > 1
                and following not in ("-h",)):
            out.append(f"{token}={following}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


@contextlib.contextmanager
def sigterm_as_interrupt():
    """While inside, SIGTERM raises `Terminated` in the main thread (then restored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(join_dash_values(list(sys.argv[1:] if argv is None else argv)))
    handler = getattr(args, "handler", None)
    if getattr(args, "bench", False):
        handler = run_bench
    elif handler is None:
        handler = launch_app
    try:
        with sigterm_as_interrupt():
            return int(handler(args) or 0)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        # One line: what was left behind if the command says (record), else just the fact.
        terminated = isinstance(stop, Terminated)
        print(str(stop) or ("terminated" if terminated else "interrupted"), file=sys.stderr)
        return 143 if terminated else 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")
        return 0


def run_bench(args: argparse.Namespace) -> int:
    """`run.py bench`: the sim step, and with --render / --model the renderer and the model."""
    import json

    report: dict = {}
    if not args.no_sim:
        from sim import bench as sim_bench

        try:
            sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        except ValueError:
            raise UserError(f"--sizes {args.sizes!r}: expected comma-separated integers") from None
        if not sizes or min(sizes) < 1 or args.repeats < 1:
            raise UserError("--sizes and --repeats must be positive")
        from sim.scenario import MAX_SATELLITES

        if max(sizes) > MAX_SATELLITES or args.repeats > 10_000:
            raise UserError(f"--sizes: at most {MAX_SATELLITES:,} satellites, --repeats at "
                            f"most 10,000; got {max(sizes):,} and {args.repeats:,}")
        report["sim"] = sim_bench.run_sim_bench(sizes, args.repeats)
        if not args.json:
            sim_bench.print_sim_bench(report["sim"])
    if args.render:
        from sim.bench import synthetic_world
        from viz import bench as viz_bench

        report["render"] = viz_bench.run_render_bench(synthetic_world, as_json=args.json)
    if args.window:
        from viz.bench_window import run_window_bench

        if not 1.0 <= args.window_seconds <= 3600.0:
            raise UserError(f"--window-seconds {args.window_seconds:g}: expected 1 to 3600")
        names = [s.strip() for s in args.window_scenarios.split(",") if s.strip()]
        if not names:
            raise UserError("--window-scenarios: give at least one scenario")
        from sim.clock import WARP_MAX, WARP_MIN

        if args.window_warp is not None and not WARP_MIN <= args.window_warp <= WARP_MAX:
            raise UserError(f"--window-warp {args.window_warp:g}: expected {WARP_MIN:g} to "
                            f"{WARP_MAX:g}")
        report["window"] = run_window_bench(names, args.sim_worker, args.window_seconds,
                                            as_json=args.json, warp=args.window_warp)
    if args.model or args.model_dir or args.int8:  # the model options imply --model
        from sim.onboard import bench as model_bench

        if args.tokens is not None and not 1 <= args.tokens <= 4096:
            raise UserError(f"--tokens {args.tokens}: expected 1 to 4096")
        report["model"] = model_bench.run_model_bench(
            as_json=args.json, model_dir=args.model_dir, dtype=args.dtype, int8=args.int8,
            new_tokens=args.tokens)
        if args.model_dir is None and not args.int8:  # the vision model beside the shipped one
            report["vision"] = model_bench.run_vision_bench(as_json=args.json)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


def launch_app(args: argparse.Namespace) -> int:
    """Open the desktop window (viz/app.py) on the default scenario."""
    from viz import app

    if args.model is not None:
        # The name is resolved here, on the sim side (huggingface_hub's cache), and the app
        # gets the checkpoint folder as its model_dir, as with --model-dir.
        if args.model_dir is not None:
            raise UserError("--model and --model-dir: give one of them")
        from sim.onboard.hub import resolve_model

        args.model_dir = str(resolve_model(args.model))
        args.model = None  # resolved: scenario switches use the folder (or the picker's)
    return app.main(args, world_factory=sim_cli.world_from_args, model_catalog=model_catalog,
                    scenario_size=sim_cli.scenario_size)


def model_catalog() -> list[tuple[str, str]]:
    """The app's model picker: (label, checkpoint folder) of every usable model, read from
    the Hugging Face cache on the sim side (viz never imports huggingface_hub)."""
    from sim.onboard.hub import picker_choices

    return picker_choices()


if __name__ == "__main__":
    sys.exit(main())
