"""The selected satellite's orbit (`snapshot.selected_orbit_km`, GCRS km polyline), uploaded
only when the `selection` version changes; drawn as a faint line that brightens towards the
satellite's current position (t = 0 at the first sample)."""
from __future__ import annotations

import numpy as np

from viz.glutil import DynamicMesh, Versions, set_uniforms
from viz.layers import Layer, additive, depth_write
from viz.layers.traffic import LINE

ORBIT_COLOUR = (0.70, 0.82, 1.0)  #: pale blue: gold is the round trips' prompt colour


class OrbitLayer(Layer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.prog = shaders.program("lines")
        self.mesh = DynamicMesh(ctx, self.prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self._versions = Versions()

    def update(self, snapshot, frame) -> None:
        track = np.asarray(snapshot.selected_orbit_km, np.float32).reshape(-1, 3)
        if not self._versions.changed(snapshot, "selection", len(track), snapshot.selected):
            return
        if snapshot.selected < 0 or len(track) < 2:
            self.mesh.write(np.zeros(0, LINE))
            return
        verts = np.zeros(len(track), LINE)
        verts["pos"] = track
        t = np.linspace(0.0, 1.0, len(track))
        verts["colour"] = ORBIT_COLOUR + (0.0,)
        verts["colour"][:, 3] = 0.25 + 0.5 * (1.0 - t) ** 2
        verts["t"] = t
        self.mesh.write(verts)

    def draw(self, camera, frame) -> None:
        ctx = self.ctx
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST)
        depth_write(ctx, False)
        additive(ctx)
        set_uniforms(self.prog, **frame.uniforms, u_model=np.eye(3), u_pulse_rate=0.0)
        self.mesh.render(ctx.LINE_STRIP)

    def release(self) -> None:
        self.mesh.release()
        super().release()
