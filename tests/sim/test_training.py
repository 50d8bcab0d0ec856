"""Training in orbit (sim/training.py, `run.py train`): the routed ring all-reduce against its
closed form, the departure when a link is loaded, DiLoCo's H, the compute term, bad input."""
import json

import numpy as np
import pytest

from sim import scenario as scenario_mod
from sim.cli_train import run_steps
from sim.constants import SPEED_OF_LIGHT_KM_S
from sim.errors import UserError
from sim.training import (LaserGraph, TrainingJob, closed_form_s, plan_collective,
                          plane_groups, ring_order, select_members)
from sim.world import World
from tests.cli_helpers import assert_one_line_error, cli

#: One plane of 12 training satellites 30 deg apart: a uniform ring of equal laser hops.
RING_TOML = """
[scenario]
name = "ring12"
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
bytes_per_value = 2
tokens_per_step = 4096
mfu = 0.5
"""
#: Four planes of four: the +Grid, for ring order and the 2-D collective.
GRID_TOML = RING_TOML.replace("planes = 1", "planes = 4\nraan_spread_deg = 40") \
    .replace("sats_per_plane = 12", "sats_per_plane = 12").replace('name = "ring12"',
                                                                    'name = "grid"')


@pytest.fixture(scope="module")
def ring_world(tmp_path_factory):
    path = tmp_path_factory.mktemp("ring") / "ring.toml"
    path.write_text(RING_TOML)
    return World.from_scenario(str(path))


def _plan(world, load=None, job=None):
    job = job or world.scenario.training[0]
    isl = world.geometry.isl
    graph = LaserGraph(isl.pairs, isl.length_km, world.constellation.size)
    members = select_members(job, world.constellation)
    load = np.zeros(len(isl.pairs)) if load is None else load
    return plan_collective(job, plane_groups(members, world.constellation), graph, 100.0, load)


def test_equal_hops_give_exactly_the_closed_form():
    n, hop_km = 12, 3586.0
    pairs = np.sort(np.stack([np.arange(n), (np.arange(n) + 1) % n], 1), axis=1)
    graph = LaserGraph(pairs, np.full(n, hop_km), n)
    job = TrainingJob(parameters=1e9, bytes_per_value=2)
    plan = plan_collective(job, [np.arange(n)], graph, 100.0, np.zeros(n))
    alpha = hop_km / SPEED_OF_LIGHT_KM_S
    assert plan.duration_s == pytest.approx(closed_form_s(n, 2e9, 100.0, alpha), rel=1e-12)
    assert plan.duration_s == pytest.approx(2 * 11 / 12 * 2e9 * 8 / 100e9 + 22 * alpha,
                                            rel=1e-12)
    assert plan.waiting_s == pytest.approx(0.0, abs=1e-12)


def test_uniform_ring_matches_the_closed_form(ring_world):
    plan = _plan(ring_world)
    assert len(ring_world.geometry.isl.pairs) == 12  # the ring plane, every hop up
    light = plan.phases[0].edge_light_s
    # hops of one circular plane differ by ~0.2% (Earth's oblateness in SGP4): the slowest
    # hop is the closed form's alpha
    assert np.ptp(light) / light.mean() < 2e-3
    assert [p.name for p in plan.phases] == ["reduce-scatter", "all-gather"]
    assert all(p.rounds == 11 and p.chunk_bytes == pytest.approx(2e9 / 12) for p in plan.phases)
    expected = closed_form_s(12, 2e9, 100.0, light.max())
    assert plan.duration_s == pytest.approx(expected, rel=1e-12)
    # 2(N-1)/N x S/B = 22/12 x 2e9 x 8 / 1e11 = 0.29333 s, plus 22 light-times of ~11.9 ms
    assert expected == pytest.approx(22 / 12 * 0.16 + 22 * light.mean(), rel=1e-3)
    assert plan.waiting_s == pytest.approx(22 * (light.max() - light.mean()))
    assert plan.bytes_moved == pytest.approx(2 * 11 * 2e9)


