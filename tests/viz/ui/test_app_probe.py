"""The app's test probe (viz/ui/probe.py, project_candidates): cheap enough to run inside the
frame, and its frame statistics."""
import time
import types

import numpy as np

from viz.camera import OrbitCamera
from viz.ui.probe import FrameStats
from viz.ui.window import project_candidates


def test_candidates_are_isolated_and_cheap_on_a_dense_network():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(2800, 3))
    pos = v / np.linalg.norm(v, axis=1, keepdims=True) * 6900.0  # a 2,800-satellite shell
    snap = types.SimpleNamespace(positions_km=pos, sat_names=[f"S{i}" for i in range(2800)])
    cam = OrbitCamera((1280, 720))
    project_candidates(cam, snap, [(0, 0, 300, 500)])  # warm-up
    started = time.perf_counter()
    found = project_candidates(cam, snap, [(0, 0, 300, 500)])
    took = time.perf_counter() - started
    assert took < 0.05, took  # it was ~100 ms before being bounded
    pos = pos[:300]  # sparse enough for isolated satellites
    snap.positions_km = pos
    found = project_candidates(cam, snap, [(0, 0, 300, 500)])
    assert found
    px, _, front = cam.project(pos)
    for c in found:
        assert c["px"][0] > 316  # not under the panel rectangle
        d = np.hypot(*(px[front] - np.array(c["px"])).T)
        assert np.count_nonzero(d <= 14) == 1


def test_frame_stats_separate_frames_while_the_model_runs():
    stats = FrameStats()
    t = 0.0
    for k in range(100):
        busy = 40 <= k < 50
        t += 0.060 if k == 45 else 0.030
        stats.add(t, busy)
    s = stats.summary()
    assert abs(s["median_ms"] - 30) < 1e-6 and abs(s["busy_max_ms"] - 60) < 1e-6
    assert s["busy_frames"] == 10 and s["busy_over_2x"] == 0
