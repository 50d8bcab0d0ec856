"""Earth layer: textured, sun-lit globe (day, city lights, glint, rim) and the atmosphere halo.

The globe mesh is in the Earth-fixed frame (ITRS); `snapshot.itrs_to_gcrs` turns it into the
scene frame (GCRS) each time the `earth` version changes. Sun direction: GCRS unit vector.
"""
from __future__ import annotations

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.glutil import load_texture, set_uniforms, uv_sphere
from viz.layers import Layer, additive, depth_write

ATMOSPHERE_KM = 260.0  #: visual thickness of the halo shell above the surface (not physical)
LOD_NEAR_KM = 14000.0  #: camera distance from the Earth's centre below which the fine mesh is used
RING_STEPS = 256  #: segments of the limb ring


class EarthLayer(Layer):
    def __init__(self, ctx, shaders, texture_width: int = 4096, lights: str = "marble"):
        super().__init__(ctx, shaders)
        self.prog = shaders.program("earth")
        self.atmo_prog = shaders.program("atmosphere")
        # Two levels of detail: rasterising many small triangles is what costs on llvmpipe, and
        # a 96-segment sphere is within a pixel of round until the camera comes close.
        self.lods = []
        for n_lon, max_distance in ((96, float("inf")), (256, LOD_NEAR_KM)):
            verts, idx = uv_sphere(n_lon, n_lon // 2)
            vbo, ibo = self.own(ctx.buffer(verts)), self.own(ctx.buffer(idx))
            vao = self.own(ctx.vertex_array(self.prog, [(vbo, "3f 2f", "in_normal", "in_uv")], ibo))
            self.lods.append((max_distance, vao))
        sv, si = uv_sphere(96, 48)
        avbo, aibo = self.own(ctx.buffer(sv)), self.own(ctx.buffer(si))
        self.atmo_vao = self.own(ctx.vertex_array(self.atmo_prog, [(avbo, "3f 2x4", "in_normal")], aibo))
        # The ring mode makes its vertices from gl_VertexID (see shaders/atmosphere.vert).
        self.ring_vao = self.own(ctx.vertex_array(self.atmo_prog, []))
        day = "textures/earth_day_4096.jpg" if texture_width > 2048 else "textures/earth_day_2048.jpg"
        # The water mask rides in the day texture's alpha: one fetch fewer per pixel.
        self.day = self.own(load_texture(ctx, day, texture_width,
                                         alpha_relpath="textures/earth_water_2048.png"))
        self.night = self.own(load_texture(ctx, f"textures/earth_night_{lights}_2048.jpg"))
        # One mip level per fetch instead of a blend of two: on llvmpipe each texture fetch is
        # a large share of the Earth pass (-2 ms per texture at 1080p), and the seam between
        # mip levels is invisible on these textures (mean difference 0.05/255 in a 1080p frame).
        for tex in (self.day, self.night):
            tex.filter = (ctx.LINEAR_MIPMAP_NEAREST, ctx.LINEAR)
        self.itrs_to_gcrs = np.eye(3)
        self.sun_dir = np.array([1.0, 0.0, 0.0])
        self.lights_gain = 2.8

    def update(self, snapshot, frame) -> None:
        # Four numbers: cheaper to copy every frame than to track.
        self.itrs_to_gcrs = np.asarray(snapshot.itrs_to_gcrs, float)
        self.sun_dir = np.asarray(snapshot.sun_dir_gcrs, float)

    def draw(self, camera, frame) -> None:
        ctx = self.ctx
        self.day.use(2)
        self.night.use(3)
        set_uniforms(self.prog, **frame.uniforms, u_itrs_to_gcrs=self.itrs_to_gcrs,
                     u_sun_dir=self.sun_dir, u_day=2, u_night=3,
                     u_lights_gain=self.lights_gain if frame.layers.earth_lights else 0.0)
        ctx.disable(ctx.BLEND)
        ctx.enable(ctx.DEPTH_TEST | ctx.CULL_FACE)
        ctx.front_face = "ccw"
        ctx.cull_face = "back"
        depth_write(ctx, True)
        distance = float(np.linalg.norm(camera.eye()))
        vao = [v for max_d, v in self.lods if distance <= max_d][-1]
        vao.render()

    def draw_atmosphere(self, camera, frame) -> None:
        """Additive halo; drawn after the opaque globe so the globe's depth clips its far side."""
        ctx = self.ctx
        radius = EARTH_RADIUS_KM + ATMOSPHERE_KM
        inner = EARTH_RADIUS_KM - 120.0
        distance = float(np.linalg.norm(camera.eye()))
        # Far enough out, a thin ring around the limb covers every ray that picks up glow.
        ring = distance > radius * 1.02
        set_uniforms(self.atmo_prog, **frame.uniforms, u_radius=radius, u_sun_dir=self.sun_dir,
                     u_scale_height=ATMOSPHERE_KM / 4.0, u_inner_km=inner, u_ring=int(ring),
                     u_steps=RING_STEPS)
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST)
        additive(ctx)
        depth_write(ctx, False)
        if ring:
            ctx.disable(ctx.CULL_FACE)
            self.ring_vao.render(ctx.TRIANGLE_STRIP, vertices=2 * RING_STEPS + 2)
            return
        # From inside the shell only its back faces are in view.
        ctx.enable(ctx.CULL_FACE)
        ctx.cull_face = "front" if distance < radius else "back"
        self.atmo_vao.render()
        ctx.cull_face = "back"
        ctx.disable(ctx.CULL_FACE)