def test_a_loaded_link_sets_every_round(ring_world):
    pairs = ring_world.geometry.isl.pairs
    load = np.zeros(len(pairs))
    load[3] = 60.0  # inference traffic leaves 40 Gbps on one link
    plan = _plan(ring_world, load)
    chunk = 2e9 / 12
    slow = next(e for e, r in enumerate(plan.phases[0].edge_links) if r[0] == 3)
    round_s = chunk * 8 / 40e9 + plan.phases[0].edge_light_s[slow]
    assert plan.phases[0].round_s == pytest.approx(round_s, rel=1e-12)
    assert plan.duration_s == pytest.approx(22 * round_s, rel=1e-12)
    uniform = _plan(ring_world).duration_s
    # the slow edge costs every round the time of its missing 60 Gbps, not one edge's share
    assert plan.duration_s - uniform == pytest.approx(22 * chunk * 8 * (1 / 40e9 - 1 / 100e9),
                                                      rel=1e-3)
    assert plan.waiting_s > 0  # the other 11 members wait for it
    assert tuple(pairs[3]) == plan.busiest_pair
    # 60 Gbps of inference + 40 Gbps of training while it sends, idle for light-time
    transfer = chunk * 8 / 40e9
    assert plan.busiest_utilisation == pytest.approx(0.6 + 0.4 * transfer / round_s, rel=1e-9)


def test_compute_term_by_hand(ring_world):
    run = ring_world.training.runs[0]
    # 6 x 1e9 x 4096 FLOPs at 100 PFLOPS x 0.5 MFU
    assert run.compute_s == pytest.approx(6 * 1e9 * 4096 / (100e15 * 0.5))


def test_diloco_sync_every_h_divides_communication(tmp_path):
    totals = {}
    for h in (1, 4):
        path = tmp_path / f"h{h}.toml"
        path.write_text(RING_TOML + f"sync_every = {h}\n")
        world = World.from_scenario(str(path))
        steps = run_steps(world, world.training.runs[0], 8)
        assert [f.synced for f in steps] == [(k + 1) % h == 0 for k in range(8)]
        totals[h] = sum(f.communication_s + f.waiting_s for f in steps)
        if h == 4:  # a local step last: the view also keeps the last step that synced
            world.step(2 * steps[-1].compute_s)
            view = world.snapshot().training[0]
            assert view.figures["synced"] == 0.0 and view.figures["communication_s"] == 0
            assert view.sync_figures["step"] == 8 and view.sync_figures["synced"] == 1.0
            assert view.sync_figures["communication_s"] == pytest.approx(
                steps[-1].communication_s)
    assert totals[4] == pytest.approx(totals[1] / 4, rel=1e-3)


