"""Fixtures for the renderer tests: one EGL context and one Renderer for the whole session
(llvmpipe, 2 cores: keep it cheap), and plausible Snapshots built in numpy (viz.synthetic).

Golden images: `VIZ_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/viz` (or
`--update-golden`) rewrites tests/viz/golden/*.png instead of comparing.
"""
from __future__ import annotations

import pytest

from viz.synthetic import make_snapshot


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
def snapshot():
    """6 planes x 10 satellites at 550 km, 53 deg, +Grid links, stations, flows; sat 3 selected."""
    return make_snapshot(planes=6, per_plane=10, n_flows=8, selected=3)


@pytest.fixture
def update_golden(request):
    import os

    return bool(request.config.getoption("--update-golden") or os.environ.get("VIZ_UPDATE_GOLDEN"))
