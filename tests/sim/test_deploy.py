"""Deploying a trained checkpoint (sim/deploy.py, the DeployCheckpoint command): transfer time
against bytes / bandwidth + light-time on a hand-computed graph and against the satellites'
own positions, which satellite answers with which weights, and that the answer comes from the
deployed weights (logits and reply)."""
import types

import numpy as np
import pytest
import torch

from sim import commands as cmd
from sim.clock import TripSchedule, light_label
from sim.constants import SPEED_OF_LIGHT_KM_S
from sim.deploy import broadcast, deploy_graph
from sim.errors import UserError
from sim.onboard.trained import onboard_model
from sim.onboard.dataparallel import DataParallelTrainer, RealTrainingRun, make_shards, read_corpus
from sim.onboard.qwen3 import Qwen3Config
from sim.onboard.sampling import SamplingParams
from sim.snapshot import ROLE_INFERENCE, ROLE_TRAINING
from sim.training import LaserGraph
from sim.world import World

from .onboard.conftest import TINY

C = SPEED_OF_LIGHT_KM_S


def test_transfer_time_is_bytes_over_the_bottleneck_plus_light_time():
    # 0 -1000 km- 1 -2000 km- 2; 0 -500 km- 3; a second source 4 -100 km- 5
    pairs = np.array([[0, 1], [1, 2], [0, 3], [4, 5]])
    graph = LaserGraph(pairs, np.array([1000.0, 2000.0, 500.0, 100.0]), 6)
    rate = np.array([100.0, 60.0, 100.0, 10.0])[graph.order]  # link 1-2 has 60 Gbps left
    plan = broadcast(graph, rate, np.array([0, 4]), np.array([2, 3, 5]), 1e9)
    assert plan.targets.tolist() == [2, 3, 5]
    expected = [8e9 / 60e9 + 3000 / C, 8e9 / 100e9 + 500 / C, 8e9 / 10e9 + 100 / C]
    assert plan.arrival_s == pytest.approx(expected, rel=1e-12)
    assert plan.paths[0, :3].tolist() == [0, 1, 2] and plan.paths[2, :2].tolist() == [4, 5]
    # the tree: 0->1 is shared by no one else; each edge is done when its child holds it all
    edges = {tuple(e): end for e, end in zip(plan.edges.tolist(), plan.edge_end_s)}
    assert edges[(1, 2)] == pytest.approx(expected[0]) and len(edges) == 4


def test_unreachable_targets_are_counted_not_routed():
    graph = LaserGraph(np.array([[0, 1]]), np.array([1000.0]), 3)
    plan = broadcast(graph, np.array([100.0]), np.array([0]), np.array([1, 2]), 1e6)
    assert plan.targets.tolist() == [1] and plan.unreachable.tolist() == [2]


def test_links_share_with_inference_and_the_collective_and_stations_relay():
    geometry = types.SimpleNamespace(
        sunlit=np.ones(3, bool),
        isl=types.SimpleNamespace(pairs=np.array([[0, 1], [1, 2]]),
                                  length_km=np.array([1000.0, 1000.0])),
        ground=types.SimpleNamespace(pairs=np.array([[0, 2], [1, 0]]),  # city 1 is no relay
                                     slant_km=np.array([800.0, 900.0])))
    graph, rate = deploy_graph(geometry, 1, 100.0, np.array([30.0, 0.0]), np.array([[1, 2]]))
    by_pair = {tuple(p): r for p, r in zip(graph.pairs.tolist(), rate)}
    assert by_pair == {(0, 1): 70.0, (1, 2): 50.0, (2, 3): 100.0}  # station 0 is node 3


@pytest.fixture(scope="module")
def world():
    """network-2030 (its training shell and two inference shells are not laser-linked: a
    checkpoint goes down to a station and up again) with one real step of a tiny model."""
    w = World.from_scenario("network-2030", blocking_inference=True)
    config = Qwen3Config(**TINY)
    trainer = DataParallelTrainer(config, make_shards(read_corpus(), 2, 32), batch=1, seq_len=32,
                                  total_steps=1)
    run = RealTrainingRun(trainer, 1)
    run.run()
    w.real_training = run
    yield w
    w.close()


