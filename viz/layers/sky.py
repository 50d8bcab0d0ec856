"""Sky layer: catalogue stars (Hipparcos to magnitude 6, brightness by V magnitude, colour by
B-V) as points at infinity, and the Sun in the direction `snapshot.sun_dir_gcrs`.

Star directions are computed from RA/Dec (ICRS ~ GCRS for drawing) once, at construction.
"""
from __future__ import annotations

import numpy as np

from viz.glutil import ASSETS, set_uniforms
from viz.layers import Layer, additive


def load_stars(path=ASSETS / "catalog" / "stars_mag6.csv") -> np.ndarray:
    """(N,5) float32: unit direction xyz (GCRS), V magnitude, B-V colour index."""
    data = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=(1, 2, 3, 4),
                         filling_values=0.6)
    ra, dec = np.radians(data[:, 0]), np.radians(data[:, 1])
    xyz = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)
    return np.concatenate([xyz, data[:, 2:4]], 1).astype(np.float32)


class SkyLayer(Layer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.star_prog = shaders.program("stars")
        self.sun_prog = shaders.program("sun")
        stars = load_stars()
        vbo = self.own(ctx.buffer(stars))
        self.star_vao = self.own(ctx.vertex_array(
            self.star_prog, [(vbo, "3f 1f 1f", "in_dir", "in_vmag", "in_bv")]))
        self.sun_vao = self.own(ctx.vertex_array(self.sun_prog, []))
        self.sun_dir = np.array([1.0, 0.0, 0.0])
        self.star_scale = 1.0

    def update(self, snapshot, frame) -> None:
        self.sun_dir = np.asarray(snapshot.sun_dir_gcrs, float)

    def draw(self, camera, frame) -> None:
        ctx = self.ctx
        ctx.enable(ctx.BLEND | ctx.PROGRAM_POINT_SIZE)
        ctx.disable(ctx.DEPTH_TEST)
        additive(ctx)
        # Stars scale a little with the output size so 4K frames do not look sparse.
        scale = self.star_scale * max(camera.size[1] / 1080.0, 0.6)
        set_uniforms(self.star_prog, **frame.uniforms, u_size_scale=scale)
        self.star_vao.render(ctx.POINTS)
        set_uniforms(self.sun_prog, **frame.uniforms, u_sun_dir=self.sun_dir,
                     u_size_px=0.55 * camera.size[1])
        self.sun_vao.render(ctx.TRIANGLE_STRIP, vertices=4)
