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

    def text_width(self, text: str, size_px: float) -> float:
        scale = size_px / self.size
        return sum(self.cells.get(ch, self.cells["?"])[6] for ch in text) * scale

    def layout(self, text: str, x: float, y: float, size_px: float, colour) -> np.ndarray:
        """Quads (6 vertices per glyph) for `text` with its top-left corner at pixel (x, y)."""
        scale = size_px / self.size
        verts = np.zeros((len(text), 6), TEXT_VERTEX)
        pen = x
        tw, th = self.tex_size
        keep = np.zeros(len(text), bool)
        for i, ch in enumerate(text):
            cx, cy, w, h, ox, oy, adv = self.cells.get(ch, self.cells["?"])
            if ch != " ":
                x0, y0 = pen + ox * scale, y + oy * scale
                x1, y1 = x0 + w * scale, y0 + h * scale
                u0, v0, u1, v1 = cx / tw, cy / th, (cx + w) / tw, (cy + h) / th
                corners = [(x0, y0, u0, v0), (x1, y0, u1, v0), (x1, y1, u1, v1),
                           (x0, y0, u0, v0), (x1, y1, u1, v1), (x0, y1, u0, v1)]
                for k, (px, py, u, v) in enumerate(corners):
                    verts[i, k]["px"] = (px, py)
                    verts[i, k]["uv"] = (u, v)
                keep[i] = True
            pen += adv * scale
        verts = verts[keep].reshape(-1)
        verts["colour"] = colour
        return verts
