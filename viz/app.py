"""The desktop app: `python run.py` opens a window on a scenario, with the control panel and
click-to-ask round trips (window and loop in viz/ui/window.py, panel in viz/ui/panel.py).

    main(args, world_factory) -> exit code

`world_factory(args, **options)` (run.py's) builds the sim.World from args.scenario, args.at
and args.seed, so viz never imports the simulation's heavy libraries.

Options are read from `args` when run.py defines the flags, otherwise from the environment
(the same names upper-cased with an ORBITVIZ_ prefix), then defaults:

    scenario     built-in name or file                         (network-2035)
    at           ISO UTC start instant                          (scenario epoch)
    size         window size WIDTHxHEIGHT                       (1600x900)
    fullscreen   start fullscreen                               (off)
    warp         starting warp, 1..10,000                       (60)
    model_dir    onboard model folder                           (assets/model)
                 (run.py turns `--model NAME`, a repo id pulled with `run.py model pull`,
                 into this folder on the sim side: viz never touches the model cache)
    no_vsync     turn vsync off                                 (off)
    quality      Earth texture: high | fast                     (high)
    sim_worker   where the sim steps: auto | process | thread | off
                 (auto: its own process from 20,000 satellites, else with the frame)
    shots_dir    where screenshots and recordings go            (screenshots)
    test_state   JSON status file for tests driving the window  (none)
"""
from __future__ import annotations

import argparse
import os
import sys

from sim.errors import UserError

DEFAULTS = {"scenario": "network-2035", "at": None, "seed": None, "size": "1600x900",
            "fullscreen": False, "warp": 60.0, "model_dir": None, "no_vsync": False,
            "quality": "high", "shots_dir": "screenshots", "test_state": None,
            "sim_worker": "auto"}


def option(args, name: str):
    """`args.name` if run.py defines it (and it was given), else $ORBITVIZ_NAME, else default."""
    value = vars(args).get(name)
    if value is None or value is False:
        env = os.environ.get(f"ORBITVIZ_{name.upper()}")
        if env is not None:
            value = env.lower() in ("1", "true", "yes", "on") if isinstance(
                DEFAULTS[name], bool) else env
    return DEFAULTS[name] if value is None else value


def parse_options(args) -> dict:
    """Every option, checked; bad values raise UserError naming the option."""
    from viz.cli import parse_size

    opts = {name: option(args, name) for name in DEFAULTS}
    opts["size"] = parse_size(str(opts["size"]))
    try:
        opts["warp"] = float(opts["warp"])
    except ValueError:
        raise UserError(f"warp: expected a number 1..10000, got {opts['warp']!r}") from None
    if not 1.0 <= opts["warp"] <= 10000.0:
        raise UserError(f"warp: must be 1..10000, got {opts['warp']:g}")
    if opts["quality"] not in ("high", "fast"):
        raise UserError(f"quality: expected high or fast, got {opts['quality']!r}")
    if opts["model_dir"] is not None and not os.path.isdir(str(opts["model_dir"])):
        raise UserError(f"model dir {opts['model_dir']}: no such folder")
    return opts


def main(args: argparse.Namespace | None, world_factory, model_catalog=None,
         scenario_size=None) -> int:
    """Open the window and run until it is closed. Returns the process exit code.
    `model_catalog()`: [(label, checkpoint folder)] for the Ask window's model picker;
    `scenario_size(args)`: satellites in args.scenario (where the sim runs follows it)."""
    args = args if args is not None else argparse.Namespace()
    opts = parse_options(args)
    # The model worker and llvmpipe share the CPU: one torch thread leaves the window a core
    # (measured on 2 cores: frames during inference went from ~4x to ~1.5x the median).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # The tiny onboard model holds the GIL for most of its Python-heavy token loop; every GL
    # or X call of the frame releases the GIL and then waits up to the switch interval to get
    # it back. 1 ms instead of 5 (with the model thread niced, viz/ui/session.py) took frames
    # during inference from ~1.5x to ~1.3x the median, the longest from ~2.2x to ~1.9x.
    sys.setswitchinterval(0.001)
    world_args = argparse.Namespace(**{**vars(args), "scenario": opts["scenario"],
                                       "at": opts["at"], "seed": opts["seed"]})
    from viz.ui.session import Session

    session = Session(world_args, world_factory, model_dir=opts["model_dir"],
                      warp=opts["warp"], model_catalog=model_catalog,
                      sim_worker=opts["sim_worker"], scenario_size=scenario_size)
    # (a bad scenario raises UserError above: run.py prints it)
    try:
        session.import_model_runtime()
        app = open_window(session, opts)
        if app is None:
            return 1
        import signal

        # SIGTERM (a test, a session manager) ends the loop like closing the window, so a
        # recording in progress is finished and playable rather than cut off.
        previous = signal.signal(signal.SIGTERM, lambda *_: setattr(app.window, "has_exit", True))
        try:
            app.run()
        finally:
            app.close()
            signal.signal(signal.SIGTERM, previous)
    finally:
        session.close()
    return 0


def open_window(session, opts):
    """The AppWindow, or None (with a message on stderr) when no OpenGL 3.3 window opens."""
    try:
        import pyglet

        pyglet.options["debug_gl"] = False  # per-call glGetError costs frames on llvmpipe
        from viz.ui.window import AppWindow

        return AppWindow(session, size=opts["size"], fullscreen=bool(opts["fullscreen"]),
                         quality=opts["quality"], vsync=not opts["no_vsync"],
                         state_path=opts["test_state"], shots_dir=opts["shots_dir"])
    except Exception as error:  # no display, no GL 3.3, a driver refusing the config
        text = f"{type(error).__name__}: {error}"
        print("error: the desktop window could not open with OpenGL 3.3 "
              f"({text.strip()}).\n  Check that a display is available (DISPLAY is "
              f"{os.environ.get('DISPLAY') or 'not set'}) and that the graphics driver offers "
              "OpenGL 3.3 core (Mesa llvmpipe does). Headless, use `run.py shot` or "
              "`run.py record`.", file=sys.stderr)
        return None