def _ask(world, sat: int):
    trip = world.ask(cmd.Ask(sat=str(sat), prompt="What news from orbit?", max_tokens=12,
                             seed=3, timing="fixed"))
    world.round_trips.resolve(trip)
    assert not trip.error
    return trip


def test_deploy_over_the_routed_graph_and_answers_from_the_newest_checkpoint(world):
    inference = int(np.flatnonzero(world.constellation.roles == ROLE_INFERENCE)[0])
    training = int(np.flatnonzero(world.constellation.roles == ROLE_TRAINING)[0])
    before = _ask(world, inference)
    assert before.model_label == "shipped"
    snap = world.apply(cmd.DeployCheckpoint())
    view, plan = snap.deploy, world.deploys.deploys[-1].plan
    assert view.version == 1 and view.label == "trained step 1" and view.holders == 0
    assert len(view.targets) + view.unreachable == view.inference_total == \
        int((snap.roles == ROLE_INFERENCE).sum()) > 800
    assert view.byte_size == sum(t.numel() * 4 for t in world.deploys.deploys[-1]
                                 .checkpoint.state.values())
    # every transfer: bytes x 8 / its bottleneck + light-time along the satellites' and
    # stations' own positions now
    nodes = np.concatenate([snap.positions_km, snap.station_positions_km])
    for row in range(0, len(view.targets), 97):
        path = view.paths[row, :view.path_len[row]]
        light = np.linalg.norm(np.diff(nodes[path], axis=0), axis=1).sum() / C
        assert plan.light_s[row] == pytest.approx(light, rel=1e-6)
        assert plan.arrival_s[row] == pytest.approx(view.byte_size * 8 / (plan.gbps[row] * 1e9)
                                                    + light, rel=1e-6)
    assert (snap.roles[view.paths[:, 0]] == ROLE_TRAINING).all()  # from the training shell
    # a satellite has the checkpoint only from its own arrival on
    first, last = np.argmin(plan.arrival_s), np.argmax(plan.arrival_s)
    between = world.sim_time_s + (plan.arrival_s[first] + plan.arrival_s[last]) / 2
    assert world.deploys.checkpoint_for(int(view.targets[first]), between).label == \
        "trained step 1"
    assert world.deploys.checkpoint_for(int(view.targets[last]), between) is None
    # the live clock slows down so that the milliseconds of the transfers are seen
    alone = world.deploys.schedule(world.sim_time_s, TripSchedule())
    assert alone.light_phase == "deploy" and alone.light_phase_s == pytest.approx(
        plan.arrival_s.max())
    assert f"checkpoint deploy: trained step 1 to {len(view.targets)}" in light_label(alone)
    snap = world.advance(1 / 30)  # (a round trip's own uplink, if under way, sets the pace)
    assert snap.clock.mode == "slow" and snap.clock.warp < 0.1
    assert snap.deploy.progress.max() > 0 and snap.deploy.in_flight > 0
    snap = world.step(1.0)
    assert snap.deploy.holders == len(view.targets) and snap.deploy.in_flight == 0
    assert (snap.deploy.held_version[view.targets] == 1).all()
    after = _ask(world, inference)
    assert after.model_label == "trained step 1"
    assert world.step(0.0).round_trips[-1].model == "trained step 1"
    # a training satellite holds no deployed checkpoint: it answers with the shipped model
    assert _ask(world, training).model_label == "shipped"
    # the answer comes from the deployed weights: the same reply as the checkpoint's model,
    # whose logits are the trained replica's
    checkpoint = world.deploys.deploys[-1].checkpoint
    model = onboard_model(checkpoint)
    ids = torch.arange(20)[None] % 256
    replica = world.real_training.trainer.replicas[0]
    with torch.no_grad():
        assert torch.allclose(model.model(ids), replica(ids), atol=1e-6)
        assert not torch.allclose(model.model(ids)[..., :257],
                                  world.round_trips.worker().model.model(ids), atol=1e-2)
    station = world.round_trips.station_name(after.up.route.nodes[0] - world.constellation.size)
    direct = model.generate(after.prompt, station, world.constellation.names[inference],
                            SamplingParams(max_new_tokens=12, seed=3))
    assert "".join(t for _, t in after.pieces) == direct.text


