"""Text layout: glyph quads where the font's own metrics put them, whatever was laid out
before (layouts are kept per text and size)."""
import numpy as np
from PIL import ImageFont

from viz.font import FontAtlas
from viz.glutil import ASSETS

ATLAS = FontAtlas()


def test_quads_follow_the_fonts_advances_and_skip_spaces():
    text, size = "Ab c", 32
    verts = ATLAS.layout(text, 100.0, 50.0, size, (1, 1, 1, 1))
    assert len(verts) == 6 * 3  # no quad for the space
    font = ImageFont.truetype(str(ASSETS / "fonts" / "DejaVuSans.ttf"), size)
    lefts = verts["px"][::6, 0]
    for glyph, prefix in zip(lefts, ("", "A", "Ab ")):  # each quad starts at its pen position
        pad = 3 + 1
        expected = 100.0 + font.getlength(prefix) + font.getbbox(text[len(prefix)])[0] - pad
        assert abs(glyph - expected) < 0.01
    assert np.all((verts["uv"] >= 0.0) & (verts["uv"] <= 1.0))


def test_a_layout_scales_with_size_and_moves_with_its_corner():
    small = ATLAS.layout("XS-08", 0.0, 0.0, 16, (1, 0, 0, 1))
    big = ATLAS.layout("XS-08", 0.0, 0.0, 32, (1, 0, 0, 1))
    np.testing.assert_allclose(big["px"], 2.0 * small["px"], atol=1e-4)
    moved = ATLAS.layout("XS-08", 12.5, -4.0, 16, (0, 1, 0, 0.5))
    np.testing.assert_allclose(moved["px"], small["px"] + [12.5, -4.0], atol=1e-4)
    np.testing.assert_array_equal(moved["uv"], small["uv"])
    assert np.all(moved["colour"] == np.float32([0, 1, 0, 0.5]))
    assert np.all(small["colour"] == np.float32([1, 0, 0, 1]))  # the earlier one unchanged
