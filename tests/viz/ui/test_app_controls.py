"""The desktop app's controls exercised for real (Xvfb, xdotool): F12 screenshot, R recording
(fixed-step video, stopped by R, by a resize, by closing the window), Space / + / - / Tab / H /
F11, and scenario switching from the panel (a built-in, a bad file, reset).

One app launch on grid-2028 (32 satellites: quick to build, so the scenario switches are quick
too); the checks read the app's state file (ORBITVIZ_TEST_STATE) and the files it wrote.
"""
from __future__ import annotations

import ctypes
import time

import numpy as np

from tests.viz.ui.appdriver import App


def check_video(path, frames: int) -> None:
    """A playable H.264 file whose frame count matches its duration at 30 fps."""
    import imageio_ffmpeg

    assert path.is_file() and path.stat().st_size > 10_000, path
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    assert meta["codec"] == "h264" and meta["fps"] == 30.0, meta
    count, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert count == frames, (count, frames)
    assert abs(count / 30.0 - seconds) < 0.1, (count, seconds)


def wm_delete(display: str, window_id: int) -> None:
    """What a window manager's close button sends: WM_PROTOCOLS / WM_DELETE_WINDOW."""
    from pyglet.libs.x11 import xlib

    d = xlib.XOpenDisplay(display.encode())
    event = xlib.XEvent()
    event.xclient.type = xlib.ClientMessage
    event.xclient.window = window_id
    event.xclient.message_type = xlib.XInternAtom(d, b"WM_PROTOCOLS", False)
    event.xclient.format = 32
    event.xclient.data.l[0] = xlib.XInternAtom(d, b"WM_DELETE_WINDOW", False)
    xlib.XSendEvent(d, window_id, False, 0, ctypes.byref(event))
    xlib.XFlush(d)
    xlib.XCloseDisplay(d)


def last_message(app: App) -> str:
    return (app.read()["messages"] or [""])[-1]


def recorded(app: App, started: str) -> tuple:
    """(path, frames) from the 'Recording ... saved' message after `started`."""
    text = last_message(app)
    assert "saved" in text and started in text, text
    frames = int(text.rsplit("(", 1)[1].split(" frames")[0])
    return app.saved / started, frames


def test_keys_screenshot_recording_and_scenarios(xvfb, tmp_path, model_dir):
    from PIL import Image

    app = App(xvfb, tmp_path, model_dir, size=(960, 540), ORBITVIZ_SCENARIO="grid-2028",
              ORBITVIZ_WARP="60")
    try:
        w, h = app.state["fb_size"]
        app.click(w / 2, h - 25)  # empty space near the bottom: the window has the keyboard
        time.sleep(0.5)
        # F12: a full-resolution PNG of the scene.
        app.key("F12")
        app.wait(lambda s: "Screenshot saved" in " ".join(s["messages"]), 20, "the screenshot")
        shot = sorted(app.saved.glob("*.png"))[-1]
        image = np.asarray(Image.open(shot))
        assert image.shape == (h, w, 3) and image.std() > 10, image.shape
        # Space, + / -, Tab, H: the state file shows each change.
        app.key("space")
        app.wait(lambda s: s["paused"] and s["clock"]["mode"] == "paused", 10, "pause")
        app.key("space")
        app.wait(lambda s: not s["paused"], 10, "play")
        app.key("plus")
        app.wait(lambda s: s["warp"] == 100.0, 10, "warp up to x100")
        app.key("minus")
        app.wait(lambda s: s["warp"] == 50.0, 10, "warp down to x50")
        app.key("Tab")
        app.wait(lambda s: not s["panel_visible"], 10, "Tab to hide the panels")
        app.key("Tab")
        app.wait(lambda s: s["panel_visible"], 10, "Tab to show the panels")
        app.key("h")
        app.wait(lambda s: s["help_visible"] and "help" in s["panel_rects"], 10, "the help")
        app.key("h")
        app.wait(lambda s: not s["help_visible"], 10, "H to close the help")
        # R ... R: one video frame per fixed step; the file plays and its length adds up.
        t0 = app.read()["sim_time_s"]
        app.key("r")
        app.wait(lambda s: s["recording"] and s["recording"]["frames"] >= 45, 30, "recording")
        app.key("r")
        state = app.wait(lambda s: s["recording"] is None, 20, "R to stop the recording")
        path, frames = recorded(app, sorted(p.name for p in app.saved.glob("*.mp4"))[-1])
        check_video(path, frames)
        # at x50 every video frame advanced the sim by exactly 50/30 s (slack: frames before R)
        assert state["sim_time_s"] - t0 >= frames * 50.0 / 30.0 - 1e-6
        # A resize while recording finishes the file and says so; the app goes on.
        app.key("r")
        app.wait(lambda s: s["recording"] and s["recording"]["frames"] >= 10, 30, "recording")
        window = app.xdo_search()
        app.xdo("windowsize", window, 800, 500)
        app.wait(lambda s: s["recording"] is None and s["window_size"] == [800, 500], 20,
                 "the resize to stop the recording")
        assert "changed size" in last_message(app)
        path, frames = recorded(app, sorted(p.name for p in app.saved.glob("*.mp4"))[-1])
        check_video(path, frames)
        # F11 twice: fullscreen on the 1920x1080 screen, then back.
        app.key("F11")
        app.wait(lambda s: s["fullscreen"] and s["window_size"] == [1920, 1080], 20, "fullscreen")
        time.sleep(1.0)  # (pyglet's new X window takes the keyboard itself: no WM here)
        app.key("F11")
        app.wait(lambda s: not s["fullscreen"], 20, "leaving fullscreen")
        # Scenario: a built-in from the list, a bad file (a message, the scenario stays), reset.
        app.click_widget("scenario_combo")
        app.wait(lambda s: "scenario:cluster-2025" in s["widgets"], 10, "the scenario list")
        time.sleep(0.3)
        app.click_widget("scenario:cluster-2025")
        app.wait(lambda s: s["scenario"] == "cluster-2025", 30, "cluster-2025 to load")
        bad = tmp_path / "bad.toml"
        bad.write_text("[scenario]\nname = 'bad'\n[[shells]]\nplanes = 'x'\n")
        app.click_widget("scenario_file")
        app.wait(lambda s: s["text_input"], 15, "the file field's focus")
        app.xdo("type", "--delay", "15", str(bad))
        time.sleep(0.5)
        app.click_widget("scenario_open")
        app.wait(lambda s: "Scenario not loaded" in last_message(app), 15, "the bad file's message")
        assert "bad.toml" in last_message(app)
        state = app.read()
        assert state["scenario"] == "cluster-2025" and app.proc.poll() is None
        time.sleep(1.0)
        before = app.read()["sim_time_s"]
        app.click_widget("scenario_reset")
        app.wait(lambda s: s["sim_time_s"] < before and "Loaded" in last_message(app), 20,
                 "reset to the scenario's start")
        # Closing the window while recording finishes the video; the app exits cleanly.
        app.click(400, 480)
        app.key("r")
        app.wait(lambda s: s["recording"] and s["recording"]["frames"] >= 10, 30, "recording")
        name = app.read()["recording"]["path"].rsplit("/", 1)[1]
        wm_delete(xvfb, app.xdo_search())
        assert app.proc.wait(timeout=30) == 0
        log = app.log_path.read_text()
        line = next(x for x in log.splitlines() if "Recording saved" in x and name in x)
        check_video(app.saved / name, int(line.rsplit("(", 1)[1].split(" frames")[0]))
    finally:
        app.stop()
