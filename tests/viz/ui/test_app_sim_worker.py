"""The real window with the sim in its own process (`--sim-worker process`): the window reports the
runner's steps, the panel says how the sim keeps up, and a click selects the satellite drawn
under the pointer (the drawn positions are the Snapshot's moved on to the frame's time)."""
import numpy as np

from tests.viz.ui.appdriver import App, camera_from


def test_sim_worker_window_steps_and_picks(xvfb, tmp_path, model_dir):
    app = App(xvfb, tmp_path, model_dir, args=("--scenario", "network-2035", "--warp", "10",
                                               "--sim-worker", "process"))
    try:
        first = app.wait(lambda s: s["sim"]["worker"] != "off" and s["sim"]["steps"] > 5, 30,
                         "the sim process to step")
        later = app.wait(lambda s: s["sim"]["steps"] > first["sim"]["steps"] + 10
                         and s["candidates"], 30, "more steps")
        assert later["sim_time_s"] > first["sim_time_s"]
        assert 0.0 <= later["sim"]["ahead_s"] <= 200.0
        pick = later["candidates"][0]
        cam = camera_from(later)
        px, _, front = cam.project(np.array(later["positions_km"][str(pick["index"])]))
        assert front[0] and np.allclose(px[0], pick["px"], atol=0.5)
        app.click(*pick["px"])
        state = app.wait(lambda s: s["selected"] >= 0, 10, "a selection")
        # (tests/viz/test_picking.py checks picking the drawn positions pixel by pixel; at
        # this warp the satellites move ~1 px a second, so the click still hits this one)
        assert state["selected"] == pick["index"], (pick, state["selected"])
    finally:
        app.stop()
