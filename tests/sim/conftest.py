"""Shared fixtures for the simulation tests: worlds are expensive enough to build once
(`model_dir` is in tests/conftest.py)."""
import pathlib

import pytest

from sim.world import World


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
