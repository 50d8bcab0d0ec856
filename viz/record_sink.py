"""Where recorded frames go, on a thread of their own so that encoding overlaps rendering.

    writer = FrameWriter([VideoSink(path, size, fps)], painter)
    writer.put(image, overlays)     # blocks only when `depth` frames are already waiting
    writer.close()                  # drains the queue, finishes the file (also after Ctrl-C)

VideoSink pipes raw RGB frames to the ffmpeg that imageio-ffmpeg bundles: H.264 (libx264),
yuv420p (plays everywhere), +faststart (the index at the front: plays while downloading),
macro_block_size=1 (no rescaling: 1080 is not a multiple of 16). ffmpeg runs in its own
process group, so a Ctrl-C in the terminal reaches only us and we close the file properly.
PngSink writes numbered PNGs (frame_000000.png, ...).
"""
from __future__ import annotations

import pathlib
import queue
import threading

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv")


class VideoSink:
    def __init__(self, path, size: tuple[int, int], fps: float, crf: int = 18,
                 preset: str = "veryfast", title: str = ""):
        import imageio_ffmpeg

        self.path = pathlib.Path(path)
        self.frames = 0
        params = ["-crf", str(crf), "-preset", preset, "-profile:v", "high"]
        if self.path.suffix.lower() in (".mp4", ".mov", ".m4v"):
            params += ["-movflags", "+faststart"]
        if title:
            params += ["-metadata", f"title={title}"]
        self._gen = imageio_ffmpeg.write_frames(
            str(self.path), tuple(size), fps=fps, codec="libx264", pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p", quality=None, macro_block_size=1, ffmpeg_log_level="error",
            ffmpeg_timeout=0, output_params=params)
        self._gen.send(None)  # starts ffmpeg

    def send(self, image: np.ndarray) -> None:
        self._gen.send(np.ascontiguousarray(image))
        self.frames += 1

    def close(self) -> None:
        self._gen.close()  # closes ffmpeg's stdin and waits for it to write the index


class PngSink:
    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.frames = 0

    def send(self, image: np.ndarray) -> None:
        from PIL import Image

        Image.fromarray(image).save(self.dir / f"frame_{self.frames:06d}.png", compress_level=1)
        self.frames += 1

    def close(self) -> None:
        pass


class FrameWriter:
    """A thread that takes rendered frames from a bounded queue, draws the overlays on them
    and hands them to every sink. An error on the thread is raised again by the next `put`
    (or by `close`)."""

    def __init__(self, sinks, painter=None, depth: int = 3):
        self.sinks = list(sinks)
        self.painter = painter
        self.written = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="frame-writer", daemon=True)
        self._thread.start()
        self._closed = False

    def put(self, image: np.ndarray, overlays=()) -> None:
        while True:
            if self.error is not None:
                raise RuntimeError(f"frame writer failed: {self.error}") from self.error
            try:
                self._queue.put((image, tuple(overlays)), timeout=0.2)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain after a failure
            image, overlays = item
            try:
                if overlays and self.painter is not None:
                    if not image.flags.writeable:
                        image = image.copy()
                    self.painter.compose(image, overlays)
                for sink in self.sinks:
                    sink.send(image)
                self.written += 1
            except BaseException as error:  # noqa: BLE001 - reported by put/close
                self.error = error

    def close(self) -> None:
        """Write what is queued, then finish every sink (the video gets its index)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        errors = []
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
        if self.error is not None:
            raise RuntimeError(f"frame writer failed: {self.error}") from self.error
        if errors:
            raise errors[0]
