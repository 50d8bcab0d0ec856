"""Satellite markers (one point sprite per satellite, positions from the shared satellite
textures) and the highlight rings of the selected and hovered satellites.

Marker size: `base_marker_px(n)` shrinks with the constellation size (a 12-satellite cluster
gets big bright markers, 100,000 get fine dust) and the shader grows it as the camera comes
closer. Colour: role; eclipse dimmer; utilisation brighter.

Level of detail: beyond `budget` satellites (MARKER_BUDGET in the live window, more in shots
and recordings, which need not keep a frame rate) one in k is
drawn, every k-th by index, so the same ones stay drawn (planes stay planes); `stride` says k
and the panel says so. The selected and hovered satellites always get their rings.
"""
from __future__ import annotations

import numpy as np

from viz.glutil import set_uniforms
from viz.layers import Layer, additive, depth_write

REF_DISTANCE_KM = 22000.0  #: camera distance at which markers are base_marker_px wide
MARKER_BUDGET = 25_000  #: most markers the live window draws a frame (one in k beyond)
#: llvmpipe turns every point sprite into two triangles on the app's own thread: 50,000 markers
#: cost 7.6 ms a frame, 25,000 3.8 ms (100,000 satellites, 1280x720, one raster thread), and
#: 25,000 lights still cover the globe evenly at 1280x720. Markers the Earth hides are dropped
#: in markers.vert before any of that.
MARKER_BUDGET_OFFLINE = 250_000  #: the same for shots and recordings, where a frame may take time


def marker_stride(n_sats: int, budget: int | None = None) -> int:
    """k: one satellite marker in k is drawn (1 up to `budget` satellites, default
    MARKER_BUDGET)."""
    return max(1, -(-n_sats // (budget or MARKER_BUDGET)))


def base_marker_px(n_sats: int, height_px: int = 1080) -> float:
    """Marker diameter (px) at the reference distance for a constellation of n_sats."""
    size = 30.0 * max(n_sats, 1) ** -0.2
    few = float(np.clip(1.0 - np.log10(max(n_sats, 1)) / 2.0, 0.0, 1.0))  # 1 for one, 0 from 100
    return min(max(size, 1.6), 20.0) * (1.0 + 1.0 * few) * max(height_px / 1080.0, 0.5)


def halo_gain(n_sats: int) -> float:
    """Halo strength: a dozen satellites get a big glow each (they are the whole picture),
    thousands a faint one (their halos would merge into fog)."""
    return 1.0 + 2.5 * float(np.clip(1.0 - np.log10(max(n_sats, 1)) / 3.0, 0.0, 1.0))


class SatelliteLayer(Layer):
    def __init__(self, ctx, shaders, satdata, budget: int = MARKER_BUDGET_OFFLINE):
        super().__init__(ctx, shaders)
        self.satdata = satdata
        self.budget = budget  #: most markers drawn a frame (MARKER_BUDGET in the live window)
        self.prog = shaders.program("markers")
        self.ring_prog = shaders.program("rings")
        self.vao = self.own(ctx.vertex_array(self.prog, []))
        self.ring_vao = self.own(ctx.vertex_array(self.ring_prog, []))
        self.selected = -1
        self.size_scale = 1.0
        self.stride = 1  #: one marker in `stride` drawn (see MARKER_BUDGET)

    def update(self, snapshot, frame) -> None:
        self.selected = int(snapshot.selected)

    def draw(self, camera, frame) -> None:
        n = self.satdata.n
        if n == 0:
            return
        ctx = self.ctx
        self.satdata.bind()
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST | ctx.PROGRAM_POINT_SIZE)
        depth_write(ctx, False)
        additive(ctx)
        self.stride = marker_stride(n, self.budget)
        # sized for the markers drawn, so that a thinned million reads as the 250,000 would
        shown = -(-n // self.stride)
        set_uniforms(self.prog, **frame.uniforms, **self.satdata.uniforms(),
                     u_base_px=base_marker_px(shown, camera.size[1]) * self.size_scale,
                     u_ref_dist_km=REF_DISTANCE_KM, u_halo_gain=halo_gain(shown),
                     u_stride=self.stride)
        self.vao.render(ctx.POINTS, vertices=shown)

    def draw_rings(self, camera, frame) -> None:
        """Rings round the selected satellite and the one under the mouse (frame.hovered)."""
        sel = self.selected if self.selected < self.satdata.n else -1
        hov = frame.hovered if frame.hovered < self.satdata.n and frame.hovered != sel else -1
        if sel < 0 and hov < 0:
            return
        ctx = self.ctx
        self.satdata.bind()
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST | ctx.PROGRAM_POINT_SIZE)
        depth_write(ctx, False)
        additive(ctx)
        set_uniforms(self.ring_prog, **frame.uniforms, **self.satdata.uniforms(), u_selected=sel,
                     u_hovered=hov, u_size_px=max(26.0 * camera.size[1] / 1080.0, 14.0))
        self.ring_vao.render(ctx.POINTS, vertices=2)
