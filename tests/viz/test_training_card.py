"""The training card (viz/training_card.py, layer `training_card`): its figures from the
Snapshot, the stacked bar's segments as long as the step's parts and drawn where the layout
says, its text, the toggle by a `layers` timeline entry, the job a `training` entry names, and
recordings that stay frame-exact with it."""
import types

import numpy as np
import pytest

from sim import timeline as tl
from sim.errors import UserError
from sim.snapshot import TrainingView
from sim.world import World
from viz.director import DirectedCamera, Director, Overlay
from viz.record_overlay import OverlayPainter
from viz.training_card import (PARTS, TrainingCard, bar_segments, card_layout, lines_of,
                               training_card)

#: One plane of 12 training satellites with one job (as tests/sim/test_training.py's ring).
RING = """
[scenario]
name = "ring12"
title = "Ring of twelve"
epoch = "2030-01-01T00:00:00Z"
[[shells]]
name = "RING"
role = "training"
altitude_km = 550
inclination_deg = 53
planes = 1
sats_per_plane = 12
[compute]
training_pflops = 100
[traffic]
requests_per_s = 0
[[training]]
name = "job"
shell = "RING"
parameters = 1e9
tokens_per_step = 4096
[[training]]
name = "second"
shell = "RING"
count = 6
parameters = 1e8
"""

SCRIPT = """
[[timeline]]
at = 0
kind = "camera"
distance_km = 20000
[[timeline]]
at = 0
kind = "warp"
warp = 20
[[timeline]]
at = 0.5
kind = "layers"
training_card = true
[[timeline]]
at = 1.0
kind = "training"
job = "second"
sync_every = 2
[[timeline]]
at = 2
kind = "end"
"""

CARD = TrainingCard(name="pretrain-8b", members=400, collective="ring", sync_every=1,
                    link_gbps=100.0, parameters=8e9, phase="all-gather", progress=0.25,
                    step_now=4, steps=1, last_step=3, compute_s=2.0, scatter_s=3.0,
                    gather_s=3.0, waiting_s=2.0, tokens_per_s=1.51e6, pflops_fraction=7.2e-5,
                    busiest="TRN-A \u2013 TRN-B", busiest_utilisation=0.29)


@pytest.fixture(scope="module")
def ring_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "ring.toml"
    path.write_text(RING + SCRIPT)
    return path


