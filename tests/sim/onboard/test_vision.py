"""The on-board vision model: the shipped weights reach the held-out accuracy their training run
recorded (recomputed here on the same held-out tiles), known places get their class, FLOPs are
counted layer by layer, and a classification runs on the onboard worker's thread."""
import threading

import numpy as np
import pytest

from sim import scene
from sim.onboard import tiles, vision


@pytest.fixture(scope="module")
def model():
    return vision.load()


@pytest.fixture(scope="module")
def heldout():
    return tiles.make_tiles(tiles.HELDOUT_SEED, tiles.HELDOUT_COUNT, heldout=True)


def test_shipped_weights_are_small(model):
    size = (vision.VISION_DIR / vision.WEIGHTS_FILE).stat().st_size
    assert 100_000 < size < 1_000_000  # a few hundred KB
    assert vision.parameter_count(model) * 4 <= size


def test_shipped_weights_reach_the_recorded_heldout_accuracy(model, heldout):
    record = vision.heldout_record()
    assert record["heldout_seed"] == tiles.HELDOUT_SEED
    assert record["heldout_count"] == tiles.HELDOUT_COUNT == len(heldout[0])
    x, y = heldout
    predicted = vision.predict(model, x).argmax(axis=1)
    overall = float((predicted == y).mean())
    assert overall >= record["heldout"]["accuracy"] - 0.005
    for index, name in enumerate(tiles.CLASSES):
        recorded = record["heldout"]["per_class"][name]
        assert int((y == index).sum()) == recorded["tiles"], name  # the same tiles
        if recorded["tiles"]:
            accuracy = float((predicted[y == index] == index).mean())
            # one tile's worth of slack for float differences between machines
            assert accuracy >= recorded["accuracy"] - 1.0 / recorded["tiles"] - 1e-9, name
    assert overall > 0.8  # far above chance (1/6) and above "always the commonest class"
    assert overall > np.bincount(y).max() / len(y) + 0.3


@pytest.mark.parametrize("lat, lon, lit, expected", [
    (23.0, 10.0, True, "desert"),       # central Sahara
    (-5.0, -62.0, True, "vegetation"),  # Amazon rainforest
    (0.0, -150.0, True, "ocean"),       # central Pacific
    (-80.0, 30.0, True, "ice"),         # Antarctic ice sheet
    (48.0, 10.0, False, "night"),       # central Europe seen at night
])
def test_known_places(model, lat, lon, lit, expected):
    plat, plon = scene.swath_points(lat, lon, 0.0, 290.0)
    tile = scene.render_tile(plat, plon, lit=lit)
    label, confidence, probabilities = vision.classify(tile, model)
    assert label == expected and confidence == max(probabilities.values())
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    # and the rules of the labels agree with the map
    assert tiles.CLASSES[tiles.label_points(plat[None], plon[None], [not lit])[0]] == expected


def test_forward_flops_count_every_multiply_add(model):
    # conv1 stride 2: 32x32 outputs x 12 channels x (3 x 3 x 3); then 32x32x24 x (12x9),
    # 16x16x48 x (24x9), 8x8x64 x (48x9); linear 64 -> 6; 2 FLOPs per multiply-add
    macs = (32 * 32 * 12 * 27 + 32 * 32 * 24 * 108 + 16 * 16 * 48 * 216 + 8 * 8 * 64 * 432
            + 64 * 6)
    assert vision.forward_flops(model) == 2 * macs


def test_classification_runs_on_the_worker_thread(make_model_dir):
    from sim.onboard.loading import load_model
    from sim.onboard.worker import OnboardWorker, TaskDoneEvent, TaskRequest

    tile = scene.render_tile(*scene.swath_points(23.0, 10.0, 0.0, 290.0), lit=True)
    seen = {}

    def run():
        seen["thread"] = threading.current_thread().name
        return vision.classify(tile)

    with OnboardWorker(load_model(make_model_dir("v"))) as worker:
        event = worker.submit(TaskRequest(3, run)).wait(timeout=30)
    assert isinstance(event, TaskDoneEvent) and event.satellite_id == 3
    assert seen["thread"] == "onboard-model" != threading.current_thread().name
    assert event.result[0] == "desert" and event.measured_s > 0


def test_vision_bench_reports_tiles_per_second(capsys):
    from sim.onboard.bench import run_vision_bench

    out = run_vision_bench(runs=1, batch=16)
    assert out["torch_threads"] == 1 and out["flops_per_tile"] == vision.forward_flops(
        vision.load())
    assert out["tiles_per_s_one_at_a_time"] > 0 and out["tiles_per_s_batch_16"] > 0
    assert out["gflops_per_s_batched"] == pytest.approx(
        out["tiles_per_s_batch_16"] * out["flops_per_tile"] / 1e9, rel=0.01, abs=0.01)
    assert "tiles/s one at a time" in capsys.readouterr().out
