"""Live recording from the window (R / the Record button): what the window shows, panel and
all (Tab hides the panel for a clean picture), as H.264 through viz/record_sink.py.

The scene and the panel are drawn into an offscreen framebuffer, copied to the window and read
back for the encoder on its own thread. A frame the encoder cannot take at once is skipped
rather than stalling the window (live video follows the wall clock; for frame-exact videos use
`run.py record`, which steps the sim once per frame offscreen).
"""
from __future__ import annotations

import pathlib
import time

FPS = 30


class LiveRecorder:
    def __init__(self, ctx, size: tuple[int, int], folder):
        from viz.record_sink import FrameWriter, VideoSink

        self.ctx = ctx
        self.size = (size[0] - size[0] % 2, size[1] - size[1] % 2)  # yuv420p: even sides
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"orbitviz-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        self._colour = ctx.renderbuffer(size, 4)
        self._depth = ctx.depth_renderbuffer(size)
        self.target = ctx.framebuffer([self._colour], self._depth)
        self.writer = FrameWriter([VideoSink(self.path, self.size, FPS, preset="ultrafast")],
                                  depth=4)
        self.frames = 0
        self.skipped = 0
        self._next = time.perf_counter()

    def capture(self) -> None:
        """Show the frame in the window and, at most FPS times a second, send it on."""
        import numpy as np

        self.ctx.copy_framebuffer(self.ctx.screen, self.target)
        now = time.perf_counter()
        if now < self._next:
            return
        self._next = max(self._next + 1.0 / FPS, now - 0.5)
        waiting = getattr(getattr(self.writer, "_queue", None), "qsize", lambda: 0)()
        if waiting >= 3:
            self.skipped += 1
            return
        w, h = self.size
        data = self.target.read(viewport=(0, 0, w, h), components=3, alignment=1)
        image = np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1].copy()
        self.writer.put(image)
        self.frames += 1

    def stop(self) -> pathlib.Path:
        try:
            self.writer.close()
        finally:
            for obj in (self.target, self._colour, self._depth):
                obj.release()
        return self.path
