"""The frame context: everything one frame draws besides the Snapshot and the camera.

The caller (the app's window, the recorder, `shot`, the benchmark, tests) builds one per
frame and hands it to `Renderer.draw`; the renderer completes it with what follows from the
camera (`for_camera`: shader uniforms, frame size) and passes it to every layer's `update`
and `draw`. Frozen: nothing a layer reads changes while the frame is drawn, and no object
pokes settings into another between frames.

    frame = FrameContext(time_s=anim_s, layers=settings, hovered=7, caption=("Title", "..."))
    renderer.draw(snapshot, camera, target, frame)
"""
from __future__ import annotations

import dataclasses

from sim.layers import LayerSettings
from viz.glutil import frame_uniforms

REFERENCE_HEIGHT_PX = 1080.0  #: frame height at which sprites and text have their base size


@dataclasses.dataclass(frozen=True)
class FrameContext:
    """One frame's choices. Pixels are framebuffer pixels, y down."""

    #: shader animation clock (pulses, packet trails), seconds; a fixed value gives
    #: reproducible images
    time_s: float = 0.0
    layers: LayerSettings = LayerSettings()
    hovered: int = -1  #: satellite under the mouse (its name and ring are drawn), -1: none
    caption: tuple[str, ...] = ()  #: lines drawn bottom-left (with layers.hud on)
    #: (x0, y0, x1, y1) boxes that hide the scene's name labels (the app's panels)
    label_occluders: tuple = ()
    extra_labels: tuple = ()  #: more viz.layers.labels.Label (with layers.labels on)
    #: sim seconds from the Snapshot to this frame: the satellites are drawn moved on by this
    #: much (sim/ahead.py; the sim steps on its own thread, sim/runner.py). 0: as stepped.
    ahead_s: float = 0.0
    #: set by `for_camera`: frame size (width, height) in pixels and the uniforms of
    #: shaders/include/common.glsl (view-projection, eye in GCRS km, viewport, time)
    size_px: tuple[int, int] = (int(REFERENCE_HEIGHT_PX * 16 / 9), int(REFERENCE_HEIGHT_PX))
    uniforms: dict = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self):
        # Callers may pass lists (e.g. the panels' rectangles); keep the frame immutable.
        for name in ("caption", "label_occluders", "extra_labels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def for_camera(self, camera) -> "FrameContext":
        """This context completed for `camera`: its frame size and this frame's uniforms."""
        return dataclasses.replace(self, size_px=tuple(int(v) for v in camera.size),
                                   uniforms={**frame_uniforms(camera, self.time_s),
                                             "u_ahead_s": float(self.ahead_s)})

    @property
    def height_px(self) -> int:
        return int(self.size_px[1])

    @property
    def px_scale(self) -> float:
        """Size of a pixel-sized element relative to a 1080-line frame (at least 0.6, so
        that text and the round trip stay readable in small frames)."""
        return max(self.height_px / REFERENCE_HEIGHT_PX, 0.6)
