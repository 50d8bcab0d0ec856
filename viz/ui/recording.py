"""Live recording from the window (R / the Record button): what the window shows, panel and
all (Tab hides the panel for a clean picture), as H.264 through viz/record_sink.py.

The same rule as `run.py record` (DESIGN.md rule 4): while recording, every window frame is
exactly one video frame and advances the sim, the camera and the shader clock by exactly
1 / FPS, whatever the wall clock did. A slow frame (llvmpipe at 1080p, a busy encoder) slows
the live view down instead of making the video jerky; a fast one waits (the window loop
paces itself to FPS while recording), so the video plays at the speed the presenter saw.

The scene and the panel are drawn into an offscreen framebuffer, copied to the window and
read back for the encoder thread; when the encoder falls behind, `put` blocks (the slower of
the two sets the pace, as in `run.py record`), it never drops a frame.
"""
from __future__ import annotations

import pathlib
import time

FPS = 30


def unique_path(folder, stem: str, suffix: str) -> pathlib.Path:
    """folder/stem.suffix, or stem-2, stem-3... when taken (two files in one second)."""
    folder = pathlib.Path(folder)
    path = folder / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


class LiveRecorder:
    """One recording: `capture()` after each frame is drawn into `target`, `stop()` at the end."""

    frame_dt = 1.0 / FPS  #: sim / camera / animation seconds per window frame while recording

    def __init__(self, ctx, size: tuple[int, int], folder):
        from viz.record_sink import FrameWriter, VideoSink

        self.ctx = ctx
        self.window_size = tuple(size)  #: a window of another size stops the recording
        self.size = (size[0] - size[0] % 2, size[1] - size[1] % 2)  # yuv420p: even sides
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = unique_path(folder, f"orbitviz-{time.strftime('%Y%m%d-%H%M%S')}", ".mp4")
        self._colour = ctx.renderbuffer(size, 4)
        self._depth = ctx.depth_renderbuffer(size)
        self.target = ctx.framebuffer([self._colour], self._depth)
        try:
            self.writer = FrameWriter([VideoSink(self.path, self.size, FPS,
                                                 preset="ultrafast")], depth=4)
        except BaseException:
            self._release()
            raise
        self.frames = 0
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Video seconds recorded so far."""
        return self.frames / FPS

    def capture(self) -> None:
        """Show the frame in the window and send it to the encoder (blocking when it is
        behind: a frame is never skipped, so the video stays smooth)."""
        import numpy as np

        self.ctx.copy_framebuffer(self.ctx.screen, self.target)
        w, h = self.size
        data = self.target.read(viewport=(0, 0, w, h), components=3, alignment=1)
        image = np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1].copy()
        self.writer.put(image)
        self.frames += 1

    def stop(self) -> pathlib.Path:
        """Finish the file (ffmpeg writes its index, the sink verifies it and moves it into
        place); the GL objects are released. Raises when no video was kept (no frame yet,
        ffmpeg failed, disk full): nothing is then left in the folder."""
        try:
            self.writer.close()
        finally:
            self._release()
        if not self.path.is_file():
            from sim.output import OutputError

            raise OutputError(f"{self.path}: no frames were recorded")
        return self.path

    def _release(self) -> None:
        for obj in (self.target, self._colour, self._depth):
            obj.release()
