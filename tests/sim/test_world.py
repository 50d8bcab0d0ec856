"""The World: determinism, commands, traffic and load, snapshot versions and totals."""
import dataclasses

import numpy as np
import pytest

from sim import commands as cmd
from sim.errors import UserError
from sim.snapshot import VERSION_GROUPS, RoundTripView, Snapshot
from sim.world import World


def run(world, steps=6, dt=5.0):
    for _ in range(steps):
        snap = world.step(dt)
    return snap


def test_snapshot_fields_are_documented_in_version_groups():
    fields = {f.name for f in dataclasses.fields(Snapshot)}
    grouped = {name for names in VERSION_GROUPS.values() for name in names}
    assert grouped <= fields


def _array_fields(view) -> dict[str, np.ndarray]:
    values = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    return {name: v for name, v in values.items() if isinstance(v, np.ndarray)}


def test_snapshot_arrays_refuse_writes(cluster_world):
    """DESIGN.md: a Snapshot is read-only. Its arrays are read-only views; the sim's own
    arrays behind them stay writable, and the World steps on."""
    arrays = _array_fields(cluster_world.snapshot())
    assert len(arrays) >= 25
    for name, array in arrays.items():
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0
    assert cluster_world.constellation.roles.flags.writeable
    cluster_world.step(1.0)


def test_round_trip_view_arrays_refuse_writes():
    view = RoundTripView(1, 0, 0, "hi", "", "uplink", 0.5, np.zeros((2, 3), np.float32),
                         np.array([-1, 0], np.int32), 0.5, (), True, False)
    arrays = _array_fields(view)
    assert set(arrays) == {"leg_path_km", "leg_sat_index", "up_path_km", "up_sat_index"}
    for name, array in arrays.items():
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0


def test_deterministic_from_seed():
    a, b = World.from_scenario("network-2030", seed=7), World.from_scenario("network-2030", seed=7)
    sa, sb = run(a), run(b)
    assert sa.totals == pytest.approx(sb.totals, nan_ok=True)
    assert np.array_equal(sa.isl_load_gbps, sb.isl_load_gbps)
    assert np.array_equal(sa.flow_paths_km, sb.flow_paths_km)
    other = run(World.from_scenario("network-2030", seed=8))
    assert not np.array_equal(other.utilisation, sa.utilisation)


def test_traffic_loads_links_and_satellites(network_world):
    world = World(network_world.scenario)
    snap = run(world, steps=8, dt=4.0)
    totals = snap.totals
    assert totals["requests_active"] > 50
    assert totals["pflops_in_use"] == pytest.approx(
        totals["requests_active"] * world.scenario.traffic.job_pflops)
    busy = snap.utilisation > 0
    assert busy.any() and (snap.roles[busy] == 0).all(), "jobs run on inference satellites"
    assert (snap.isl_load_gbps > 0).any()
    # every job's route starts at a ground point and ends on its inference satellite
    for job in world.traffic.jobs[:50]:
        assert job.nodes[0] >= snap.n_sats and job.nodes[-1] == job.sat
        assert np.isfinite(job.round_trip_ms) and job.round_trip_ms < 100
    assert snap.flow_paths_km.shape[0] == len(world.traffic.jobs)
    # 50 requests/s, each running 20 s: about 1,000 at once (each simulated job stands for
    # several when a step is long)
    assert totals["requests_active"] == pytest.approx(1000, rel=0.25)
    last = snap.flow_path_len - 1
    assert (snap.flow_sat_index[np.arange(len(last)), last] == [j.sat for j in world.traffic.jobs]).all()
    assert (snap.flow_sat_index[:, 0] == -1).all(), "flows start on the ground"
    assert 0 < totals["latency_mean_ms"] <= totals["latency_p95_ms"] < 100
    assert totals["requests_per_s"] == pytest.approx(50, rel=0.5)


def test_link_load_sums_job_bandwidth(network_world):
    world = World(network_world.scenario)
    snap = run(world, steps=4, dt=4.0)
    expected = 0.0
    up = {tuple(p) for p in snap.isl_pairs.tolist()}
    for job in world.traffic.jobs:
        sats = job.nodes[1:]
        hops = sum(tuple(sorted((int(a), int(b)))) in up for a, b in zip(sats, sats[1:]))
        expected += hops * job.weight * world.scenario.traffic.job_gbps
    assert snap.isl_load_gbps.sum() == pytest.approx(expected)
    loaded = snap.isl_load_gbps > 0
    assert (snap.isl_flow_sign[loaded] != 0).mean() > 0.8 and (snap.isl_flow_sign[~loaded] == 0).all()


