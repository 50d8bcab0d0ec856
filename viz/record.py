"""Frame-exact video recording of a (scripted) scenario, offscreen through EGL.

    run.py record --scenario S --out demo.mp4 [--size 1920x1080] [--fps 60] [--seconds N]
                  [--png-dir DIR] [--then S2 ...] [--at ISO] [--seed N] [--samples 4]
                  [--crf 18] [--preset veryfast]

Every frame advances the simulation by one step of the sim's clock for 1 / fps wall seconds
(sim/clock.py): warp(t) / fps seconds of scenario time, where warp(t) comes from the
scenario's timeline (sim/script.py; 1 without one), slower during light-time legs where the
script sets a `light_warp`, and never past the start of a round trip's next phase. N seconds
give exactly N x fps frames however slow the machine. Frame k shows the world at video time
k/fps after the timeline entries due by then (frame 0 is the scenario's start); the app plays
a script through the same player and clock. The renderer's
animation clock is the video clock, so the same scenario gives the same frames every time.

Rendering (sim step + GL draw + read-back) runs on this thread; captions, title cards and
encoding run on a writer thread and in ffmpeg's own process (viz/record_sink.py), so the slower
of the two sets the pace. The video is written to a hidden temporary file beside --out and
moved onto it only when complete and verified (ffmpeg exited 0, the file demuxes). Ctrl-C,
SIGTERM or an error after some frames finishes and verifies the frames done and puts them beside
the target as NAME.partial.SUFFIX, leaving an existing --out untouched; before the first frame
nothing is left and nothing is removed.

`--then S2` appends another scripted scenario after the first (a file holds one
constellation, so a story across two constellations is two files played one after the other).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import os
import pathlib
import sys
import time

from sim.errors import UserError
from sim.interface import SimWorld, WorldFactory
from sim.script import ScriptRun
from sim.timeline import Timeline
from viz.record_sink import VIDEO_SUFFIXES

DEFAULT_SCENARIO = "network-2035"
DEFAULT_SECONDS = 10.0  #: length of a scenario without a timeline (or with an empty one)
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow")


def add_command(subparsers, world_factory) -> None:
    """Register `record` (called from viz/cli.py)."""
    p = subparsers.add_parser(
        "record", help="record a (scripted) scenario to an H.264 video, frame-exact, offscreen")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO,
                   help=f"built-in name or scenario file, with or without a [[timeline]] "
                        f"(default {DEFAULT_SCENARIO})")
    p.add_argument("--then", action="append", default=[], metavar="SCENARIO",
                   help="another scenario recorded after it (repeatable)")
    p.add_argument("--out", help="video file to write (.mp4, .mov, .m4v or .mkv)")
    p.add_argument("--png-dir", metavar="DIR", help="write numbered PNGs into DIR (instead of, "
                   "or as well as, --out)")
    p.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT, both even "
                   "(default 1920x1080)")
    p.add_argument("--fps", default="60", help="frames per second of video (default 60)")
    p.add_argument("--seconds", help="length of the video (default: the timelines' lengths, "
                   f"{DEFAULT_SECONDS:g} s for a scenario without one)")
    p.add_argument("--at", metavar="ISO_UTC", help="start instant, e.g. 2035-06-01T12:00:00Z")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument("--model", metavar="NAME",
                   help="onboard model for prompts: a repo id pulled with `run.py model pull`, "
                        "'shipped', or a checkpoint folder (default: the scenario's model)")
    p.add_argument("--samples", type=int, default=4, help="MSAA samples (0 = off; default 4)")
    p.add_argument("--crf", type=int, default=18, help="x264 quality, lower is better "
                   "(0..51, default 18)")
    p.add_argument("--preset", default="veryfast", help="x264 speed preset (default veryfast)")
    p.add_argument("--quality", default="high", choices=("high", "fast"),
                   help="Earth texture: high = 4096 px, fast = 2048 px (default high)")
    p.set_defaults(handler=lambda args: cmd_record(args, world_factory))


# --- settings and checks (all before any rendering) ---------------------------------------------

@dataclasses.dataclass(frozen=True)
class Settings:
    size: tuple[int, int]
    fps: float
    out: pathlib.Path | None = None
    png_dir: pathlib.Path | None = None
    seconds: float | None = None
    samples: int = 4
    crf: int = 18
    preset: str = "veryfast"
    quality: str = "high"


def parse_size(text: str) -> tuple[int, int]:
    from viz.cli import parse_size as parse

    w, h = parse(text)
    if w % 2 or h % 2:
        raise UserError(f"--size: H.264 in yuv420p needs an even width and height, got {text!r} "
                        f"(try {w + w % 2}x{h + h % 2})")
    return w, h


def parse_positive(flag: str, text, unit: str, high: float) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UserError(f"{flag}: expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{flag}: must be positive, got {text}")
    if value > high:
        raise UserError(f"{flag}: at most {high:g} {unit}, got {text}")
    return value


def check_video_path(text: str) -> pathlib.Path:
    """--out: a video file name (VIDEO_SUFFIXES) that can be written (sim/output.py)."""
    from sim.output import check_output_path

    return check_output_path("--out", text, VIDEO_SUFFIXES)


def check_png_dir(text: str) -> pathlib.Path:
    path = pathlib.Path(text).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UserError(f"--png-dir: {text} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise UserError(f"--png-dir: cannot write into {text}: permission denied")
        if any(path.glob("frame_*.png")):
            raise UserError(f"--png-dir: {text} already holds frame_*.png files; give an "
                            "empty or new folder")
        return path
    parent = path.parent
    while not parent.exists():  # mkdir -p: the first existing ancestor must be writable
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"--png-dir: cannot create {text}: {parent} is not writable")
    return path


def settings_from_args(args: argparse.Namespace) -> Settings:
    size = parse_size(args.size)
    fps = parse_positive("--fps", args.fps, "frames per second", 240)
    seconds = None if args.seconds is None else parse_positive("--seconds", args.seconds,
                                                               "seconds", 24 * 3600)
    if args.out is None and args.png_dir is None:
        raise UserError("record: give --out FILE.mp4 (or --png-dir DIR)")
    out = check_video_path(args.out) if args.out is not None else None
    png_dir = check_png_dir(args.png_dir) if args.png_dir is not None else None
    if not 0 <= args.samples <= 16:
        raise UserError(f"--samples: 0..16, got {args.samples}")
    if not 0 <= args.crf <= 51:
        raise UserError(f"--crf: 0..51, got {args.crf}")
    if args.preset not in X264_PRESETS:
        raise UserError(f"--preset: one of {', '.join(X264_PRESETS)}; got {args.preset!r}")
    return Settings(size, fps, out, png_dir, seconds, args.samples, args.crf, args.preset,
                    args.quality)


# --- parts: one world and its timeline each --------------------------------------------------

@dataclasses.dataclass
class Part:
    world: SimWorld
    timeline: Timeline
    title: str
    frames: int = 0


def make_parts(args: argparse.Namespace, world_factory: WorldFactory) -> list[Part]:
    parts = []
    for name in [args.scenario, *args.then]:
        ns = argparse.Namespace(**{**vars(args), "scenario": name})
        # Round trips wait for the onboard model inside each step: deterministic frames.
        world = world_factory(ns, blocking_inference=True)
        parts.append(Part(world, world.timeline(), world.title))
    return parts


def frame_counts(lengths_s: list[float], fps: float, seconds: float | None) -> list[int]:
    """Frames per part: each part's own length, or `seconds` in all (parts played in order,
    cut where the total ends; the last part runs on to fill it)."""
    def whole(value_s: float, what: str) -> int:
        frames = value_s * fps
        if abs(frames - round(frames)) > 1e-6:
            raise UserError(f"{what} {value_s:g} s at {fps:g} fps is {frames:g} frames: "
                            "choose a length that makes a whole number of frames")
        return int(round(frames))

    own = [whole(length or DEFAULT_SECONDS, "scenario length") if seconds is None
           else int(round((length or DEFAULT_SECONDS) * fps)) for length in lengths_s]
    if seconds is None:
        return own
    total = whole(seconds, "--seconds")
    out, left = [], total
    for i, n in enumerate(own):
        n = left if i == len(own) - 1 else min(n, left)
        out.append(n)
        left -= n
    return out


# --- the command --------------------------------------------------------------------------------

def cmd_record(args: argparse.Namespace, world_factory) -> int:
    settings = settings_from_args(args)
    parts = make_parts(args, world_factory)
    counts = frame_counts([p.timeline.length_s for p in parts], settings.fps, settings.seconds)
    for part, n in zip(parts, counts):
        part.frames = n
    try:
        result = record(parts, settings, progress=True)
    finally:
        for part in parts:
            part.world.close()  # the onboard model's worker thread, if a prompt started it
    print(result.summary())
    return 0


@dataclasses.dataclass
class Result:
    settings: Settings
    frames: int
    total: int
    wall_s: float
    gl_renderer: str = ""
    stopped: str = ""  #: "" when complete, else "interrupted" or the error
    #: where the video went: --out when complete, NAME.partial.SUFFIX when stopped, None
    #: when no video was kept
    kept: pathlib.Path | None = None

    def summary(self) -> str:
        s = self.settings
        video = self.kept if self.kept is not None else None
        where = " and ".join(str(p) for p in (video, s.png_dir) if p is not None)
        rate = self.frames / self.wall_s if self.wall_s > 0 else 0.0
        size = ""
        if video is not None and video.exists():
            size = f", {video.stat().st_size / 1e6:.1f} MB"
        what = (f"{self.frames} frames = {self.frames / s.fps:.2f} s at {s.fps:g} fps, "
                f"{s.size[0]}x{s.size[1]}" + (" H.264 yuv420p" if video else "") + size)
        if not self.stopped:
            return (f"wrote {where}: {what}, in {self.wall_s:.1f} s ({rate:.2f} frames/s, "
                    f"{self.gl_renderer})")
        untouched = (f"; {s.out} was not changed" if s.out is not None else "")
        if self.frames == 0 or not where:
            return f"recording {self.stopped} after {self.frames} frames: nothing written" \
                + untouched
        return (f"recording {self.stopped} after {self.frames} of {self.total} frames: "
                f"{where} holds the {what} done and plays{untouched}")


def record(parts: list[Part], settings: Settings, progress: bool = False, on_frame=None,
           ctx=None) -> Result:
    """Render `parts` frame by frame into the sinks. `on_frame(frames_done)` is called after
    each frame is queued (tests use it to interrupt). On KeyboardInterrupt or an error the
    frames done are finished into NAME.partial.SUFFIX (see `_finish_sinks`) and the exception
    goes on up carrying the one-line summary (a bug's own exception: summary on stderr)."""
    from viz.director import DirectedCamera, Director
    from viz.offscreen import OffscreenTarget, create_context
    from viz.record_overlay import OverlayPainter
    from viz.record_sink import FrameWriter, PngSink, VideoSink
    from viz.renderer import Renderer

    total = sum(p.frames for p in parts)
    size, fps = settings.size, settings.fps
    camera = DirectedCamera(size)
    directors = [Director(part.timeline, camera, fps, title=part.title) for part in parts]
    for part, director in zip(parts, directors):  # bad names: one line, before any GL
        director.validate(part.world.snapshot())
    own_ctx = ctx is None
    ctx = ctx or create_context()
    renderer = target = writer = bar = None
    sinks: list = []
    started = time.perf_counter()
    result = Result(settings, 0, total, 0.0, ctx.info.get("GL_RENDERER", ""))
    try:
        renderer = Renderer(ctx, size, quality=settings.quality)
        for part in parts:  # load the onboard model now: a missing one fails before frame 0
            if part.timeline.of_kind("prompt"):
                part.world.load_model()
        target = OffscreenTarget(ctx, size, samples=settings.samples)
        if settings.out is not None:
            sinks.append(VideoSink(settings.out, size, fps, settings.crf, settings.preset,
                                   title=" / ".join(p.title for p in parts)))
        if settings.png_dir is not None:
            sinks.append(PngSink(settings.png_dir))
        writer = FrameWriter(sinks, OverlayPainter(size))
        bar = _progress(total, progress)
        done = 0
        started = time.perf_counter()
        for part, director in zip(parts, directors):
            world = part.world
            script = ScriptRun(world)  # the app's "Play script" plays it the same way
            for k in range(part.frames):
                t = k / fps
                if k:
                    script.frame(1.0 / fps, t=t)
                director.layers_due(t)
                snap = world.snapshot()
                overlays = director.prepare(t, snap)
                camera.move_with(snap)
                renderer.draw(snap, camera, target.fbo,
                              director.frame_context(t, snap, time_s=done / fps))
                writer.put(target.read(), overlays)
                done += 1
                if bar is not None:
                    bar.update(1)
                if on_frame is not None:
                    on_frame(done)
    except BaseException as error:  # noqa: BLE001 - finished below, then raised again
        result.stopped = _stop_reason(error)
        stop = error
    else:
        stop = None
    finally:
        if bar is not None:
            bar.close()
        result.wall_s = time.perf_counter() - started
        for obj in (target, renderer):
            if obj is not None:
                obj.release()
        if own_ctx:
            ctx.release()
    _finish_sinks(writer, sinks, result)
    if stop is not None:
        raise _with_summary(stop, result)
    if result.stopped:  # the writer failed while closing
        raise UserError(result.summary())
    return result


def _stop_reason(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "terminated" if type(error).__name__ == "Terminated" else "interrupted"
    if isinstance(error, UserError):
        return f"failed ({error})"
    return f"failed ({type(error).__name__}: {error})"


def _finish_sinks(writer, sinks: list, result: "Result") -> None:
    """Finish the video. Complete: onto --out. Stopped after some frames: verified and put
    beside it as NAME.partial.SUFFIX, --out untouched. Stopped before the first frame: the
    temporary file is removed and nothing is left. (Also after a second Ctrl-C.)"""
    if writer is None:  # failed while the sinks were being made
        for sink in sinks:
            sink.discard()
        return
    try:
        writer.close(partial=bool(result.stopped))
    except Exception as error:  # noqa: BLE001
        if not result.stopped:
            result.stopped = _stop_reason(error)
        result.kept = None
    except BaseException:  # a second Ctrl-C while finishing: leave no temporary file
        writer.discard()
        raise
    else:
        from viz.record_sink import VideoSink

        result.kept = next((s.final_path for s in sinks if isinstance(s, VideoSink)), None)
    result.frames = writer.written


def _with_summary(stop: BaseException, result: "Result") -> BaseException:
    """The exception to raise after a stopped recording, carrying the one-line summary
    (run.py prints it): Ctrl-C / SIGTERM and UserErrors become one line; anything else (a
    bug) keeps its traceback, with the summary printed first."""
    if isinstance(stop, KeyboardInterrupt):
        again = type(stop)(result.summary())
        again.__cause__ = None
        return again
    if isinstance(stop, UserError):
        return UserError(result.summary())
    print(result.summary(), file=sys.stderr)
    return stop


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    # disable=None: shown on a terminal, silent in logs and pipes.
    return tqdm(total=total, unit="frame", desc="recording", disable=None, dynamic_ncols=True,
                smoothing=0.1)