def test_bad_deploys_get_one_clear_line(world):
    with pytest.raises(UserError, match="no training job 'nope'"):
        world.apply(cmd.DeployCheckpoint(job="nope"))
    bare = World.from_scenario("cluster-2025")
    with pytest.raises(UserError, match="no trained checkpoint yet"):
        bare.apply(cmd.DeployCheckpoint())
    assert cmd.from_json(cmd.DeployCheckpoint(job="x").to_json()) == cmd.DeployCheckpoint("x")
    with pytest.raises(UserError, match="deploy_checkpoint"):
        cmd.from_json('{"command": "deploy_checkpoint", "jobs": 1}')


def _line_geometry():
    """Training satellite 0, inference satellites 1 and 2 (0 -1000 km- 1 -1000 km- 2) and an
    inference satellite 3 with no link at all; no stations."""
    return types.SimpleNamespace(
        sunlit=np.ones(4, bool), state=types.SimpleNamespace(online=np.ones(4, bool)),
        isl=types.SimpleNamespace(pairs=np.array([[0, 1], [1, 2]]),
                                  length_km=np.array([1000.0, 1000.0])),
        ground=types.SimpleNamespace(pairs=np.zeros((0, 2), np.int32), slant_km=np.zeros(0)))


def test_each_satellite_answers_with_the_newest_checkpoint_it_holds():
    from sim.deploy import DeployService

    roles = np.array([ROLE_TRAINING, ROLE_INFERENCE, ROLE_INFERENCE, ROLE_INFERENCE])
    service = DeployService(roles, ("T", "A", "B", "C"))
    v1, v2 = (types.SimpleNamespace(version=v, label=f"trained step {v}", byte_size=1.25e9)
              for v in (1, 2))  # 10 Gbit: 0.1 s at 100 Gbps
    for checkpoint, start in ((v1, 0.0), (v2, 10.0)):
        deploy = service.start(checkpoint, start, _line_geometry(), 0, 100.0, np.zeros(2),
                               np.array([0]), np.zeros((0, 2)))
    assert deploy.plan.unreachable.tolist() == [3]
    arrive_b = 0.1 + 2000 / C
    assert service.checkpoint_for(2, arrive_b - 1e-6) is None
    assert service.checkpoint_for(2, arrive_b + 1e-6) is v1
    assert service.checkpoint_for(2, 10.0 + arrive_b - 1e-6) is v1  # v2 still on its way
    assert service.checkpoint_for(2, 10.0 + arrive_b + 1e-6) is v2
    assert service.held_versions(10.05).tolist() == [0, 1, 1, 0]
    assert service.held_versions(11.0).tolist() == [0, 2, 2, 0]
    assert service.checkpoint_for(3, 1e9) is None and service.checkpoint_for(0, 1e9) is None
    assert "1 have no path now" in service.log[-1]


def test_the_view_of_finished_deploys_is_made_once_and_again_when_the_clock_goes_back():
    """The last deploy stays in every Snapshot: once every transfer is done its view is kept
    (not rebuilt over every satellite each step); before that, or back before the end, it
    follows the clock; a new deploy starts over."""
    from sim.deploy import DeployService

    roles = np.array([ROLE_TRAINING, ROLE_INFERENCE, ROLE_INFERENCE, ROLE_INFERENCE])
    service = DeployService(roles, ("T", "A", "B", "C"))
    checkpoint = types.SimpleNamespace(version=1, label="trained step 1", byte_size=1.25e9)
    deploy = service.start(checkpoint, 0.0, _line_geometry(), 0, 100.0, np.zeros(2),
                           np.array([0]), np.zeros((0, 2)))
    during = service.view(0.5 * deploy.end_s)
    assert during.holders < 2 and service.view(0.5 * deploy.end_s) is not during
    done = service.view(deploy.end_s + 1.0)
    assert done.holders == 2 and service.view(deploy.end_s + 50.0) is done
    assert service.view(0.5 * deploy.end_s).holders == during.holders  # the clock went back
    again = service.start(types.SimpleNamespace(version=2, label="trained step 2",
                                                byte_size=1.25e9),
                          100.0, _line_geometry(), 0, 100.0, np.zeros(2), np.array([0]),
                          np.zeros((0, 2)))
    assert service.view(again.end_s + 1.0).version == 2


