"""Shared fixtures for the simulation tests: worlds are expensive enough to build once."""
import pathlib

import pytest

from sim.world import World

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cluster_world():
    return World.from_scenario("cluster-2025")


@pytest.fixture(scope="session")
def network_world():
    return World.from_scenario("network-2035")


@pytest.fixture
def write(tmp_path):
    """Write a text file under tmp_path and return its path."""
    def _write(name: str, text: str) -> pathlib.Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return _write


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> str:
    """The shipped onboard model (assets/model) — real weights doing real inference."""
    shipped = ROOT / "assets" / "model"
    if (shipped / "config.json").is_file():
        return str(shipped)
    # Only while the shipped weights are being trained: a tiny random model of the same format.
    from tests.onboard.conftest import write_model_dir

    return str(write_model_dir(tmp_path_factory.mktemp("model") / "tiny"))