def test_bar_segments_are_proportional_and_a_tiny_part_stays_visible():
    spans = bar_segments([2.0, 3.0, 0.0, 1.0], 10, 600, 4)
    assert spans == [(10, 210), (210, 510), (510, 510), (510, 610)]
    spans = bar_segments([0.0016, 4.09, 4.09, 0.52], 0, 500, 4)  # network-2035's step
    assert spans[0] == (0, 4) and spans[-1][1] == 500  # compute: 4 px, not 0.09
    widths = [b - a for a, b in spans]
    assert widths[1] == pytest.approx(500 * 4.09 / 8.7016, abs=5)  # the 4 px came off it
    assert bar_segments([0.0, 0.0], 5, 100, 4) == [(5, 5), (5, 5)]


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_card_draws_its_bar_where_the_layout_says(size):
    W, H = size
    layout = card_layout(CARD, size)
    frame = np.zeros((H, W, 3), np.uint8)
    OverlayPainter(size).compose(frame, [Overlay("training", "", "", "top-right", 1.0, CARD)])
    # the card sits top right, inside the frame, a third of its width or more
    assert layout.x + layout.width < W and layout.x > W / 2 and layout.width >= 0.36 * W
    assert frame[:layout.y].max() == 0 and frame[:, :layout.x].max() == 0
    x0, y0, x1, y1 = layout.bar
    row = frame[layout.y + (y0 + y1) // 2, layout.x + x0:layout.x + x1].astype(int)
    total = CARD.total_s
    measured = {}
    for key, _, colour in PARTS:  # each colour's run of pixels along the bar
        measured[key] = int((np.abs(row - colour[:3]).sum(axis=1) <= 3).sum())
        assert measured[key] == pytest.approx((x1 - x0) * CARD.part_s(key) / total, abs=1.5)
    # in order: compute (white), reduce-scatter (orange), all-gather (violet), waiting (grey)
    segments = [(key, a, b) for key, a, b, _ in layout.segments]
    assert [k for k, _, _ in segments] == ["compute", "scatter", "gather", "waiting"]
    assert all(b0 == a1 for (_, _, b0), (_, a1, _) in zip(segments, segments[1:]))
    # the progress bar: a quarter filled in the all-gather's violet
    px0, py0, px1, py1 = layout.progress
    track = frame[layout.y + (py0 + py1) // 2, layout.x + px0:layout.x + px1].astype(int)
    violet = (np.abs(track - PARTS[2][2][:3]).sum(axis=1) <= 3).sum()
    assert violet == pytest.approx(0.25 * (px1 - px0), abs=1.5)


def test_the_card_says_what_the_step_did():
    text = lines_of(CARD)
    assert text["head"] == "Training pretrain-8b"
    assert text["setup"] == "400 satellites \u00b7 8 billion parameters \u00b7 lasers 100 Gbps"
    assert text["links"] == "ring all-reduce, sync every step"
    assert text["label"] == "Step 3 took 10.0 s"
    assert text["rate"] == "1.51 million tokens/s \u00b7 0.0072% of the stated PFLOPS"
    assert text["busiest"] == "busiest link TRN-A \u2013 TRN-B: 29%"
    assert text["now"] == "Now: step 4, all-gather"
    # every row is drawn: bright text pixels inside each row's box
    size = (1280, 720)
    layout = card_layout(CARD, size)
    patch = np.asarray(OverlayPainter(size)._training_card(
        Overlay("training", "", "", "top-right", 1.0, CARD))[0])
    for words, px, _, x, y in layout.rows:
        box = patch[y:y + px, x:x + int(0.5 * px * len(words))]
        assert box.max() > 150, words


def _view(**change):
    figures = {"step": 8.0, "step_s": 10.0, "compute_s": 0.01, "communication_s": 9.0,
               "waiting_s": 0.99, "gather_s": 4.5, "synced": 1.0, "tokens_per_s": 1000.0,
               "pflops_fraction": 0.001, "busiest_utilisation": 0.5, "busiest_a": 0.0,
               "busiest_b": 1.0}
    base = dict(name="job", collective="ring", members=np.arange(12, dtype=np.int32),
                steps_done=9, phase="compute", phase_progress=0.5, figures=figures,
                busiest_pair=np.array([0, 1], np.int32),
                ring_link_pairs=np.zeros((0, 2), np.int32), sync_figures=figures,
                parameters=1e9)
    return TrainingView(**{**base, **change})


def _snap(*views):
    return types.SimpleNamespace(training=views, isl_capacity_gbps=np.array([100.0, 1600.0]),
                                 n_sats=12, sat_names=tuple(f"S{k}" for k in range(12)))


def test_the_card_reads_the_snapshot_and_a_diloco_cycle():
    card = training_card(_snap(_view()))
    assert (card.compute_s, card.scatter_s, card.gather_s) == (0.01, 4.5, 4.5)
    assert card.link_gbps == 1600 and card.busiest == "S0 \u2013 S1" and card.step_now == 10
    assert card.tokens_per_s == pytest.approx(1000.0)
    # sync every 4: the last local step is on its own, the bar is the cycle of 4 steps
    local = dict(_view().figures, step=10.0, step_s=0.01, communication_s=0.0, waiting_s=0.0,
                 gather_s=0.0, synced=0.0, tokens_per_s=1e6, busiest_a=-1.0, busiest_b=-1.0)
    card = training_card(_snap(_view(sync_every=4, figures=local)))
    assert card.steps == 4 and card.compute_s == pytest.approx(0.04)
    assert card.tokens_per_s == pytest.approx(4 * 1000.0 * 10.0 / (0.04 + 9.0 + 0.99))
    assert lines_of(card)["label"] == "A cycle of 4 steps (3 local + 1 sync): 10.0 s"
    # just after sync_every changed, the last sync step is not a cycle of 4: no bar yet
    card = training_card(_snap(_view(sync_every=4, figures=local,
                                     sync_figures=dict(_view().figures, sync_every=1.0))))
    assert card.steps == 0 and card.total_s == 0
    assert lines_of(card)["label"] == "the first cycle of 4 steps is under way"
    assert "busiest" not in lines_of(card) and "rate" not in lines_of(card)
    # back to syncing every step, the last (local) step is no step of that job: no bar yet
    assert training_card(_snap(_view(figures=local))).steps == 0
    # a job is picked by name; none before its first step has figures to show
    two = _snap(_view(), _view(name="Second", figures={}, sync_figures={}))
    assert training_card(two, "second").name == "Second"
    assert lines_of(training_card(two, "second"))["label"] == "the first step is under way"
    assert training_card(two, "nope").name == "job" and training_card(_snap()) is None


def test_a_layers_entry_shows_the_card_and_a_training_entry_names_its_job(ring_file):
    world = World.from_scenario(str(ring_file))
    timeline = tl.load(ring_file)
    director = Director(timeline, DirectedCamera((320, 180)), fps=10)
    director.validate(world.snapshot())
    kinds = []
    for t in (0.0, 0.5, 1.0):
        director.layers_due(t)
        kinds.append([o for o in director.prepare(t, world.snapshot()) if o.kind == "training"])
    assert kinds[0] == [] and kinds[1][0].card.name == "job" and kinds[1][0].alpha == 1.0
    assert kinds[2][0].card.name == "second" and kinds[2][0].position == "top-right"


def test_a_recording_with_the_card_is_frame_exact(ring_file, tmp_path):
    from tests.viz.test_record import parse

    frames = []
    for name in ("a", "b"):
        args = parse(["--scenario", str(ring_file), "--png-dir", str(tmp_path / name),
                      "--size", "640x360", "--fps", "5", "--samples", "0",
                      "--quality", "fast"])
        assert args.handler(args) == 0
        frames.append(sorted((tmp_path / name).glob("frame_*.png")))
    assert len(frames[0]) == 10
    from PIL import Image

    for a, b in zip(*frames):
        assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
    before, after = (np.asarray(Image.open(frames[0][k])) for k in (1, 4))
    layout = card_layout(CARD, (640, 360))
    corner = (slice(layout.y, layout.y + 40), slice(layout.x + 10, 630))
    assert np.abs(after[corner].astype(int) - before[corner]).max() > 100  # the card came


def test_shot_draws_the_card_and_refuses_it_without_a_job(tmp_path, capsys):
    import run

    out = tmp_path / "card.png"
    assert run.main(["shot", "--scenario", "cluster-2025", "--layers", "training_card",
                     "--out", str(out), "--size", "320x180", "--samples", "0"]) == 2
    assert "--layers training_card: this scenario has no [[training]] job" in \
        capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(UserError, match="unknown layer 'training_cards'"):
        tl.loads('[[timeline]]\nat = 0\nkind = "layers"\ntraining_cards = true\n')
