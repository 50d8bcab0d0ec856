"""Captions, title cards and the round-trip and training cards drawn over recorded frames (CPU,
pillow + numpy; the training card's layout is viz/training_card.py).

Each distinct caption / title card is drawn once into an RGBA patch (text on a soft dark
panel, DejaVu Sans from assets/fonts, sizes scaled to the frame height) and cached; each frame
then blends the patches it needs with their current opacity into the frame's pixels, only over
the patch's own rectangle. It runs on the recorder's writer thread, beside the GL rendering.
"""
from __future__ import annotations

import functools

import numpy as np

from viz.glutil import ASSETS

FONT = ASSETS / "fonts" / "DejaVuSans.ttf"


@functools.lru_cache(maxsize=16)
def _font(size_px: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT), size_px)


def _wrap(text: str, font, max_width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words, line = paragraph.split(), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if line and font.getlength(trial) > max_width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


class OverlayPainter:
    """Draws Overlay items (viz.director.Overlay) into (H, W, 3) uint8 frames."""

    def __init__(self, size: tuple[int, int]):
        self.size = (int(size[0]), int(size[1]))
        self.scale = self.size[1] / 1080.0
        self._cache: dict[tuple, tuple[np.ndarray, np.ndarray, int, int]] = {}
        #: kind ("card", "training") -> (key, patch) of the card of that kind drawn last
        self._cards: dict[str, tuple] = {}

    def compose(self, image: np.ndarray, overlays) -> np.ndarray:
        """Blend `overlays` into `image` in place (it must be writable) and return it."""
        for item in overlays:
            rgb, alpha, x, y = self._patch(item)
            self._blend(image, rgb, alpha * float(item.alpha), x, y)
        return image

    @staticmethod
    def _blend(image, rgb, alpha, x, y) -> None:
        h, w = alpha.shape
        H, W = image.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
        if x1 <= x0 or y1 <= y0:
            return
        a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
        region = image[y0:y1, x0:x1].astype(np.float32)
        region += (rgb[y0 - y:y1 - y, x0 - x:x1 - x] - region) * a
        image[y0:y1, x0:x1] = (region + 0.5).astype(np.uint8)

    def _patch(self, item):
        key = (item.kind, item.text, item.subtitle, item.position, item.card)
        if item.kind in ("card", "training"):  # change every few frames: keep the latest
            if self._cards.get(item.kind, (None,))[0] != key:
                patch = self._trip_card(item) if item.kind == "card" else \
                    self._training_card(item)
                self._cards[item.kind] = (key, patch)
            return self._cards[item.kind][1]
        if key not in self._cache:
            self._cache[key] = self._title(item) if item.kind == "title" else self._caption(item)
        return self._cache[key]

    def _caption(self, item):
        """A lower-third (or top) panel: wrapped text on a rounded dark box."""
        from PIL import Image, ImageDraw

        W, H = self.size
        s = self.scale
        font = _font(max(int(round(34 * s)), 9))
        pad_x, pad_y = int(28 * s) + 2, int(16 * s) + 2
        lines = _wrap(item.text, font, W * 0.78 - 2 * pad_x)
        ascent, descent = font.getmetrics()
        line_h = int((ascent + descent) * 1.18)
        text_w = max(font.getlength(line) for line in lines)
        box_w = int(text_w + 2 * pad_x)
        box_h = int(line_h * len(lines) - (line_h - ascent - descent) + 2 * pad_y)
        img = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(img)
        draw.rounded_rectangle((0, 0, box_w - 1, box_h - 1), radius=int(14 * s) + 1,
                               fill=(4, 10, 24, 175))
        for i, line in enumerate(lines):
            lw = font.getlength(line)
            draw.text(((box_w - lw) / 2, pad_y + i * line_h), line, font=font,
                      fill=(255, 255, 255, 255))
        x = (W - box_w) // 2
        y = int(H * 0.075) if item.position == "top" else int(H * 0.80) - box_h
        return (*self._split(img), x, y)

    def _title(self, item):
        """A title card: a full-width dark band across the middle, big title, subtitle."""
        from PIL import Image, ImageDraw

        W, H = self.size
        s = self.scale
        big = _font(max(int(round(66 * s)), 12))
        small = _font(max(int(round(32 * s)), 9))
        title_lines = _wrap(item.text, big, W * 0.86)
        sub_lines = _wrap(item.subtitle, small, W * 0.80) if item.subtitle else []
        a1, d1 = big.getmetrics()
        a2, d2 = small.getmetrics()
        gap = int(22 * s)
        text_h = len(title_lines) * int((a1 + d1) * 1.1) + (
            gap + len(sub_lines) * int((a2 + d2) * 1.25) if sub_lines else 0)
        band_h = min(int(text_h + 110 * s), H)
        # Band: dark in the middle, soft top and bottom edges.
        edge = max(int(34 * s), 2)
        ramp = np.ones(band_h, np.float32)
        k = np.arange(edge, dtype=np.float32) / edge
        ramp[:edge] = k
        ramp[band_h - edge:] = k[::-1]
        band_alpha = (200 * ramp).astype(np.uint8)
        band = np.zeros((band_h, W, 4), np.uint8)
        band[..., :3] = (3, 8, 20)
        band[..., 3] = band_alpha[:, None]
        img = Image.fromarray(band, "RGBA")
        draw = ImageDraw.Draw(img)
        y = (band_h - text_h) / 2
        for line in title_lines:
            draw.text(((W - big.getlength(line)) / 2, y), line, font=big,
                      fill=(255, 255, 255, 255))
            y += int((a1 + d1) * 1.1)
        if sub_lines:
            # A thin accent rule between title and subtitle.
            rule_w = int(min(W * 0.3, 420 * s))
            draw.rectangle(((W - rule_w) / 2, y + gap * 0.35, (W + rule_w) / 2,
                            y + gap * 0.35 + max(int(2 * s), 1)), fill=(110, 200, 255, 230))
            y += gap
            for line in sub_lines:
                draw.text(((W - small.getlength(line)) / 2, y), line, font=small,
                          fill=(200, 225, 255, 255))
                y += int((a2 + d2) * 1.25)
        return (*self._split(img), 0, (H - band_h) // 2)

    def _trip_card(self, item):
        """Top-right panel: heading, prompt, phase and time, then the reply as it arrives."""
        from PIL import Image, ImageDraw

        W, H = self.size
        s = self.scale
        font = _font(max(int(round(24 * s)), 8))
        bold = _font(max(int(round(27 * s)), 9))
        pad = int(20 * s) + 2
        width = int(W * 0.34)
        inner = width - 2 * pad
        head, *rest = item.text.split("\n")
        rows = [(line, bold, (150, 215, 255, 255)) for line in _wrap(head, bold, inner)]
        for line in rest:
            rows += [(w, font, (235, 240, 250, 255)) for w in _wrap(line, font, inner)]
        if item.subtitle:
            reply = _wrap("Reply: " + item.subtitle, font, inner)
            if len(reply) > 7:
                reply = reply[:6] + ["\u2026 " + reply[-1]]
            rows += [(w, font, (255, 226, 160, 255)) for w in reply]
        heights = [int(sum(f.getmetrics()) * 1.2) for _, f, _ in rows]
        box_h = sum(heights) + 2 * pad
        img = Image.new("RGBA", (width, box_h), (0, 0, 0, 0))
        draw = ImageDraw.Draw(img)
        draw.rounded_rectangle((0, 0, width - 1, box_h - 1), radius=int(12 * s) + 1,
                               fill=(4, 10, 24, 185))
        y = pad
        for (line, f, colour), h in zip(rows, heights):
            draw.text((pad, y), line, font=f, fill=colour)
            y += h
        return (*self._split(img), W - width - int(28 * s), int(28 * s))

    def _training_card(self, item):
        """A training job's card (viz/training_card.py), top right (top left beside a
        round-trip card)."""
        from viz.training_card import card_layout, paint

        layout = card_layout(item.card, self.size, item.position)
        return (*self._split(paint(item.card, layout)), layout.x, layout.y)

    @staticmethod
    def _split(img) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(img, np.float32)
        return arr[..., :3], arr[..., 3] / 255.0
