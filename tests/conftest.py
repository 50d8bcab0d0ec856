"""Fixtures shared by the sim, onboard and viz tests."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> str:
    """The shipped onboard model (assets/model) — real weights doing real inference."""
    shipped = ROOT / "assets" / "model"
    if (shipped / "config.json").is_file():
        return str(shipped)
    # Only while the shipped weights are being trained: a tiny random model of the same format.
    from tests.onboard.conftest import write_model_dir

    return str(write_model_dir(tmp_path_factory.mktemp("model") / "tiny"))
