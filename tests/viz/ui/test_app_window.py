"""The desktop app driven for real: Xvfb, the real window, xdotool clicks and keys.

Launches `run.py` (the plain app) on network-2030 in a 1280x720 window, reads the app's state
file (ORBITVIZ_TEST_STATE), rebuilds the camera from it and clicks a satellite at the pixel
the camera maths gives, types a prompt in the Ask box, presses Enter and waits for the answer.
Checks the selection, the streamed tokens, the recorded phases, the slow motion around the
light-time legs, and the frame gaps while the onboard model generates. Screenshots (xwd)
land in $ORBITVIZ_TEST_SHOTS (default: the test's tmp folder).

Needs Xvfb, xdotool and xwd (apt: xvfb xauth xdotool x11-apps); skipped without them (the
`xvfb` fixture, tests/viz/conftest.py).
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np

from tests.viz.ui.appdriver import ROOT, App, camera_from, read_state, screenshot, wait_for


def test_click_ask_and_answer(xvfb, tmp_path, model_dir):
    shots = pathlib.Path(os.environ.get("ORBITVIZ_TEST_SHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    state_path = tmp_path / "state.json"
    size = (1280, 720)
    env = {**os.environ, "DISPLAY": xvfb, "ORBITVIZ_SCENARIO": "network-2030",
           "ORBITVIZ_SIZE": f"{size[0]}x{size[1]}", "ORBITVIZ_WARP": "1",
           "ORBITVIZ_TEST_STATE": str(state_path), "ORBITVIZ_MODEL_DIR": model_dir,
           "ORBITVIZ_SHOTS_DIR": str(tmp_path / "saved"), "ORBITVIZ_QUALITY": "fast"}
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    xdo = lambda *a: subprocess.run(["xdotool", *map(str, a)], env=env, check=True)  # noqa: E731
    try:
        state = wait_for(state_path, lambda s: s.get("ready") and s["candidates"], 30, proc,
                         "the window")
        # Click a satellite where the camera maths projects it (rebuilt here from the state).
        pick = state["candidates"][0]
        cam = camera_from(state)
        px, _, front = cam.project(np.array(state["positions_km"][str(pick["index"])]))
        assert front[0] and np.allclose(px[0], pick["px"], atol=0.5)
        wx, wy = state["window_pos"]
        xdo("mousemove", int(wx + px[0, 0]), int(wy + px[0, 1]))
        time.sleep(0.3)
        xdo("click", 1)
        state = wait_for(state_path, lambda s: s["selected"] == pick["index"], 10, proc,
                         f"selection of {pick['name']}")
        assert state["selected_name"] == pick["name"]
        # Type a prompt in the Ask box and send it with Enter.
        x0, y0, x1, y1 = state["prompt_box"]
        xdo("mousemove", int(wx + (x0 + x1) / 2), int(wy + (y0 + y1) / 2))
        xdo("click", 1)
        # Type only once the box has the keyboard: on a busy machine a frame takes long, and
        # keys sent before it went to the scene (Space pauses).
        wait_for(state_path, lambda s: s["text_input"], 15, proc, "the prompt box's focus")
        xdo("type", "--delay", "20", "What do you see from orbit?")
        xdo("key", "Return")
        state = wait_for(state_path, lambda s: s["trips"], 30, proc, "the round trip to start")
        modes, shot_taken = set(), False
        end = time.monotonic() + 45
        while time.monotonic() < end:
            state = read_state(state_path) or state
            modes.add(state["clock"]["mode"])
            trip = state["trips"][-1]
            if not shot_taken and trip["tokens"] > 0 and not trip["done"]:
                screenshot(xvfb, shots / "app-during.png", size)
                shot_taken = True
            if trip["done"]:
                break
            time.sleep(0.1)
        trip = state["trips"][-1]
        assert trip["done"] and not trip["error"], trip
        # the words typed arrive (xdotool may lose a first key on a loaded machine)
        assert trip["prompt"].endswith("see from orbit?"), trip["prompt"]
        assert trip["tokens"] > 0 and trip["reply"].strip(), trip
        names = [p["name"] for p in trip["phases"]]
        for phase in ("uplink", "inference", "downlink"):
            assert phase in names, names
        assert trip["figures"].get("generated_tokens", 0) > 0
        assert "slow" in modes, f"no slow motion seen around the light-time legs: {modes}"
        time.sleep(1.0)
        state = read_state(state_path) or state
        screenshot(xvfb, shots / "app-answered.png", size)
        frames = state["frames"]
        (shots / "frames.json").write_text(json.dumps(frames, indent=2))
        print("frame times:", json.dumps(frames))
        assert frames.get("busy_frames", 0) > 0, "no frame was drawn while the model generated"
        # Kept loose on a shared 2-core llvmpipe box; the measured figures are reported.
        assert frames["busy_max_ms"] < 10 * frames["median_ms"] + 200, frames
        # Outside inference too: importing torch on a low-priority thread once stalled frames
        # by 100-300 ms (p99 ~5x the median); now ~1.6x on a quiet machine.
        assert frames["idle_p99_ms"] < 3 * frames["median_ms"] + 60, frames
        # Keys reach the scene when no text field has the keyboard: Escape deselects.
        xdo("mousemove", int(wx + size[0] / 2), int(wy + size[1] - 30))
        xdo("click", 1)
        time.sleep(0.5)
        xdo("key", "Escape")  # the first Escape may only leave the prompt box (imgui's)
        time.sleep(0.5)
        if (read_state(state_path) or {}).get("selected") != -1:
            xdo("key", "Escape")
        wait_for(state_path, lambda s: s["selected"] == -1, 5, proc, "Escape to deselect")
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print((tmp_path / "app.log").read_text()[-3000:])


def ask(app: App, name: str, prompt: str) -> None:
    """Click the satellite `name` where the app says it is, type `prompt`, press Enter.
    Start the app at a low warp: the pixel is read from a state file up to 0.2 s old."""
    pick = next(c for c in app.read()["candidates"] if c["name"] == name)
    app.click(*pick["px"])
    app.wait(lambda s: s["selected_name"] == name, 15, f"selection of {name}")
    x0, y0, x1, y1 = app.state["prompt_box"]
    app.click((x0 + x1) / 2, (y0 + y1) / 2)
    app.wait(lambda s: s["text_input"], 15, "the prompt box's focus")
    app.xdo("type", "--delay", "20", prompt)
    app.xdo("key", "Return")


def test_cluster_waits_for_the_next_pass(xvfb, tmp_path, model_dir):
    """cluster-2025 with no station in view of the cluster: the request waits visibly (the log
    says why, the banner says the clock fast-forwards) and completes within seconds of wall
    time. (`--at` re-epochs the synthetic cluster; at this instant the next pass is ~25 min
    away in the sim, found here by trying instants, see the app's report.)"""
    shots = pathlib.Path(os.environ.get("ORBITVIZ_TEST_SHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    app = App(xvfb, tmp_path, model_dir, args=("--scenario", "cluster-2025", "--at",
                                    "2026-01-15T12:40:00Z", "--warp", "60"))
    try:
        ask(app, "XS-09", "Tell me of the stars tonight.")
        app.wait(lambda s: s["trips"], 20, "the request to start")
        seen, shot, started = set(), False, time.monotonic()
        while time.monotonic() - started < 60:
            state = app.read()
            trip = state["trips"][-1]
            seen.add((trip["phase"], state["clock"]["mode"]))
            if trip["phase"] == "waiting_up" and state["clock"]["mode"] == "fast" and not shot:
                screenshot(app.display, shots / "app-cluster-waiting.png", app.size)
                shot = True
                assert "next pass" in state["clock"]["note"], state["clock"]
            if trip["done"]:
                break
            time.sleep(0.1)
        trip = state["trips"][-1]
        assert trip["done"] and not trip["error"], trip
        waits = [p for p in trip["phases"] if p["name"] == "waiting_up"]
        assert waits and waits[0]["duration_s"] > 600, trip["phases"]
        assert "no station sees" in waits[0]["detail"]
        assert ("waiting_up", "fast") in seen, seen  # the wait was fast-forwarded, visibly
        assert {"uplink", "inference", "downlink"} <= {p["name"] for p in trip["phases"]}
        # a 20+ minute wait passes in seconds of wall time, light legs included
        assert time.monotonic() - started < 45
    finally:
        app.stop()
