"""Offscreen rendering through EGL (no window, no display): context, framebuffer, read-back.

    ctx = create_context()
    target = OffscreenTarget(ctx, (1920, 1080), samples=4)
    camera.move_with(snapshot)
    renderer.draw(snapshot, camera, target.fbo, FrameContext(time_s=0.0))
    image = target.read()          # (H, W, 3) uint8, top row first
    save_png(image, "out.png")

Imports no pyglet or imgui: safe for headless paths (shot, bench, tests, recording).
"""
from __future__ import annotations

import pathlib

import numpy as np


def create_context(require: int = 330):
    """A standalone EGL context (works with or without DISPLAY)."""
    import moderngl

    return moderngl.create_context(standalone=True, backend="egl", require=require)


class OffscreenTarget:
    """Colour + depth framebuffer of `size` pixels; with samples > 1 it renders multisampled
    and resolves into a plain framebuffer for reading."""

    def __init__(self, ctx, size: tuple[int, int], samples: int = 0):
        self.ctx = ctx
        self.size = (int(size[0]), int(size[1]))
        samples = min(samples, ctx.max_samples) if samples > 1 else 0
        self.samples = samples
        self._colour = ctx.renderbuffer(self.size, 4, samples=samples)
        self._depth = ctx.depth_renderbuffer(self.size, samples=samples)
        self.fbo = ctx.framebuffer([self._colour], self._depth)
        if samples:
            self._resolved_rb = ctx.renderbuffer(self.size, 4)
            self._resolved = ctx.framebuffer([self._resolved_rb])
        else:
            self._resolved_rb = self._resolved = None

    def read(self) -> np.ndarray:
        """The frame as (H, W, 3) uint8 with the top row first (image convention)."""
        src = self.fbo
        if self._resolved is not None:
            self.ctx.copy_framebuffer(self._resolved, self.fbo)
            src = self._resolved
        data = src.read(components=3, alignment=1)
        img = np.frombuffer(data, np.uint8).reshape(self.size[1], self.size[0], 3)
        return img[::-1].copy()

    def release(self) -> None:
        for obj in (self.fbo, self._colour, self._depth, self._resolved, self._resolved_rb):
            if obj is not None:
                obj.release()


def save_png(image: np.ndarray, path) -> pathlib.Path:
    """Write `image` (H, W, 3) uint8 as a PNG at `path` (its folder is made if missing):
    into a hidden temporary file beside it, re-opened and fully decoded with Pillow, then
    renamed (sim/output.py). A full disk or any other failure leaves no file and an earlier
    one at `path` untouched; it raises sim.output.OutputError, both a UserError (one line
    on the command line) and an OSError (what the app's F12 handler catches)."""
    from PIL import Image

    from sim.output import atomic_output

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, verify=lambda temp: _check_png(temp, image.shape)) as temp:
        Image.fromarray(image).save(temp, format="PNG")
    return path


def _check_png(path: pathlib.Path, shape: tuple) -> None:
    """The PNG at `path` decodes completely to an image of `shape` (H, W, ...)."""
    from PIL import Image

    from sim.errors import UserError

    try:
        with Image.open(path) as png:
            png.load()  # decodes every row: a truncated file fails here
            size = png.size
    except (OSError, SyntaxError) as error:
        raise UserError(f"the PNG written does not decode: {error}") from None
    if size != (shape[1], shape[0]):
        raise UserError(f"the PNG written is {size[0]}x{size[1]}, expected "
                        f"{shape[1]}x{shape[0]}")


def render_image(snapshot, camera, size=None, samples: int = 4, quality: str = "high",
                 frame=None, ctx=None, renderer=None) -> np.ndarray:
    """One frame of `snapshot` as an RGB image; makes (and frees) what it is not given.
    `frame`: a viz.frame.FrameContext (default: animation time 0, default layers, no
    caption). Moves `camera` with the snapshot (following, Earth-fixed frame) first."""
    from viz.renderer import Renderer

    size = tuple(size or camera.size)
    camera.resize(size)
    own_ctx = ctx is None
    ctx = ctx or create_context()
    own_renderer = renderer is None
    renderer = renderer or Renderer(ctx, size, quality=quality)
    target = OffscreenTarget(ctx, size, samples=samples)
    try:
        camera.move_with(snapshot)
        renderer.draw(snapshot, camera, target.fbo, frame)
        return target.read()
    finally:
        target.release()
        if own_renderer:
            renderer.release()
        if own_ctx:
            ctx.release()
