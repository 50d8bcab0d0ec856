"""Font atlas made with pillow from assets/fonts/DejaVuSans.ttf (printable ASCII plus a few
symbols) and text layout into screen-space quads (pixels, origin top-left).

Atlas texture: two channels, red = glyph fill, green = the glyph grown by an outline stroke, so
the text shader can draw a dark outline that keeps labels readable over a bright Earth.
"""
from __future__ import annotations

import numpy as np

from viz.glutil import ASSETS

CHARS = "".join(chr(c) for c in range(32, 127)) + "°·–→←…"
TEXT_VERTEX = np.dtype([("px", "<f4", 2), ("uv", "<f4", 2), ("colour", "<f4", 4)])


class FontAtlas:
    """Glyph images and metrics at `size` px; `layout` places text at any pixel size."""

    def __init__(self, size: int = 32, stroke: int = 3, path=ASSETS / "fonts" / "DejaVuSans.ttf"):
        from PIL import Image, ImageDraw, ImageFont  # only needed when an atlas is built

        font = ImageFont.truetype(str(path), size)
        self.size = size
        self.ascent, self.descent = font.getmetrics()
        pad = stroke + 1
        cells, width, x, y, row_h = {}, 1024, 0, 0, 0
        for ch in CHARS:
            x0, y0, x1, y1 = font.getbbox(ch)
            w, h = max(x1 - x0, 0) + 2 * pad, max(y1 - y0, 0) + 2 * pad
            if x + w > width:
                x, y, row_h = 0, y + row_h, 0
            cells[ch] = (x, y, w, h, x0 - pad, y0 - pad, font.getlength(ch))
            x, row_h = x + w, max(row_h, h)
        height = 1 << int(np.ceil(np.log2(y + row_h)))
        fill = Image.new("L", (width, height))
        outline = Image.new("L", (width, height))
        df, do = ImageDraw.Draw(fill), ImageDraw.Draw(outline)
        for ch, (cx, cy, w, h, ox, oy, _) in cells.items():
            df.text((cx - ox, cy - oy), ch, font=font, fill=255)
            do.text((cx - ox, cy - oy), ch, font=font, fill=255, stroke_width=stroke,
                    stroke_fill=255)
        self.image = np.stack([np.asarray(fill), np.asarray(outline)], -1)  # (H,W,2) uint8
        self.cells = cells
        self.tex_size = (width, height)
        self._shapes: dict = {}  #: (text, size_px) -> _shape(...)

    def text_width(self, text: str, size_px: float) -> float:
        scale = size_px / self.size
        return sum(self.cells.get(ch, self.cells["?"])[6] for ch in text) * scale

    def layout(self, text: str, x: float, y: float, size_px: float, colour) -> np.ndarray:
        """Quads (6 vertices per glyph) for `text` with its top-left corner at pixel (x, y)."""
        px, uv = self._shaped(text, float(size_px))
        verts = np.empty(len(px), TEXT_VERTEX)
        verts["px"] = px + np.array([x, y], np.float32)
        verts["uv"] = uv
        verts["colour"] = colour
        return verts

    #: corner order of a glyph's two triangles: (x0,y0) (x1,y0) (x1,y1) (x0,y0) (x1,y1) (x0,y1)
    _CORNER_X = np.array([0, 1, 1, 0, 1, 0])
    _CORNER_Y = np.array([0, 0, 1, 0, 1, 1])

    def _shaped(self, text: str, size_px: float) -> tuple[np.ndarray, np.ndarray]:
        """(pixel offsets from the text's top-left, uv) of every vertex of `text` at
        `size_px`, kept for the texts seen lately: labels are laid out again every frame
        (a per-glyph Python loop cost about 3 ms a frame for the scene's labels)."""
        key = (text, size_px)
        shaped = self._shapes.get(key)
        if shaped is None:
            if len(self._shapes) >= 2048:
                self._shapes.clear()
            shaped = self._shapes[key] = self._shape(text, size_px)
        return shaped

    def _shape(self, text: str, size_px: float) -> tuple[np.ndarray, np.ndarray]:
        scale = size_px / self.size
        cells = np.array([self.cells.get(ch, self.cells["?"]) for ch in text],
                         np.float64).reshape(-1, 7)
        cx, cy, w, h, ox, oy, adv = cells.T
        pen = np.concatenate([[0.0], np.cumsum(adv * scale)[:-1]])
        keep = np.array([ch != " " for ch in text], bool)
        x0, y0 = pen + ox * scale, oy * scale
        xs = np.stack([x0, x0 + w * scale], 1)[keep][:, self._CORNER_X]
        ys = np.stack([y0, y0 + h * scale], 1)[keep][:, self._CORNER_Y]
        tw, th = self.tex_size
        us = np.stack([cx, cx + w], 1)[keep][:, self._CORNER_X] / tw
        vs = np.stack([cy, cy + h], 1)[keep][:, self._CORNER_Y] / th
        px = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32)
        uv = np.stack([us, vs], -1).reshape(-1, 2).astype(np.float32)
        px.flags.writeable = uv.flags.writeable = False
        return px, uv
