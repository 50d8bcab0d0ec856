"""The renderer's command-line commands (registered by run.py next to the sim's):

    run.py shot [--scenario NAME|FILE] [--at ISO_UTC] [--seed N] [--size 1920x1080]
                [--camera default|asia|polar|close] [--select SAT] [--advance SECONDS]
                [--samples 4] [--no-caption] [--ask PROMPT] [--demo-trip PHASE]
                [--trip-phase PHASE] [--trip-progress F] [--layers borders,-stars,...]
                [--capture SAT [--capture-progress F]] --out file.png

`shot` renders one frame offscreen through EGL: no window, no display, no pyglet or imgui.
The World comes from `world_factory(args)` (given by run.py), so this module imports none of
the simulation's heavy libraries.
"""
from __future__ import annotations

import argparse
import dataclasses

from sim.errors import UserError
from sim.interface import SimWorld, train_and_deploy

DEFAULT_SCENARIO = "network-2035"
#: The last part of an advance is stepped finely (s), so traffic builds up as it would live.
FINE_ADVANCE_S = 60.0


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' -> (1920, 1080); UserError naming --size otherwise."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--size: expected WIDTHxHEIGHT such as 1920x1080, got {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise UserError(f"--size: each side must be 16..8192 pixels, got {text!r}")
    return w, h


def add_commands(subparsers, world_factory) -> None:
    from sim.layers import LayerSettings
    from viz.presets import PRESETS

    p = subparsers.add_parser("shot", help="render one frame offscreen to a PNG (no window)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO,
                   help=f"built-in name or scenario/TLE/OMM file (default {DEFAULT_SCENARIO})")
    p.add_argument("--at", metavar="ISO_UTC", help="instant, e.g. 2035-06-01T12:00:00Z")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT in pixels (default 1920x1080)")
    p.add_argument("--camera", default="default", metavar="NAME",
                   help=f"view: {', '.join(PRESETS)} (default: default)")
    p.add_argument("--select", metavar="SAT", help="select a satellite (index or name) first")
    p.add_argument("--advance", type=float, default=0.0, metavar="SECONDS",
                   help="run the sim this many seconds before the shot (traffic builds up)")
    p.add_argument("--samples", type=int, default=4, help="MSAA samples (0 = off; default 4)")
    p.add_argument("--no-caption", action="store_true", help="leave out the caption")
    p.add_argument("--layers", default="", metavar="LIST",
                   help="comma-separated layers to switch on, or off with a leading '-' "
                        "(e.g. borders,all_planes,-stations); names: "
                        + ", ".join(LayerSettings.names()))
    p.add_argument("--ask", metavar="PROMPT",
                   help="send PROMPT to the selected satellite (--select) with the sim's own "
                        "round trip and the onboard model, then shoot at --trip-phase")
    p.add_argument("--trip-phase", default="hops_up", metavar="PHASE",
                   help="with --ask: the phase to shoot in (default hops_up)")
    p.add_argument("--demo-trip", metavar="PHASE",
                   help="draw a made-up round trip to the selected satellite in this phase "
                        "(uplink, hops_up, inference, hops_down, ...) routed over the "
                        "snapshot's own links: for demo shots")
    p.add_argument("--trip-progress", type=float, default=0.55, metavar="F",
                   help="with --ask: how far through --trip-phase; with --demo-trip: the "
                        "packet's position along the leg; 0..1 (default 0.55)")
    p.add_argument("--deploy", type=float, metavar="F",
                   help="train one real step, deploy its checkpoint to the inference "
                        "satellites and shoot F (0..1) of the way through the transfers")
    p.add_argument("--capture", metavar="SAT",
                   help="the satellite (index or name; one with an imaging payload) images "
                        "the ground below it; the shot shows its footprint as the model "
                        "decides (see --capture-progress)")
    p.add_argument("--capture-progress", type=float, metavar="F",
                   help="with --capture: run the sim until the result is on the ground and "
                        "shoot its packet F (0..1) of the way down")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.set_defaults(handler=lambda args: cmd_shot(args, world_factory))

    from viz import record  # `run.py record`: viz/record.py

    record.add_command(subparsers, world_factory)


def caption_lines(snap, title: str) -> list[str]:
    """Caption for a shot: scenario and counts, then the UTC instant."""
    busy = snap.totals.get("requests_active")
    counts = f"{snap.n_sats:,} satellites · {snap.n_links:,} laser links"
    if busy:
        counts += f" · {int(busy):,} requests in flight"
    return [title, counts, snap.time_utc.strftime("%Y-%m-%d %H:%M:%S UTC")]


