"""Draw layers. Each has `__init__(ctx, shaders, ...)`, `update(snapshot, frame)`,
`draw(camera, frame)` and `release()`; `update` uploads only what the snapshot's versions say
changed, `draw` sets uniforms and issues draw calls (no numpy over all satellites). `frame` is
the viz.frame.FrameContext of the frame being drawn: uniforms, layer settings, pixel scale,
hover."""
from __future__ import annotations


def additive(ctx) -> None:
    """Premultiplied additive blending: lights add up, black adds nothing."""
    ctx.blend_func = ctx.ONE, ctx.ONE


def depth_write(ctx, on: bool) -> None:
    """Turn depth writes on or off for the framebuffer being drawn into. moderngl 5.x keeps
    the depth mask on the framebuffer (`Framebuffer.depth_mask`); setting `ctx.depth_mask`,
    which does not exist, silently did nothing, and the lines drawn after the Earth hid
    the satellite markers behind them."""
    ctx.fbo.depth_mask = bool(on)


def alpha_blend(ctx) -> None:
    ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA


class Layer:
    """Base: keeps the GL objects to release and the per-frame uniforms."""

    def __init__(self, ctx, shaders):
        self.ctx = ctx
        self.shaders = shaders
        self._owned: list = []

    def own(self, obj):
        self._owned.append(obj)
        return obj

    def update(self, snapshot, frame) -> None:
        pass

    def draw(self, camera, frame) -> None:
        pass

    def release(self) -> None:
        for obj in reversed(self._owned):
            obj.release()
        self._owned.clear()