def test_local_steps_are_skipped_in_bulk(tmp_path):
    path = tmp_path / "local.toml"
    path.write_text(RING_TOML + "sync_every = 1000000\n")
    world = World.from_scenario(str(path))
    run = world.training.runs[0]
    world.step(60.0)  # one long World step: ~122,000 compute-only steps, no collective yet
    assert run.step_index == int(60.0 // run.compute_s)
    assert run.plan is None and len(run.history) == 1
    assert run.step_start_s == pytest.approx(world.sim_time_s - 60.0 +
                                             run.step_index * run.compute_s)


def test_steps_advance_in_sim_time_and_reach_the_snapshot(ring_world):
    world = World(ring_world.scenario)
    run = world.training.runs[0]
    snap = world.step(run.comm_start_s - world.sim_time_s + 0.01)
    view = snap.training[0]
    assert view.phase == "reduce-scatter" and view.steps_done == 0
    snap = world.step(run.end_s() - world.sim_time_s)
    view = snap.training[0]
    assert view.steps_done == 1 and view.figures["step_s"] > view.figures["compute_s"]
    assert view.figures["pflops_fraction"] < 1
    # a ring's two phases move the same chunks over the same edges: half of it gathers
    assert view.figures["gather_s"] == pytest.approx(view.figures["communication_s"] / 2)
    assert view.figures["synced"] == 1.0
    with pytest.raises(ValueError):
        view.members[0] = 1  # read-only


def test_a_dropped_link_reforms_the_ring_and_the_step_pays(ring_world):
    world = World(ring_world.scenario)
    run = world.training.runs[0]
    world.step(run.comm_start_s - world.sim_time_s + 0.05)
    planned_end = run.end_s()
    # break the ring: drop a link the plan uses (as if a terminal lost lock)
    from sim.training import Instant
    geo = world.geometry
    keep = np.ones(len(geo.isl.pairs), bool)
    keep[0] = False
    broken = type(geo.isl)(geo.isl.pairs[keep], geo.isl.length_km[keep])
    import dataclasses
    world._geometry = dataclasses.replace(geo, isl=broken)
    run.advance(world.sim_time_s, Instant(world.geometry, world.traffic, world.sim_time_s, 100.0),
                geo.state.online)
    assert run.reformed == 1 and run.end_s() > planned_end
    assert any("re-formed" in line for line in run.log)


def test_grid_ring_order_and_collective(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID_TOML)
    world = World.from_scenario(str(path))
    con = world.constellation
    groups = plane_groups(select_members(world.scenario.training[0], con), con)
    order = ring_order(groups)
    assert sorted(order) == list(range(48))
    plan = _plan(world)
    assert plan.phases[0].edge_links and all(len(r) == 1 for r in plan.phases[0].edge_links)
    job = TrainingJob(name="g", shell="RING", parameters=1e9, collective="grid")
    grid = _plan(world, job=job)
    assert [p.name for p in grid.phases] == ["reduce-scatter in planes",
                                             "reduce-scatter across planes",
                                             "all-gather across planes", "all-gather in planes"]
    assert [p.rounds for p in grid.phases] == [11, 3, 3, 11]
    hier = _plan(world, job=TrainingJob(name="h", shell="RING", collective="hierarchical"))
    assert [(p.name, p.rounds) for p in hier.phases] == [
        ("reduce-scatter in planes", 11), ("gather to plane leaders", 11),
        ("reduce-scatter among leaders", 3), ("all-gather among leaders", 3),
        ("broadcast in planes", 11)]
    assert hier.phases[2].chunk_bytes == pytest.approx(16e9 / 4)  # 8e9 x 2 bytes, 4 leaders
    uneven = TrainingJob(name="u", shell="RING", count=20, collective="grid")
    with pytest.raises(UserError, match="same number of members in every plane"):
        _plan(world, job=uneven)


@pytest.mark.parametrize("extra, expected", [
    ("parameters = -1\n", "training[1].parameters"),
    ("shell = 'NOPE'\n", "unknown shell 'NOPE'"),
    ("collective = 'tree'\n", "training[1].collective"),
    ("sync_every = 0\n", "training[1].sync_every"),
    ("bogus = 1\n", "training[1]"),
    ("mfu = 'high'\n", "training[1].mfu"),
])
def test_bad_training_tables(tmp_path, extra, expected):
    text = RING_TOML.split("[[training]]")[0] + "[[training]]\n" + extra
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserError, match=expected.replace("[", r"\[").replace("]", r"\]")) as info:
        scenario_mod.load_toml(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_train_json_on_network_2035(capsys):
    code, out, err = cli(capsys, "train", "--scenario", "network-2035", "--steps", "2", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["members"] == 400 and len(report["steps"]) == 2
    step = report["steps"][0]
    assert step["communication_s"] > 100 * step["compute_s"]  # 100 Gbps: the lasers set the pace
    assert 0 < step["pflops_fraction"] < 0.01 and step["busiest_link"].startswith("TRN-DD")
    closed = report["closed_form"]
    assert closed["routed_s"] >= closed["closed_form_s"] * 0.999


def test_train_text_and_exit_2_cases(capsys, tmp_path, ring_world):
    path = ring_world.scenario.path
    code, out, err = cli(capsys, "train", "--scenario", path, "--steps", "2",
                         "--sync-every", "2", "--link-gbps", "400")
    assert code == 0, err
    assert "closed form" in out and "total: 2 steps" in out
    cases = [
        (["--steps", "0"], "--steps"),
        (["--link-gbps", "-5"], "--link-gbps"),
        (["--sync-every", "0"], "--sync-every"),
        (["--job", "nope"], "no training job 'nope'"),
    ]
    for extra, expected in cases:
        code, out, err = cli(capsys, "train", "--scenario", path, *extra)
        assert_one_line_error(code, err, expected)
    code, out, err = cli(capsys, "train", "--scenario", path, "--collective", "grid",
                         "--steps", "1", "--json")
    assert code == 0, err
    assert [p["name"] for p in json.loads(out)["closed_form"]["phases"]] == [
        "reduce-scatter in planes", "all-gather in planes"]  # one plane: no cross-plane phase
    uneven = tmp_path / "uneven.toml"
    uneven.write_text(GRID_TOML.replace("[[training]]", "[[training]]\ncount = 20"))
    code, out, err = cli(capsys, "train", "--scenario", uneven, "--collective", "grid")
    assert_one_line_error(code, err, "same number of members in every plane")
    code, out, err = cli(capsys, "train", "--scenario", "cluster-2025")
    assert_one_line_error(code, err, "declares no [[training]] job")
    few = tmp_path / "few.toml"
    few.write_text(RING_TOML.replace("[[training]]", "[[training]]\ncount = 1"))
    code, out, err = cli(capsys, "train", "--scenario", few)
    assert_one_line_error(code, err, "at least 2")


def test_members_without_a_laser_path_are_refused(capsys, tmp_path):
    # two planes far apart with no cross-plane terminals: no laser path between them
    text = RING_TOML.replace("planes = 1", "planes = 2") + "[links]\nterminals = 2\n"
    path = tmp_path / "split.toml"
    path.write_text(text)
    code, out, err = cli(capsys, "train", "--scenario", path)
    assert_one_line_error(code, err, "no laser path between them")


def test_the_panel_changes_a_job_live(network_world):
    """SetTraining: the collective, the sync interval and the link capacity change the next
    step; pausing holds the step; bad values are one clear error and change nothing."""
    from sim import commands as cmd
    from sim.world import World

    world = World(network_world.scenario)
    (job,) = world.snapshot().training
    snap = world.apply(cmd.SetTraining(collective="grid", sync_every=2, link_gbps=400.0))
    run = world.training.run_named("")
    assert (run.job.collective, run.job.sync_every) == ("grid", 2)
    assert world.scenario.links.capacity_gbps == 400.0 == world.link_gbps
    assert snap.isl_capacity_gbps.max() == 400.0
    assert "collective grid, sync_every 2; the step starts again" in run.log[-1]
    world.apply(cmd.SetTraining(job=job.name, paused=True))
    start = run.step_start_s
    (view,) = world.step(30.0).training
    assert run.step_start_s == pytest.approx(start + 30.0) and run.step_index == 0
    assert view.phase == "paused" and view.sync_every == 2 and view.collective == "grid"
    world.apply(cmd.SetTraining(paused=False))
    for bad, text in ((cmd.SetTraining(collective="star"), "collective must be"),
                      (cmd.SetTraining(sync_every=0), "sync every must be"),
                      (cmd.SetTraining(link_gbps=float("inf")), "link capacity"),
                      (cmd.SetTraining(job="nope"), "no training job 'nope'")):
        with pytest.raises(UserError, match=text):
            world.apply(bad)
    assert (run.job.collective, world.scenario.links.capacity_gbps) == ("grid", 400.0)
    assert cmd.from_json(cmd.SetTraining(job="x", sync_every=4).to_json()) == \
        cmd.SetTraining(job="x", sync_every=4)


def test_train_real_steps(capsys, ring_world):
    path = ring_world.scenario.path
    code, out, err = cli(capsys, "train", "--scenario", path, "--steps", "1",
                         "--real-steps", "2", "--replicas", "2", "--json")
    assert code == 0, err
    real = json.loads(out)["real"]
    assert real["replicas"] == 2 and real["identical"] and len(real["loss_curve"]) == 2
    assert real["parameters"] == 1_771_648  # the shipped architecture, freshly initialised
    step = real["steps"][0]
    assert step["bytes_sent"] == [step["gradient_bytes"]] * 2  # 2(K-1)/K x S with K = 2
    assert step["compute_s"] > 0 and step["allreduce_s"] > 0
    code, out, err = cli(capsys, "train", "--scenario", path, "--steps", "1", "--real-steps", "1")
    assert code == 0, err
    assert "real step    1" in out and "4 data-parallel replicas" in out  # min(12 members, 4)


@pytest.mark.parametrize("extra, expected", [
    (["--real-steps", "0"], "--real-steps"),
    (["--real-steps", "10001"], "--real-steps"),
    (["--real-steps", "1", "--replicas", "1"], "--replicas"),
    (["--real-steps", "1", "--replicas", "17"], "--replicas"),
    (["--replicas", "2"], "--replicas"),
])
def test_train_real_bad_flags(capsys, ring_world, extra, expected):
    code, out, err = cli(capsys, "train", "--scenario", ring_world.scenario.path, *extra)
    assert_one_line_error(code, err, expected)
    assert out == ""  # refused before any work


def test_real_training_runs_on_a_thread_and_its_loss_reaches_the_snapshot(cluster_world):
    from sim import commands as cmd

    world = World(cluster_world.scenario)
    try:
        with pytest.raises(UserError, match="replicas must be"):
            world.apply(cmd.TrainForReal(replicas=1))
        world.apply(cmd.TrainForReal(steps=3, replicas=2))
        world.real_training.join(120)
        snap = world.step(1.0)
        assert len(snap.real_training_loss) == 3 and not snap.real_training_running
        assert all(np.isfinite(snap.real_training_loss))
        world.apply(cmd.TrainForReal(run=False))  # stopping a finished run is fine
    finally:
        world.close()


def test_model_size_from_the_panel_changes_the_compute(network_world):
    from sim import commands as cmd

    world = World(network_world.scenario)
    run = world.training.run_named("")
    before = run.compute_s
    (view,) = world.apply(cmd.SetTraining(parameters=8e10)).training
    assert view.parameters == 8e10 and run.compute_s == pytest.approx(10 * before)


def test_a_paused_world_still_shows_the_real_runs_progress(cluster_world):
    from sim import commands as cmd

    world = World(cluster_world.scenario)
    try:
        world.apply(cmd.SetPaused(True))
        world.apply(cmd.TrainForReal(steps=2, replicas=2))
        world.real_training.join(120)
        snap = world.advance(0.1)
        assert len(snap.real_training_loss) == 2 and not snap.real_training_running
        assert world.advance(0.1) is snap  # nothing new: the same Snapshot
    finally:
        world.close()


def test_a_job_declared_paused_waits_to_be_started(tmp_path, capsys):
    """`paused = true` in [[training]]: no step runs until SetTraining(paused=False) (the
    panel's Start button, a timeline entry); `run.py train` runs it anyway."""
    path = tmp_path / "paused.toml"
    from sim import commands as cmd

    path.write_text(RING_TOML + "paused = true\n")
    world = World.from_scenario(str(path))
    snap = world.step(120.0)
    view = snap.training[0]
    assert view.phase == "paused" and view.steps_done == 0
    assert view.log[-1] == "step 1: waiting to be started"
    world.apply(cmd.SetTraining(paused=False))
    assert world.step(120.0).training[0].steps_done > 0
    code, out, _ = cli(capsys, "train", "--scenario", str(path), "--steps", "1", "--json")
    assert code == 0 and json.loads(out)["total"]["steps"] == 1