def advance(world: SimWorld, seconds: float, step_s: float = 1.0,
            fine_s: float = FINE_ADVANCE_S):
    """Step the world forward `seconds` of sim time: one big step to `fine_s` before the end
    (SGP4 directly: as fast for a year as for a minute), then steps of at most `step_s` for
    the rest (about what the live loop takes at a brisk warp: the traffic it samples per step
    then fills the sky as it would in the app)."""
    from sim.commands import Advance

    snap = world.snapshot()
    start, left = snap.time_utc, float(seconds)
    try:
        if left > fine_s + step_s:
            snap = world.apply(Advance(left - fine_s))
            left = fine_s
        while left > 1e-9:
            dt = min(step_s, left)
            snap = world.apply(Advance(dt))
            left -= dt
    except UserError as error:  # e.g. past the end of the ephemeris
        raise UserError(f"--advance {seconds:g} s from {start:%Y-%m-%d %H:%M}: "
                        f"{str(error).removeprefix('advance: ')}") from None
    return snap


def ask_and_wait(world: SimWorld, sat: int, prompt: str, phase: str, progress: float):
    """Send `prompt` to satellite `sat` (the sim's Ask, fixed generation rate so the shot is
    reproducible), schedule its whole round trip at once (the onboard model runs now), then
    step the world to `progress` (0..1) through the trip's first `phase`. The snapshot's
    round_trips then hold the sim's own view of it."""
    from sim.commands import Ask

    world.apply(Ask(str(sat), prompt, timing="fixed"))
    trip = world.finish_round_trips().round_trips[-1]
    if trip.error:
        raise UserError(f"--ask: the round trip failed: {trip.error}")
    names = [p.name for p in trip.plan]
    if phase not in names:
        raise UserError(f"--trip-phase: this trip has no {phase!r} phase; it has "
                        f"{', '.join(dict.fromkeys(names))}")
    p = trip.plan[names.index(phase)]
    now = world.snapshot().time_utc
    when_s = (p.start_utc - now).total_seconds() + min(max(progress, 0.0), 1.0) * p.duration_s
    return advance(world, max(when_s, 0.0))


def with_demo_trip(snap, phase: str, progress: float):
    """`snap` with a synthetic round trip to its selected satellite (or satellite 0)."""
    import dataclasses

    from sim.snapshot import ROUND_TRIP_PHASES
    from viz.synthetic import demo_round_trip

    if phase not in ROUND_TRIP_PHASES:
        raise UserError(f"--demo-trip: unknown phase {phase!r}; choose one of "
                        f"{', '.join(ROUND_TRIP_PHASES)}")
    target = int(snap.selected) if 0 <= snap.selected < snap.n_sats else 0
    trip = demo_round_trip(snap, target, phase, float(min(max(progress, 0.0), 1.0)))
    return dataclasses.replace(snap, round_trips=(trip,))


def parse_layers(text: str):
    """'borders,-stars' -> sim.layers.LayerSettings with borders on and stars off; UserError
    on a bad name (naming --layers and the valid names)."""
    from sim.layers import LayerSettings

    return LayerSettings().parse(text, "--layers")


def _prepare(world, args):
    """Select, advance, send a prompt or add a demo trip: (snapshot to shoot, title)."""
    index = -1
    if args.select is not None:
        from sim.commands import Select

        index = world.find_satellite(args.select)
        world.apply(Select(index))
    snap = advance(world, args.advance)
    if args.ask:
        if index < 0:
            raise UserError("--ask: choose the target satellite with --select")
        snap = ask_and_wait(world, index, args.ask, args.trip_phase, args.trip_progress)
    if args.demo_trip:
        snap = with_demo_trip(snap, args.demo_trip, args.trip_progress)
    if args.deploy is not None:
        snap = train_and_deploy(world, 1, args.deploy)
    if args.capture is not None:
        snap = capture_and_wait(world, args.capture, args.capture_progress is not None)
    return snap, world.title


