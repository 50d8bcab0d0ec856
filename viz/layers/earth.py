"""Earth layer: textured, sun-lit globe (day, city lights, glint, rim) and the atmosphere halo.

The globe mesh is in the Earth-fixed frame (ITRS); `snapshot.itrs_to_gcrs` turns it into the
scene frame (GCRS) each time the `earth` version changes. Sun direction: GCRS unit vector.
"""
from __future__ import annotations

import numpy as np

from viz.camera import EARTH_RADIUS_KM
from viz.glutil import load_texture, set_uniforms, uv_sphere
from viz.layers import Layer, additive

ATMOSPHERE_KM = 260.0  #: visual thickness of the halo shell above the surface (not physical)


class EarthLayer(Layer):
    def __init__(self, ctx, shaders, texture_width: int = 4096, lights: str = "marble"):
        super().__init__(ctx, shaders)
        self.prog = shaders.program("earth")
        self.atmo_prog = shaders.program("atmosphere")
        verts, idx = uv_sphere(192, 96)
        vbo = self.own(ctx.buffer(verts))
        ibo = self.own(ctx.buffer(idx))
        self.vao = self.own(ctx.vertex_array(self.prog, [(vbo, "3f 2f", "in_normal", "in_uv")], ibo))
        sv, si = uv_sphere(96, 48)
        avbo, aibo = self.own(ctx.buffer(sv)), self.own(ctx.buffer(si))
        self.atmo_vao = self.own(ctx.vertex_array(self.atmo_prog, [(avbo, "3f 2x4", "in_normal")], aibo))
        day = "textures/earth_day_4096.jpg" if texture_width > 2048 else "textures/earth_day_2048.jpg"
        self.day = self.own(load_texture(ctx, day, texture_width))
        self.night = self.own(load_texture(ctx, f"textures/earth_night_{lights}_2048.jpg"))
        self.water = self.own(load_texture(ctx, "textures/earth_water_2048.png"))
        self.itrs_to_gcrs = np.eye(3)
        self.sun_dir = np.array([1.0, 0.0, 0.0])
        self.lights_gain = 1.6

    def update(self, snapshot) -> None:
        # Four numbers: cheaper to copy every frame than to track.
        self.itrs_to_gcrs = np.asarray(snapshot.itrs_to_gcrs, float)
        self.sun_dir = np.asarray(snapshot.sun_dir_gcrs, float)

    def draw(self, camera) -> None:
        ctx = self.ctx
        self.day.use(2)
        self.night.use(3)
        self.water.use(4)
        set_uniforms(self.prog, **self.frame, u_itrs_to_gcrs=self.itrs_to_gcrs,
                     u_sun_dir=self.sun_dir, u_day=2, u_night=3, u_water=4,
                     u_lights_gain=self.lights_gain)
        ctx.disable(ctx.BLEND)
        ctx.enable(ctx.DEPTH_TEST | ctx.CULL_FACE)
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        ctx.depth_mask = True
        self.vao.render()

    def draw_atmosphere(self, camera) -> None:
        """Additive halo; drawn after the opaque globe so the globe's depth clips its far side."""
        ctx = self.ctx
        radius = EARTH_RADIUS_KM + ATMOSPHERE_KM
        set_uniforms(self.atmo_prog, **self.frame, u_radius=radius, u_sun_dir=self.sun_dir,
                     u_scale_height=ATMOSPHERE_KM / 4.0)
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST | ctx.CULL_FACE)
        additive(ctx)
        ctx.depth_mask = False
        # From inside the shell only its back faces are in view.
        inside = np.linalg.norm(camera.eye()) < radius
        ctx.cull_face = "front" if inside else "back"
        self.atmo_vao.render()
        ctx.cull_face = "back"
        ctx.disable(ctx.CULL_FACE)
