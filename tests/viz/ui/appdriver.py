"""Driving the real app for the window tests: launch `run.py` on an Xvfb display, read its
state file (ORBITVIZ_TEST_STATE, viz/ui/probe.py), click and type with xdotool, take
screenshots with xwd. Shared by tests/viz/ui/test_app_*.py."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[3]
SUMMARY = ("scenario", "warp", "paused", "clock", "panel_visible", "help_visible", "fullscreen",
           "window_size", "recording", "utc")


def read_state(path: pathlib.Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def wait_for(path, predicate, timeout_s: float, proc, what: str) -> dict:
    end = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < end:
        assert proc.poll() is None, f"the app exited ({proc.returncode}) while waiting for {what}"
        state = read_state(path)
        if state and predicate(state):
            return state
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; messages: "
                         f"{state.get('messages') if state else None}; selected: "
                         f"{state.get('selected') if state else None}; state: "
                         f"{ {k: state.get(k) for k in SUMMARY} if state else None}")


def screenshot(display: str, out: pathlib.Path, size) -> pathlib.Path:
    """xwd -root -> PNG of the window area, with the ffmpeg that imageio-ffmpeg bundles."""
    import imageio_ffmpeg

    raw = subprocess.run(["xwd", "-root", "-silent", "-display", display], check=True,
                         capture_output=True).stdout
    xwd = out.with_suffix(".xwd")
    xwd.write_bytes(raw)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(xwd),
                    "-vf", f"crop={size[0]}:{size[1]}:0:0", "-pix_fmt", "rgb24", str(out)], check=True)
    xwd.unlink()
    return out


def camera_from(state):
    from viz.camera import OrbitCamera

    c = state["camera"]
    cam = OrbitCamera(tuple(c["size"]), fov_y_deg=c["fov_y_deg"])
    cam.azimuth_deg, cam.elevation_deg = c["azimuth_deg"], c["elevation_deg"]
    cam.distance_km, cam.target = c["distance_km"], np.array(c["target"])
    cam.frame_rotation = np.array(c["frame_rotation"])
    return cam


class App:
    """The app launched on an Xvfb display, with its state file, xdotool and its log."""

    def __init__(self, display: str, tmp: pathlib.Path, model_dir: str, size=(1280, 720),
                 args=(), **env):
        self.display, self.tmp, self.size = display, tmp, size
        self.state_path = tmp / "state.json"
        self.saved = tmp / "saved"
        self.env = {**os.environ, "DISPLAY": display, "ORBITVIZ_SIZE": f"{size[0]}x{size[1]}",
                    "ORBITVIZ_TEST_STATE": str(self.state_path),
                    "ORBITVIZ_MODEL_DIR": model_dir, "ORBITVIZ_SHOTS_DIR": str(self.saved),
                    "ORBITVIZ_QUALITY": "fast", **env}
        self.log_path = tmp / "app.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        self.state = self.wait(lambda s: s.get("ready") and s["candidates"], 40, "the window")

    def wait(self, predicate, timeout_s: float, what: str) -> dict:
        self.state = wait_for(self.state_path, predicate, timeout_s, self.proc, what)
        return self.state

    def read(self) -> dict:
        self.state = read_state(self.state_path) or self.state
        return self.state

    def xdo(self, *args) -> None:
        subprocess.run(["xdotool", *map(str, args)], env=self.env, check=True)

    def click(self, x: float, y: float) -> None:
        """Click at window point (x, y)."""
        wx, wy = self.read()["window_pos"]
        self.xdo("mousemove", int(wx + x), int(wy + y))
        time.sleep(0.2)
        self.xdo("click", 1)

    def click_widget(self, name: str) -> None:
        x0, y0, x1, y1 = self.read()["widgets"][name]
        self.click((x0 + x1) / 2, (y0 + y1) / 2)

    def xdo_search(self) -> int:
        """The app's X window (F11 may give pyglet a new one: ask each time)."""
        out = subprocess.run(["xdotool", "search", "--name", "Orbital AI computing"],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        return int(out.split()[-1])

    def key(self, *keys: str) -> None:
        """Keys to the scene: the pointer rests over empty space, no text field has focus.
        `direct_keys`: sent to the app's window by id (XSendEvent) rather than through XTEST."""
        if getattr(self, "direct_keys", False):
            self.xdo("key", "--window", self.xdo_search(), *keys)
        else:
            self.xdo("key", *keys)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
        print(self.log_path.read_text()[-3000:])


