"""The base of the layers that rebuild a few thousand vertices in numpy every frame and draw
them as glowing ribbons (segments with a packet and its trail, shaders/trip.*) and sprites
(shaders/sprites.*): the round trips and the training jobs."""
from __future__ import annotations

import numpy as np

from viz.glutil import DynamicMesh, set_uniforms
from viz.layers import Layer, additive, depth_write


class RibbonSpriteLayer(Layer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.ribbon_prog = shaders.program("trip")
        self.sprite_prog = shaders.program("sprites")
        self.ribbons = DynamicMesh(ctx, self.ribbon_prog, "3f 4f 1f 1f 1f 1f", "in_pos",
                                   "in_colour", "in_s", "in_progress", "in_width", "in_offset")
        self.sprites = DynamicMesh(ctx, self.sprite_prog, "3f 4f 1f 1f", "in_pos", "in_colour",
                                   "in_size", "in_shape")

    def draw_vertices(self, ribbons: np.ndarray, sprites: np.ndarray, frame,
                      trail: float) -> None:
        """Upload and draw: ribbons as depth-tested additive lines with packets whose trails
        are `trail` of a segment long, then sprites (which hide themselves behind the
        Earth)."""
        self.ribbons.write(ribbons)
        self.sprites.write(sprites)
        ctx = self.ctx
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST | ctx.PROGRAM_POINT_SIZE)
        depth_write(ctx, False)
        additive(ctx)
        if len(ribbons):
            set_uniforms(self.ribbon_prog, **frame.uniforms, u_trail=trail)
            self.ribbons.render(ctx.LINES)
        if len(sprites):
            set_uniforms(self.sprite_prog, **frame.uniforms)
            ctx.disable(ctx.DEPTH_TEST)   # sprites.vert hides what the Earth covers
            self.sprites.render(ctx.POINTS)

    def release(self) -> None:
        for mesh in (self.ribbons, self.sprites):
            mesh.release()
        super().release()