def capture_and_wait(world: SimWorld, sat: str, down: bool):
    """Capture with satellite `sat` now (the model decides at once: the shot's World blocks
    on it) and, with `down`, step the world until the result is on the ground."""
    from sim.commands import Capture

    try:
        snap = world.apply(Capture(str(sat)))
    except UserError as error:
        raise UserError(f"--capture: {error}") from None
    capture = snap.observation.captures[-1]
    if capture.state == "failed":
        raise UserError(f"--capture: {capture.error or 'the capture failed'}")
    if down and capture.state != "downlinked":
        if capture.on_ground_utc is None:
            raise UserError("--capture-progress: the result has no way down yet")
        wait_s = (capture.on_ground_utc - snap.time_utc).total_seconds()
        snap = advance(world, wait_s + 1e-3, fine_s=min(FINE_ADVANCE_S, wait_s + 1e-3))
    return snap


def capture_frames(args) -> tuple[float, ...]:
    """Animation times (s) to draw a --capture shot at: the first frame starts the layer's
    clock on the capture, the last is shot (the scan bar half way across the footprint, or
    after the scan and the decision, the result's packet --capture-progress of the way
    down)."""
    from viz.layers.observation import DECIDE_S, DOWN_S, SCAN_S

    if args.capture is None:
        return (0.0,)
    if args.capture_progress is None:
        return 0.0, 0.55 * SCAN_S
    return 0.0, SCAN_S + DECIDE_S + args.capture_progress * DOWN_S


def with_training_card(image, snap):
    """`image` with the training card of the scenario's first job over it, as a recording
    draws it (layer training_card; recordings only, so `shot` draws it only when asked)."""
    from viz.director import Overlay
    from viz.record_overlay import OverlayPainter
    from viz.training_card import training_card

    card = training_card(snap)
    image = image.copy() if not image.flags.writeable else image
    painter = OverlayPainter((image.shape[1], image.shape[0]))
    return painter.compose(image, [Overlay("training", "", "", "top-right", 1.0, card)])


def check_advance(seconds: float) -> float:
    """--advance: a finite number of seconds, 0..MAX_ADVANCE_S (sim.commands)."""
    from sim.commands import MAX_ADVANCE_S

    if not 0 <= seconds <= MAX_ADVANCE_S:  # also refuses nan and inf
        raise UserError(f"--advance: expected 0..{MAX_ADVANCE_S:,.0f} seconds (one year), "
                        f"got {seconds:g}")
    return seconds


def cmd_shot(args: argparse.Namespace, world_factory) -> int:
    from viz.camera import OrbitCamera
    from viz.frame import FrameContext
    from viz.offscreen import create_context, render_image, save_png
    from viz.presets import apply_preset

    from sim.output import check_output_path

    size = parse_size(args.size)
    layers = parse_layers(args.layers)
    check_advance(args.advance)
    if args.deploy is not None and not 0 <= args.deploy <= 1:  # also refuses nan
        raise UserError(f"--deploy: expected a fraction 0..1, got {args.deploy:g}")
    if args.capture_progress is not None:
        if args.capture is None:
            raise UserError("--capture-progress: give the capturing satellite with --capture")
        if not 0 <= args.capture_progress <= 1:
            raise UserError(f"--capture-progress: expected a fraction 0..1, got "
                            f"{args.capture_progress:g}")
    out = check_output_path("--out", args.out, (".png",))  # before the World and the render
    # a capture's model and route search run inside the step (the frame shows them done)
    world = world_factory(args, **({"blocking_inference": True} if args.capture else {}))
    try:
        if layers.training_card and not world.snapshot().training:
            raise UserError("--layers training_card: this scenario has no [[training]] job")
        snap, title = _prepare(world, args)
    finally:
        world.close()  # stops the onboard model's worker thread
    camera = apply_preset(OrbitCamera(size), args.camera, snap)
    if args.no_caption:
        layers = layers.with_toggles({"hud": False})
    frame = FrameContext(layers=layers, caption=caption_lines(snap, title))
    ctx = create_context()  # ours, for its GL_RENDERER in the message
    try:
        from viz.renderer import Renderer

        renderer = Renderer(ctx, size)
        try:
            for time_s in capture_frames(args):  # the last one is kept
                image = render_image(snap, camera, size, samples=args.samples, ctx=ctx,
                                     frame=dataclasses.replace(frame, time_s=time_s),
                                     renderer=renderer)
        finally:
            renderer.release()
        renderer_name = ctx.info["GL_RENDERER"]
    finally:
        ctx.release()
    if layers.training_card:
        image = with_training_card(image, snap)
    save_png(image, out)
    print(f"wrote {out} ({size[0]}x{size[1]}, {snap.n_sats:,} satellites, camera "
          f"{args.camera}, {renderer_name})")
    return 0
