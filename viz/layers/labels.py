"""Screen-space text: satellite and station name labels anchored to scene points, plus free
captions. Labels are few (selected, hovered, stations), so they are laid out in numpy each
frame: project the anchor with the camera, hide it when behind the camera or the Earth.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.font import TEXT_VERTEX, FontAtlas
from viz.glutil import DynamicMesh, set_uniforms
from viz.layers import Layer, alpha_blend
from viz.picking import occluded_by_earth


@dataclasses.dataclass
class Label:
    text: str
    anchor_km: tuple | None = None   #: GCRS km point the label belongs to (None: screen text)
    offset_px: tuple = (12.0, -22.0)  #: from the anchor's pixel (or from the top-left corner)
    size_px: float = 18.0
    colour: tuple = (1.0, 1.0, 1.0, 1.0)


class LabelLayer(Layer):
    def __init__(self, ctx, shaders, atlas: FontAtlas | None = None):
        super().__init__(ctx, shaders)
        self.atlas = atlas or FontAtlas()
        self.prog = shaders.program("text")
        tex = self.atlas.image
        self.texture = self.own(ctx.texture(self.atlas.tex_size, 2, np.ascontiguousarray(tex).tobytes()))
        self.texture.build_mipmaps()
        self.mesh = DynamicMesh(ctx, self.prog, "2f 2f 4f", "in_px", "in_uv", "in_colour")

    def build(self, camera, labels, occluders=()) -> np.ndarray:
        """All text vertices of `labels` for this frame (pixel coordinates). `occluders`:
        (x0, y0, x1, y1) framebuffer pixels, y down, where anchored labels are not drawn (the
        app's translucent panels, so bright names do not shine through their text)."""
        parts = []
        anchored = [lb for lb in labels if lb.anchor_km is not None]
        if anchored:
            pts = np.array([lb.anchor_km for lb in anchored], float)
            px, _, front = camera.project(pts)
            # Slightly smaller sphere: labels of things on the surface (stations) stay visible.
            hidden = occluded_by_earth(camera.eye(), pts, EARTH_RADIUS_KM - 25.0)
            for lb, p, ok, hid in zip(anchored, px, front, hidden):
                if ok and not hid:
                    verts = self.atlas.layout(lb.text, p[0] + lb.offset_px[0],
                                              p[1] + lb.offset_px[1], lb.size_px, lb.colour)
                    if not _occluded(verts, occluders):
                        parts.append(verts)
        for lb in labels:
            if lb.anchor_km is None:
                parts.append(self.atlas.layout(lb.text, lb.offset_px[0], lb.offset_px[1],
                                               lb.size_px, lb.colour))
        return np.concatenate(parts) if parts else np.zeros(0, TEXT_VERTEX)

    def draw(self, camera, frame, labels=()) -> None:
        """Draw `labels` (composed by the renderer), hidden under frame.label_occluders."""
        verts = self.build(camera, labels, frame.label_occluders)
        self.mesh.write(verts)
        if not len(verts):
            return
        ctx = self.ctx
        ctx.enable(ctx.BLEND)
        ctx.disable(ctx.DEPTH_TEST)
        alpha_blend(ctx)
        self.texture.use(5)
        set_uniforms(self.prog, **frame.uniforms, u_atlas=5)
        self.mesh.render(ctx.TRIANGLES)

    def release(self) -> None:
        self.mesh.release()
        super().release()


def _occluded(verts: np.ndarray, occluders) -> bool:
    """True when the text's box overlaps one of `occluders`."""
    if not occluders or not len(verts):
        return False
    lo, hi = verts["px"].min(axis=0), verts["px"].max(axis=0)
    return any(lo[0] < x1 and hi[0] > x0 and lo[1] < y1 and hi[1] > y0
               for x0, y0, x1, y1 in occluders)