def test_commands_round_trip_and_apply():
    world = World.from_scenario("cluster-2025")
    for command in [cmd.SetPaused(True), cmd.SetWarp(600.0), cmd.Select(3),
                    cmd.SetTime("2026-01-15T06:00:00Z"), cmd.SetTrafficRate(2.0)]:
        assert cmd.from_json(command.to_json()) == command
        world.apply(command)
    snap = world.snapshot()
    assert snap.paused and snap.warp == 0.0 and snap.selected == 3
    assert snap.time_utc.isoformat() == "2026-01-15T06:00:00+00:00"
    assert len(snap.selected_orbit_km) > 100
    radius = np.linalg.norm(snap.selected_orbit_km, axis=1)
    assert np.all(np.abs(radius - radius.mean()) < 30)
    assert np.allclose(snap.selected_orbit_km[0], snap.positions_km[3], atol=1.0)
    assert world.advance(1.0).time_utc == snap.time_utc, "paused: nothing moves"
    world.apply(cmd.SetPaused(False))
    assert (world.advance(1.0).time_utc - snap.time_utc).total_seconds() == pytest.approx(600)


def test_bad_commands_are_user_errors():
    world = World.from_scenario("cluster-2025")
    with pytest.raises(UserError, match="no satellite with index 12"):
        world.apply(cmd.Select(12))
    with pytest.raises(UserError, match="warp"):
        world.apply(cmd.SetWarp(-1))
    with pytest.raises(UserError, match="ISO 8601"):
        world.apply(cmd.SetTime("noon"))
    with pytest.raises(UserError, match="expected one of"):
        cmd.from_json('{"command": "explode"}')


def test_versions_change_only_with_content():
    world = World.from_scenario("starlink-shell1")
    first = world.snapshot().versions
    second = world.step(0.5).versions
    assert second["positions"] > first["positions"]
    assert second["stations"] == first["stations"] and second["satellites"] == first["satellites"]
    assert second["selection"] == first["selection"]
    third = world.apply(cmd.Select(5)).versions
    assert third["selection"] > second["selection"]


def test_find_satellite_by_name(cluster_world):
    assert cluster_world.find_satellite("XS-03") == 2
    assert cluster_world.find_satellite("7") == 7
    with pytest.raises(UserError, match="did you mean"):
        cluster_world.find_satellite("XS-3x")


def test_warp_beyond_step_length_stays_bounded():
    """At 10,000x a frame covers hours of traffic: only jobs still running are simulated."""
    world = World.from_scenario("network-2035")
    snap = world.step(10_000 / 60)
    assert len(world.traffic.jobs) <= world.traffic.max_new
    assert snap.totals["requests_not_routed"] > 5000  # arrived and ended within the step
    # the running ones are still represented in full: 50/s x 20 s
    assert snap.totals["requests_active"] == pytest.approx(1000, rel=0.25)


def test_starting_later_shows_the_same_constellation_later():
    """--at starts the sim at another instant of the same constellation: the same positions
    as flying the world there step by step (not a constellation laid out anew)."""
    import datetime as dt

    later = dt.datetime(2026, 1, 15, 3, 45, tzinfo=dt.timezone.utc)
    started = World.from_scenario("cluster-2025", at=later).snapshot()
    flown = World.from_scenario("cluster-2025")
    flown.apply(cmd.SetTime(later.isoformat()))
    assert started.time_utc == later
    assert np.allclose(started.positions_km, flown.snapshot().positions_km, atol=1e-6)
    assert started.sim_time_s == pytest.approx(3.75 * 3600)


def test_set_model_changes_the_checkpoint_and_refuses_bad_folders(tmp_path, cluster_world):
    world = World(cluster_world.scenario)
    with pytest.raises(UserError, match="no config.json"):
        world.apply(cmd.SetModel(str(tmp_path)))
    (tmp_path / "config.json").write_text("{}")
    assert world.apply(cmd.SetModel(str(tmp_path))).onboard_model == str(tmp_path)
    assert world.apply(cmd.SetModel("")).onboard_model == ""
    assert cmd.from_json(cmd.SetModel("x").to_json()) == cmd.SetModel("x")


def test_the_shipped_model_is_named_so_however_it_is_given(cluster_world):
    from sim.roundtrip import SHIPPED_MODEL_DIR

    world = World(cluster_world.scenario, model_dir=str(SHIPPED_MODEL_DIR))
    assert world.snapshot().onboard_model == ""
    assert world.apply(cmd.SetModel(str(SHIPPED_MODEL_DIR / "." ))).onboard_model == ""


def test_simulated_jobs_fit_on_one_satellite(network_world):
    """When 16 simulated jobs would each stand for more compute than a satellite has (a
    million satellites of 1 PFLOPS at 200 requests/s), more jobs are simulated, each taking at
    most half a satellite, and they all find one."""
    from sim.traffic import MAX_JOB_SHARE, TrafficModel

    n = network_world.constellation.size
    spec = dataclasses.replace(network_world.scenario.traffic, requests_per_s=2000.0)
    traffic = TrafficModel(spec, np.zeros(n, np.int8), np.ones(n),
                           np.ones(len(network_world.sites)), np.random.default_rng(1))
    traffic.step(network_world.sim_time_s, 5.0, network_world.geometry.network)
    weights = np.array([job.weight for job in traffic.jobs])
    assert len(weights) > traffic.max_new
    assert (weights * spec.job_pflops <= MAX_JOB_SHARE * 1.0 + 1e-12).all()
    assert traffic.no_path == 0 and traffic.active_requests == pytest.approx(10_000, rel=0.05)
