"""Fixtures for the viz tests: one EGL context and one Renderer for the whole session
(llvmpipe, 2 cores: keep it cheap), `draw` (a frame rendered offscreen and read back),
plausible Snapshots built in numpy (viz.synthetic), and `xvfb` (an X display for the
real-window tests, which are skipped without Xvfb, xdotool and xwd).

Golden images: `VIZ_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/viz` (or
`--update-golden`) rewrites tests/viz/golden/*.png instead of comparing.
"""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import time

import pytest

from viz.synthetic import make_snapshot


#: What the real-window tests (test_app_*.py) need on the machine.
X_TOOLS = ("Xvfb", "xdotool", "xwd")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/viz/golden/*.png from the current renderer")


@pytest.fixture(scope="session")
def ctx():
    from viz.offscreen import create_context

    context = create_context()
    yield context
    context.release()


@pytest.fixture(autouse=True)
def _session_context_current(request):
    """Make the session context current for every test that uses it: other tests (shot,
    recording) create and release their own EGL contexts, which leaves another one current,
    and GL calls go to whichever context is current."""
    if not {"ctx", "renderer"} & set(request.fixturenames):
        yield
        return
    with request.getfixturevalue("ctx"):
        yield


@pytest.fixture(scope="session")
def renderer(ctx):
    from viz.renderer import Renderer

    r = Renderer(ctx, (320, 180), quality="fast")
    yield r
    r.release()


@pytest.fixture
def draw(ctx, renderer):
    """Draw a Snapshot offscreen with the session renderer and read the frame back:
    `draw(snap, cam, time_s=1.25, samples=0, labels=True, layers=None, **frame)` -> (H,W,3)
    uint8, the image convention of `viz.offscreen` (row 0 at the top). The camera moves with
    the snapshot first, as every caller does. `labels=False` leaves the name labels out (text
    adds light of its own); `layers` (a LayerSettings) replaces the defaults; `frame`: more
    FrameContext fields (hovered, caption, ...)."""
    from sim.layers import LayerSettings
    from viz.frame import FrameContext
    from viz.offscreen import OffscreenTarget

    def _draw(snap, cam, time_s: float = 1.25, samples: int = 0, labels: bool = True,
              layers: LayerSettings | None = None, **frame):
        layers = (layers or LayerSettings()).with_toggles({"labels": labels})
        target = OffscreenTarget(ctx, cam.size, samples=samples)
        try:
            cam.move_with(snap)
            renderer.draw(snap, cam, target.fbo, FrameContext(time_s=time_s, layers=layers,
                                                              **frame))
            return target.read()
        finally:
            target.release()

    return _draw


@pytest.fixture
def snapshot():
    """6 planes x 10 satellites at 550 km, 53 deg, +Grid links, stations, flows; sat 3 selected."""
    return make_snapshot(planes=6, per_plane=10, n_flows=8, selected=3)


@pytest.fixture
def update_golden(request):
    import os

    return bool(request.config.getoption("--update-golden") or os.environ.get("VIZ_UPDATE_GOLDEN"))


def _free_display() -> int:
    for n in range(90, 200):
        if not pathlib.Path(f"/tmp/.X{n}-lock").exists() and \
                not pathlib.Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    pytest.skip("no free X display number")


@pytest.fixture(scope="module")
def xvfb():
    """An Xvfb display (1920x1080) for the real-window tests: ':N'. Skips the test when Xvfb,
    xdotool or xwd is missing."""
    if any(shutil.which(tool) is None for tool in X_TOOLS):
        pytest.skip("needs Xvfb, xdotool and xwd (apt-get install xvfb xauth xdotool x11-apps)")
    n = _free_display()
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if pathlib.Path(f"/tmp/.X11-unix/X{n}").exists():
            break
        time.sleep(0.1)
    yield f":{n}"
    proc.terminate()
    proc.wait(timeout=10)
