"""What the app tells a test driving it from outside (ORBITVIZ_TEST_STATE=path): a JSON file,
rewritten atomically a few times a second, with the camera, clickable satellites and their
pixels, the panel's rectangles, the selection, the round trips and the frame times.

It is real app state, not a mock: a test reads it, clicks with xdotool where the camera maths
puts a satellite, and checks what the app did. Frame statistics are also useful by themselves
(the frame must not stall while the onboard model generates).
"""
from __future__ import annotations

import json
import os
import pathlib
import time

import numpy as np


#: most satellites for which the state lists clickable candidates (the isolation test costs
#: about a second at 100,000, which the benchmark would count as the app's frame time)
CANDIDATES_MAX_SATS = 20_000


class FrameStats:
    """Frame start times, and for each whether the onboard model was generating."""

    def __init__(self, keep: int = 4000):
        self.keep = keep
        self.times: list[float] = []
        self.busy: list[bool] = []

    def add(self, t: float, busy: bool) -> None:
        self.times.append(t)
        self.busy.append(bool(busy))
        if len(self.times) > self.keep:
            del self.times[: len(self.times) - self.keep]
            del self.busy[: len(self.busy) - self.keep]

    def summary(self, last_s: float | None = None) -> dict:
        """Median frame interval, and the longest interval that ended while the model ran;
        over the frames of the last `last_s` seconds (default: all kept)."""
        times = np.asarray(self.times)
        first = 0 if last_s is None or not len(times) else \
            int(np.searchsorted(times, times[-1] - last_s))
        if len(times) - first < 3:
            return {"frames": len(times) - first}
        gaps = np.diff(times[first:]) * 1e3
        busy = np.asarray(self.busy[first + 1:], bool)
        idle = gaps[~busy] if (~busy).any() else gaps
        median = float(np.median(idle))
        out = {"frames": len(gaps) + 1, "median_ms": median, "max_ms": float(gaps.max()),
               "idle_p99_ms": float(np.percentile(idle, 99)), "busy_frames": int(busy.sum())}
        if busy.any():
            out.update(busy_median_ms=float(np.median(gaps[busy])),
                       busy_max_ms=float(gaps[busy].max()),
                       busy_over_2x=int((gaps[busy] > 2 * median).sum()))
        return out


def trip_json(view) -> dict:
    return {
        "id": view.request_id, "sat": int(view.sat), "station": int(view.station),
        "prompt": view.prompt, "reply": view.reply, "phase": view.phase, "tokens": view.tokens,
        "model": view.model,
        "done": bool(view.done), "error": view.error, "in_light_phase": bool(view.in_light_phase),
        "phases": [{"name": p.name, "duration_s": p.duration_s, "detail": p.detail}
                   for p in view.phases],
        "figures": {k: float(v) for k, v in dict(view.figures).items()},
    }


def text_input_active() -> bool:
    """True while a text field of the panel has the keyboard (keys then type, not command)."""
    from imgui_bundle import imgui

    return bool(imgui.get_io().want_text_input)


def sim_json(session, ahead_s: float) -> dict:
    """Where the sim steps (off: with the frame; a thread; a process), its steps and the
    last one's wall time, and how far this frame drew past its Snapshot (sim seconds)."""
    runner, published, snap = session.runner, session.published, session.snapshot
    out = {"worker": "off", "ahead_s": ahead_s, "n_sats": snap.n_sats,
           "step_index": snap.step_index}
    if runner is not None and published is not None:
        out.update(worker=runner.where,
                   steps=runner.steps, step_ms=published.step_s * 1e3)
    return out


class StateWriter:
    def __init__(self, path, every_s: float = 0.2):
        self.path = pathlib.Path(path)
        self.every_s = every_s
        self._last = 0.0
        self.frames = 0

    def maybe_write(self, app, now: float) -> None:
        self.frames += 1
        if now - self._last < self.every_s or self.frames < 3:  # the first imgui frame is empty
            return
        self._last = now
        self.write(app)

    def write(self, app) -> None:
        from viz.ui.window import project_candidates

        snap, cam, session = app.drawn, app.camera, app.session
        rects = [r for r in app.panel.rects.values()]
        # Beyond CANDIDATES_MAX_SATS the search for isolated satellites would cost the frame
        # up to seconds (the benchmark reads this file at 100,000 and a million satellites;
        # the tests that click candidates use a few thousand).
        candidates = project_candidates(cam, snap, rects) \
            if snap.n_sats <= CANDIDATES_MAX_SATS else []
        state = {
            "ready": True, "pid": os.getpid(), "wall": time.time(),
            "scenario": session.scenario_name, "title": session.title,
            "window_size": list(app.window.get_size()),
            "window_pos": list(app.window.get_location()), "fb_size": list(app.fb_size()),
            "camera": {"azimuth_deg": cam.azimuth_deg, "elevation_deg": cam.elevation_deg,
                       "distance_km": cam.distance_km, "target": cam.target.tolist(),
                       "size": list(cam.size), "fov_y_deg": cam.fov_y_deg,
                       "frame_rotation": np.asarray(cam.frame_rotation).tolist(),
                       "follow_index": cam.follow_index},
            "candidates": candidates,
            "positions_km": {str(c["index"]): snap.positions_km[c["index"]].tolist()
                             for c in candidates},
            "panel_rects": app.panel.rects, "prompt_box": app.panel.ask.prompt_rect,
            "widgets": app.panel.widgets,
            "panel_visible": app.panel.visible, "help_visible": app.panel.show_help,
            "text_input": text_input_active(),
            "fullscreen": bool(app.window.fullscreen),
            "recording": ({"path": str(app.recorder.path), "frames": app.recorder.frames}
                          if app.recorder is not None else None),
            "selected": int(snap.selected),
            "selected_name": snap.sat_names[snap.selected] if snap.selected >= 0 else "",
            "sim_time_s": snap.sim_time_s, "utc": snap.time_utc.isoformat(),
            "warp": snap.clock.warp_set, "paused": snap.clock.paused,
            "clock": {"mode": snap.clock.mode, "warp": snap.clock.warp, "note": snap.clock.note,
                      "script": session.script is not None},
            "trips": [trip_json(v) for v in snap.round_trips],
            "real_training": {"steps": len(snap.real_training_loss),
                              "running": snap.real_training_running,
                              "error": snap.real_training_error},
            "deploy": ({"version": snap.deploy.version, "holders": snap.deploy.holders,
                        "in_flight": snap.deploy.in_flight} if snap.deploy is not None else None),
            "messages": [m[1] for m in session.messages],
            "frames": app.stats.summary(),
            "frames_recent": app.stats.summary(last_s=10.0),
            "sim": sim_json(session, app.ahead_s),
            "detail_notes": app.detail_notes(),
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)