def test_a_deploy_that_reaches_no_one_is_refused():
    from sim.deploy import DeployService

    roles = np.array([ROLE_TRAINING, ROLE_TRAINING, ROLE_TRAINING, ROLE_INFERENCE])
    service = DeployService(roles, ("T1", "T2", "T3", "C"))
    checkpoint = types.SimpleNamespace(version=1, label="trained step 1", byte_size=1e6)
    with pytest.raises(UserError, match="no inference satellite has a laser or station path"):
        service.start(checkpoint, 0.0, _line_geometry(), 0, 100.0, np.zeros(2), np.array([0]),
                      np.zeros((0, 2)))
    assert service.view(0.0) is None


SCRIPTED_DEPLOY = """
[scenario]
base = "network-2030"
name = "deploy-script"

[[timeline]]
at = 0
kind = "warp"
warp = 1
light_warp = 0.01                # the transfers' light-time legs in slow motion

[[timeline]]
at = 0.3
kind = "deploy"

[[timeline]]
at = 1.5
kind = "end"
"""


def _play(path):
    """(sim time, deploy start, holders) of every frame of the script at 10 fps."""
    from sim.script import ScriptRun

    world = World.from_scenario(str(path), blocking_inference=True)  # as the recorder
    try:
        run, rows = ScriptRun(world), []
        for k in range(1, 16):
            snap = run.frame(0.1, t=k / 10)
            deploy = snap.deploy
            rows.append((snap.sim_time_s, None if deploy is None else deploy.start_s,
                         0 if deploy is None else deploy.holders))
        return rows, snap
    finally:
        world.close()


def test_a_scripted_deploy_starts_at_its_instant_in_a_recording(tmp_path):
    path = tmp_path / "deploy.toml"
    path.write_text(SCRIPTED_DEPLOY)
    rows, snap = _play(path)
    assert all(start is None for _, start, _ in rows[:2])
    sim_at_entry = rows[2][0]  # the frame at t = 0.3: one real step trained, then deployed
    assert all(start == sim_at_entry for _, start, _ in rows[2:])
    assert snap.real_training_loss and len(snap.real_training_loss) == 1
    assert snap.deploy.label == "trained step 1"
    holders = [h for _, _, h in rows[2:]]
    assert holders == sorted(holders) and 0 < holders[-1] <= snap.deploy.inference_total
    assert rows[3][0] - rows[2][0] < 0.01  # the slow motion of the transfers
    assert _play(path)[0] == rows  # frame-exact: the same script, the same deploy


def test_a_live_world_deploys_when_the_real_run_ends(monkeypatch):
    """The app plays a script's deploy without waiting: it starts once the run has ended."""
    import threading

    from sim.onboard import dataparallel

    gate = threading.Event()  # holds the run after each step until the test lets it go

    def tiny_run(steps, replicas, **_):
        trainer = DataParallelTrainer(Qwen3Config(**TINY), make_shards(read_corpus(), replicas,
                                                                       32),
                                      batch=1, seq_len=32, total_steps=steps)
        return RealTrainingRun(trainer, steps, on_step=lambda record: gate.wait(30))

    monkeypatch.setattr(dataparallel, "fresh_run", tiny_run)
    world = World.from_scenario("network-2030")  # live: blocking_inference off
    try:
        world.apply(cmd.TrainForReal(steps=2, replicas=2))
        with pytest.raises(UserError, match="no training job 'nope'"):
            world.apply(cmd.DeployCheckpoint(job="nope", after_training=True))
        snap = world.apply(cmd.DeployCheckpoint(after_training=True))
        assert snap.deploy is None and world.real_training.running  # waiting for the run
        assert world.advance(0.01).deploy is None
        gate.set()  # the run ends ...
        world.real_training.join()
        snap = world.advance(0.01)  # ... and the next step starts the deploy
        assert snap.deploy is not None and snap.deploy.label == "trained step 2"
        assert snap.deploy.start_s == pytest.approx(snap.sim_time_s - 0.01, abs=0.01)
    finally:
        gate.set()
        world.close()
