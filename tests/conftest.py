"""Fixtures shared by the sim, onboard and viz tests."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def model_dir() -> str:
    """The shipped onboard model (assets/model) — real weights doing real inference."""
    shipped = ROOT / "assets" / "model"
    assert (shipped / "config.json").is_file(), f"the shipped model is missing: {shipped}"
    return str(shipped)
