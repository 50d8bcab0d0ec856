"""Where recorded frames go, on a thread of their own so that encoding overlaps rendering.

    writer = FrameWriter([VideoSink(path, size, fps)], painter)
    writer.put(image, overlays)     # blocks only when `depth` frames are already waiting
    writer.close()                  # drains the queue, finishes the file (also after Ctrl-C)

VideoSink pipes raw RGB frames to the ffmpeg that imageio-ffmpeg bundles: H.264 (libx264),
yuv420p (plays everywhere), +faststart (the index at the front: plays while downloading), no
rescaling (1080 is not a multiple of 16). ffmpeg runs in its own process group, so a Ctrl-C in
the terminal reaches only us and we close the file properly. It writes a hidden temporary file
beside the target; the file is moved into place only when ffmpeg exited 0 and it demuxes
(sim/output.py), so a full disk never leaves a broken video, nor replaces a good one.
PngSink writes numbered PNGs (frame_000000.png, ...).
"""
from __future__ import annotations

import contextlib
import pathlib
import queue
import threading

import numpy as np

from sim.errors import UserError
from sim.output import OutputError, atomic_output, commit, remove_quietly, temp_path_beside

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv")


class VideoSink:
    """H.264 into a hidden temporary file beside `path`; `close()` checks ffmpeg's exit status,
    probes the file and only then moves it onto `path` (or, with `partial=True`, beside it as
    `partial_path(path)`). `discard()` stops ffmpeg and removes the temporary file. What was
    at `path` before stays untouched unless a complete, verified video replaces it."""

    def __init__(self, path, size: tuple[int, int], fps: float, crf: int = 18,
                 preset: str = "veryfast", title: str = ""):
        import subprocess
        import tempfile
        from fractions import Fraction

        import imageio_ffmpeg

        self.path = pathlib.Path(path)
        self.final_path: pathlib.Path | None = None  #: where the video went, once closed
        self.frames = 0
        self.temp = temp_path_beside(self.path)
        self._exe = imageio_ffmpeg.get_ffmpeg_exe()
        rate = str(Fraction(fps).limit_denominator())
        cmd = [self._exe, "-y", "-v", "error", "-f", "rawvideo", "-vcodec", "rawvideo",
               "-s", f"{size[0]}x{size[1]}", "-pix_fmt", "rgb24", "-r", rate, "-i", "-", "-an",
               "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", str(crf),
               "-preset", preset, "-profile:v", "high"]
        if self.path.suffix.lower() in (".mp4", ".mov", ".m4v"):
            cmd += ["-movflags", "+faststart"]
        if title:
            cmd += ["-metadata", f"title={title}"]
        self._log = tempfile.TemporaryFile()  # ffmpeg's complaints, for the error message
        try:
            # Its own session: a Ctrl-C in the terminal reaches only us, and we finish the file.
            self._proc = subprocess.Popen(cmd + [str(self.temp)], stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=self._log,
                                          start_new_session=True)
        except BaseException:
            remove_quietly(self.temp)
            self._log.close()
            raise

    def send(self, image: np.ndarray) -> None:
        try:
            self._proc.stdin.write(np.ascontiguousarray(image).data)  # no copy
        except (BrokenPipeError, OSError):
            self._proc.wait()
            raise OutputError(f"{self.path}: ffmpeg stopped after {self.frames} frames: "
                              f"{self._reason()}") from None
        self.frames += 1

    def close(self, partial: bool = False) -> pathlib.Path:
        """Finish the video (ffmpeg writes its index), verify it and move it into place:
        onto `path`, or beside it as `partial_path(path)` when `partial`. Returns where it
        went. UserError (temporary file removed) when ffmpeg failed or the file does not
        probe; `path` is then untouched."""
        if self.final_path is not None:
            return self.final_path
        try:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._proc.stdin.close()
            code = self._proc.wait()
            if code != 0:
                raise OutputError(f"{self.path}: ffmpeg failed (exit status {code}): "
                                f"{self._reason()}")
            if self.frames == 0:
                raise UserError(f"{self.path}: no frames were recorded")
            self._verify()
        except BaseException:
            self.discard()
            raise
        target = partial_path(self.path) if partial else self.path
        commit(self.temp, target)
        self._log.close()
        self.final_path = target
        return target

    def discard(self) -> None:
        """Stop ffmpeg if it still runs and remove the temporary file."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        remove_quietly(self.temp)
        with contextlib.suppress(OSError):
            self._log.close()

    def _verify(self) -> None:
        """The file demuxes from start to end (ffmpeg reads every packet, decodes nothing)."""
        import subprocess

        probe = subprocess.run([self._exe, "-v", "error", "-i", str(self.temp), "-map", "0:v:0",
                                "-c", "copy", "-f", "null", "-"], capture_output=True,
                               text=True, start_new_session=True)
        if probe.returncode != 0:
            lines = (probe.stderr or "").strip().splitlines()
            raise OutputError(f"{self.path}: the video written does not play: "
                            f"{lines[-1] if lines else 'ffmpeg could not read it'}")

    def _reason(self) -> str:
        """ffmpeg's last complaint, or 'no message'."""
        try:
            self._log.seek(0)
            lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        except (OSError, ValueError):
            lines = []
        return lines[-1] if lines else "no message"


def partial_path(path: pathlib.Path) -> pathlib.Path:
    """demo.mp4 -> demo.partial.mp4 (the frames of an interrupted recording)."""
    return path.with_name(f"{path.stem}.partial{path.suffix}")


class PngSink:
    def __init__(self, directory):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.frames = 0

    def send(self, image: np.ndarray) -> None:
        from PIL import Image

        # Beside, then renamed: a full disk leaves no half frame and raises a one-line error.
        with atomic_output(self.dir / f"frame_{self.frames:06d}.png") as temp:
            Image.fromarray(image).save(temp, format="PNG", compress_level=1)
        self.frames += 1

    def close(self, partial: bool = False) -> pathlib.Path:
        return self.dir

    def discard(self) -> None:
        pass  # numbered frames already written stay: they are complete files


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
                raise _reported(self.error)
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

    def close(self, partial: bool = False) -> None:
        """Write what is queued, then finish every sink (the video gets its index and is
        moved into place; with `partial`, beside its target as NAME.partial.SUFFIX). Without
        a frame written, the sinks are discarded instead: nothing new is left."""
        if self._closed:
            return
        self._closed = True
        self._stop_thread()
        errors = []
        if self.written == 0:
            self.discard()
        else:
            for sink in self.sinks:
                try:
                    sink.close(partial=partial)
                except Exception as error:  # noqa: BLE001
                    errors.append(error)
        if self.error is not None:
            raise _reported(self.error)
        if errors:
            raise errors[0]

    def discard(self) -> None:
        """Stop without keeping anything: every sink's temporary file is removed."""
        self._closed = True
        self._stop_thread()
        for sink in self.sinks:
            sink.discard()

    def _stop_thread(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


def _reported(error: BaseException) -> BaseException:
    """The writer thread's error as the caller sees it: a UserError (ffmpeg failed, disk
    full) stays one; anything else is wrapped so the traceback shows where it came from."""
    if isinstance(error, UserError):
        return UserError(str(error))
    wrapped = RuntimeError(f"frame writer failed: {error}")
    wrapped.__cause__ = error
    return wrapped
