"""Round trips: phases in order and timed by light-time and the model, waits for a path on the
2025 cluster, queueing on one satellite, live (non-blocking) stepping, the ask command."""
import json
import re
import time

import numpy as np
import pytest

import run
from sim import commands as cmd
from sim.constants import SPEED_OF_LIGHT_KM_S
from sim.errors import UserError
from sim.pathfinder import ground_to_sat_best, next_route
from sim.roundtrip_view import trip_view
from sim.snapshot import ROUND_TRIP_PHASES
from sim.world import World

ORDER = {name: i for i, name in enumerate(ROUND_TRIP_PHASES)}


def resolved(world, **ask):
    trip = world.ask(cmd.Ask(**{"max_tokens": 16, **ask}))
    return world.round_trips.resolve(trip)


def test_cluster_trip_waits_for_a_pass(model_dir):
    world = World.from_scenario("cluster-2025", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="XS-03", prompt="What do you see below?")
    finally:
        world.close()
    names = [p.name for p in trip.phases]
    assert not trip.error
    assert trip.request_id == 1  # every World numbers its own requests from 1
    assert names[0] == "waiting_up" and names[-1] == "downlink"
    assert [ORDER[n] for n in names] == sorted(ORDER[n] for n in names)
    for a, b in zip(trip.phases, trip.phases[1:]):
        assert a.end_s == pytest.approx(b.start_s, abs=1e-9), "phases follow each other"
    # the wait ends exactly when the next path from any station opens
    finder = ground_to_sat_best(world.model, world.round_trips.stations,
                                np.arange(len(world.round_trips.stations)), trip.sat)
    opening = next_route(finder, world.now)
    assert trip.phases[0].end_s == pytest.approx(opening.waited_s)
    assert 60 < opening.waited_s < 6 * 3600
    # light-time phases last exactly length / c
    up_km = sum(trip.up.route.hop_km)
    light = [p for p in trip.phases if p.name in ("uplink", "hops_up")]
    assert sum(p.end_s - p.start_s for p in light) == pytest.approx(up_km / SPEED_OF_LIGHT_KM_S)
    inference = next(p for p in trip.phases if p.name == "inference")
    assert inference.end_s - inference.start_s == pytest.approx(trip.figures.measured_s)
    assert trip.figures.generated_tokens >= 1 and trip.figures.flops > 0
    assert trip.down.route.nodes[0] == trip.sat and trip.down.route.nodes[-1] >= 12


def test_network_trip_is_milliseconds_plus_inference(model_dir):
    world = World.from_scenario("network-2035", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="INF-SSO-P03-S05", prompt="Status report", timing="fixed",
                        tokens_per_s=20.0, seed=3)
        again = resolved(world, sat="INF-SSO-P03-S05", prompt="Status report", timing="fixed",
                         tokens_per_s=20.0, seed=3)
    finally:
        world.close()
    names = [p.name for p in trip.phases]
    assert (trip.request_id, again.request_id) == (1, 2)  # per World, from 1, unique
    assert "waiting_up" not in names and "waiting_down" not in names
    light_ms = 1e3 * sum(p.end_s - p.start_s for p in trip.phases if p.name != "inference")
    assert 2 < light_ms < 100
    inference = next(p for p in trip.phases if p.name == "inference")
    assert inference.end_s - inference.start_s == pytest.approx(
        trip.figures.generated_tokens / 20.0)
    # same seed, same reply; the second request queued behind the first on the same satellite
    assert "".join(t for _, t in trip.pieces) == "".join(t for _, t in again.pieces)
    queue = [p for p in again.phases if p.name == "queue"]
    assert queue and queue[0].end_s == pytest.approx(inference.end_s)


def test_live_world_streams_the_trip(model_dir):
    """Without blocking, steps never wait for the model: the trip moves through its phases
    as sim time goes on and the reply appears in the snapshot."""
    world = World.from_scenario("network-2035", model_dir=model_dir)
    try:
        world.apply(cmd.Ask("INF-SSO-P03-S05", "Hello up there", max_tokens=12))
        seen, step_times = set(), []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            started = time.perf_counter()
            snap = world.step(0.002)
            step_times.append(time.perf_counter() - started)
            view = snap.round_trips[0]
            seen.add(view.phase)
            if view.phase == "uplink":
                assert view.in_light_phase and view.leg_sat_index[0] == -1
                assert np.allclose(view.leg_path_km[0], snap.station_positions_km[view.station])
            if view.phase == "downlink":
                assert view.up_sat_index[0] == -1 and view.up_sat_index[-1] == view.sat
                assert view.leg_sat_index[0] == view.sat and view.leg_sat_index[-1] == -1
            if view.done:
                break
            time.sleep(0.001)
        assert view.done and not view.error and view.reply
        assert {"uplink", "inference", "downlink", "done"} <= seen
        assert max(step_times) < 0.5, "a step never waits for generation"
    finally:
        world.close()


def test_bad_asks_are_user_errors(model_dir):
    world = World.from_scenario("cluster-2025", model_dir=model_dir)
    try:
        with pytest.raises(UserError, match="empty prompt"):
            world.ask(cmd.Ask("XS-03", "   "))
        with pytest.raises(UserError, match="unknown satellite"):
            world.ask(cmd.Ask("XS-99", "hi"))
        with pytest.raises(UserError, match="unknown station"):
            world.ask(cmd.Ask("XS-03", "hi", station="Atlantis"))
    finally:
        world.close()


def test_missing_model_folder_is_a_user_error(tmp_path):
    world = World.from_scenario("cluster-2025", model_dir=str(tmp_path / "nothing"))
    with pytest.raises(UserError, match="not found"):
        world.ask(cmd.Ask("XS-03", "hi"))


def test_ask_command_json(capsys, model_dir):
    code = run.main(["ask", "--scenario", "network-2035", "--sat", "INF-LOW45-P01-S01",
                     "--prompt", "What is your altitude?", "--model-dir", model_dir,
                     "--max-tokens", "12", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["satellite"] == "INF-LOW45-P01-S01"
    assert report["tokens"]["generated"] >= 1 and report["phases"][0]["name"] == "uplink"
    # durations are rounded to 0.1 us, the total to 1 us
    assert report["total_ms"] == pytest.approx(sum(p["duration_ms"] for p in report["phases"]),
                                               abs=2e-3)
    assert report["inference"]["hardware_s"] > 0


def test_ask_command_bad_input_exit_2(capsys, model_dir):
    code = run.main(["ask", "--scenario", "cluster-2025", "--sat", "XS-03", "--prompt", "",
                     "--model-dir", model_dir])
    assert code == 2 and "empty prompt" in capsys.readouterr().err


def test_schedule_tells_the_clock_what_comes_next(model_dir):
    world = World.from_scenario("cluster-2025", model_dir=model_dir)
    try:
        assert not world.round_trips.schedule(world.sim_time_s).active
        world.apply(cmd.Ask("XS-03", "Hello", max_tokens=8))
        plan = world.round_trips.schedule(world.sim_time_s)
        assert plan.active and plan.search_limit_s is not None  # still looking for a pass
        world.round_trips.resolve(world.round_trips.trips[0])
        trip = world.round_trips.trips[0]
        uplink = next(p for p in trip.phases if p.name == "uplink")
        plan = world.round_trips.schedule(uplink.start_s + 1e-6)
        assert plan.light_phase == "uplink" and plan.light_phase_s == pytest.approx(
            uplink.end_s - uplink.start_s)
        assert plan.next_boundary_s == pytest.approx(uplink.end_s)
        wait = trip.phases[0]
        assert world.round_trips.schedule(wait.start_s + 1).waiting_until_s == wait.end_s
    finally:
        world.close()


def test_view_counts_tokens_not_text_pieces(model_dir):
    world = World.from_scenario("network-2035", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="INF-SSO-P03-S05", prompt="Count for me")
        snap = world.snapshot()
        view = trip_view(trip, trip.phases[-1].end_s, snap.n_sats, world.scenario.epoch,
                         snap.positions_km, snap.station_positions_km)
        assert view.done and view.tokens == trip.figures.generated_tokens
        assert view.reply == "".join(t for _, t in trip.pieces)
    finally:
        world.close()


def test_fixed_timing_reveals_the_reply_gradually(model_dir):
    world = World.from_scenario("network-2035", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="INF-SSO-P03-S05", prompt="Tell a story", timing="fixed",
                        tokens_per_s=10.0, max_tokens=30, seed=5)
        inference = next(p for p in trip.phases if p.name == "inference")
        snap = world.snapshot()
        texts, tokens = [], []
        for share in (0.0, 0.25, 0.5, 0.75, 1.0):
            when = inference.start_s + share * (inference.end_s - inference.start_s)
            view = trip_view(trip, when, snap.n_sats, world.scenario.epoch, snap.positions_km,
                             snap.station_positions_km)
            texts.append(view.reply)
            tokens.append(view.tokens)
        full = "".join(t for _, t in trip.pieces)
        assert texts[0] == "" and texts[-1] == full and tokens[-1] == trip.figures.generated_tokens
        assert all(full.startswith(t) for t in texts)
        assert len(texts[1]) < len(texts[2]) < len(texts[3]) < len(full)
        assert tokens == sorted(tokens) and 0 < tokens[2] < tokens[-1]
    finally:
        world.close()


# --- time on board (issue 12) ---------------------------------------------------------------

#: The shipped model by hand from assets/model/config.json (tied embeddings, so every
#: parameter multiplies per token): per layer q 192x192, k and v 192x64, o 192x192, MLP
#: 3 x 192x576, four norms 192+192+32+32; 4 layers + embedding 257x192 + final norm 192.
SHIPPED_PARAMS = 4 * (2 * 192 * 192 + 2 * 192 * 64 + 3 * 192 * 576 + 448) + 257 * 192 + 192
#: KV bytes per token in bf16: K and V x 4 layers x 2 KV heads x 32 dims x 2 B
SHIPPED_KV_BYTES = 2 * 4 * 2 * 32 * 2


def test_onboard_timing_lasts_the_roofline_estimate_on_cluster_2025(capsys, model_dir):
    code = run.main(["ask", "--scenario", "cluster-2025", "--sat", "XS-03", "--prompt", "hi",
                     "--model-dir", model_dir, "--max-tokens", "20", "--timing", "onboard",
                     "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["timing"] == "onboard"
    prompt, generated = report["tokens"]["prompt"], report["tokens"]["generated"]
    # cluster-2025: 744 TOPS, 204.8 GB/s, efficiency 0.5, int8 weights (1 B), bf16 KV cache
    peak, bandwidth = 744e12 * 0.5, 204.8e9 * 0.5
    prefill = max(2 * SHIPPED_PARAMS * prompt / peak, SHIPPED_PARAMS / bandwidth)
    decode = sum(max(2 * SHIPPED_PARAMS / peak,
                     (SHIPPED_PARAMS + (prompt + k - 1) * SHIPPED_KV_BYTES) / bandwidth)
                 for k in range(1, generated))
    onboard = report["inference"]["onboard"]
    assert onboard["prefill_s"] == pytest.approx(prefill)
    assert onboard["decode_s"] == pytest.approx(decode)
    assert onboard["decode_bound"] == "memory"  # a 1.8M-parameter model still waits on memory
    phase = next(p for p in report["phases"] if p["name"] == "inference")
    assert phase["duration_ms"] == pytest.approx((prefill + decode) * 1e3, abs=1e-4)
    assert "on board" in phase["hops"] and "measured here" in phase["hops"]
    assert report["inference"]["measured_s"] > 0  # both figures reported


def test_measured_timing_reports_the_onboard_estimate_beside_it(model_dir):
    world = World.from_scenario("network-2035", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="INF-SSO-P03-S05", prompt="Hello", timing="measured")
        inference = next(p for p in trip.phases if p.name == "inference")
        assert inference.end_s - inference.start_s == pytest.approx(trip.figures.measured_s)
        assert trip.figures.onboard_s > 0
        snap = world.snapshot()
        figures = trip_view(trip, inference.end_s, snap.n_sats, world.scenario.epoch,
                            snap.positions_km, snap.station_positions_km).figures
        assert figures["onboard_s"] == pytest.approx(trip.figures.onboard_s)
        assert figures["onboard_prefill_s"] + figures["onboard_decode_s"] == \
            pytest.approx(trip.figures.onboard_s)
    finally:
        world.close()


def test_a_model_that_does_not_fit_the_satellite_is_refused_not_run(write, capsys, model_dir):
    # 1 MB of memory: the shipped model's 1.77M int8 weights do not fit
    path = write("small.toml", '[scenario]\nbase = "cluster-2025"\nname = "small"\n\n'
                 '[hardware.inference]\npeak_tops = 744\nmemory_bandwidth_gb_s = 204.8\n'
                 'memory_gb = 0.001\nweight_dtype = "int8"\n')
    code = run.main(["ask", "--scenario", str(path), "--sat", "XS-03", "--prompt", "hi",
                     "--model-dir", model_dir])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "the shipped model (1.77M parameters) needs 0.00" in err
    assert "GB in int8" in err and "XS-03 has 0.001 GB: not run" in err
    world = World.from_scenario(str(path), model_dir=model_dir)
    try:
        with pytest.raises(UserError, match="XS-03 has 0.001 GB"):
            world.ask(cmd.Ask("XS-03", "hi"))
        assert not world.round_trips.trips  # nothing was queued for the model
    finally:
        world.close()


def test_onboard_timing_without_a_hardware_profile_is_refused(capsys, model_dir):
    code = run.main(["ask", "--scenario", "starlink-shell1", "--sat", "0", "--prompt", "hi",
                     "--model-dir", model_dir, "--timing", "onboard"])
    err = capsys.readouterr().err
    assert code == 2 and "has no hardware profile" in err and err.count("\n") == 1


def test_onboard_timing_reveals_the_reply_over_the_estimated_phase(model_dir):
    world = World.from_scenario("cluster-2025", model_dir=model_dir, blocking_inference=True)
    try:
        trip = resolved(world, sat="XS-03", prompt="Tell a story", timing="onboard",
                        max_tokens=30, seed=5)
        inference = next(p for p in trip.phases if p.name == "inference")
        assert inference.end_s - inference.start_s == pytest.approx(trip.figures.onboard_s)
        snap = world.snapshot()
        views = [trip_view(trip, inference.start_s + share * (inference.end_s - inference.start_s),
                           snap.n_sats, world.scenario.epoch, snap.positions_km,
                           snap.station_positions_km) for share in (0.0, 0.5, 1.0)]
        full = "".join(t for _, t in trip.pieces)
        assert views[0].reply == "" and views[-1].reply == full
        assert 0 < len(views[1].reply) < len(full)
        assert views[-1].tokens == trip.figures.generated_tokens
    finally:
        world.close()


def test_tokens_that_decode_to_no_text_are_counted_by_time():
    """A model whose tokens decode to no text (random weights, partial UTF-8) still shows
    how many tokens it has generated: shared out over the measured inference time."""
    import types

    from sim.roundtrip_view import revealed_tokens

    figures = types.SimpleNamespace(generated_tokens=120, measured_s=60.0)
    trip = types.SimpleNamespace(inference_start_s=100.0, figures=figures, timing="measured",
                                 pieces=[(0.5, ""), (59.0, "")])
    assert revealed_tokens(trip, 99.0) == 0
    assert revealed_tokens(trip, 130.0) == 60
    assert revealed_tokens(trip, 200.0) == 120


def test_ask_text_says_the_inference_times_as_the_phase_line_does(capsys, model_dir):
    """`run.py ask` without --json: the summary is the inference phase's own line (one
    formatter, sim/trip_text.py) with the first token and the prefill/decode split added."""
    code = run.main(["ask", "--scenario", "cluster-2025", "--sat", "XS-03", "--prompt", "hi",
                     "--model-dir", model_dir, "--max-tokens", "8", "--timing", "onboard"])
    out = capsys.readouterr().out
    assert code == 0
    row = next(line for line in out.splitlines() if line.strip().startswith("inference "))
    summary = next(line for line in out.splitlines() if line.startswith("inference: "))
    assert "on board" in row and "drives the timeline; measured here" in row
    assert "drives the timeline; measured here" in summary
    assert "(prefill " in summary and "first token " in summary
    assert summary.split(";")[0] == "inference: " + row.split("   ")[-1].split(";")[0].strip()


@pytest.mark.parametrize("fields,message", [
    ({"max_tokens": 2049}, "max_tokens: expected 1..2048 tokens, got 2049"),
    ({"timing": "fixed", "tokens_per_s": 0.0}, "tokens_per_s: expected 0.1..1e+06 tokens/s"),
    ({"timing": "fixed", "tokens_per_s": float("nan")}, "tokens_per_s"),
])
def test_ask_refuses_limits_before_loading_the_model(fields, message):
    """Ask's own limits (sim.commands: MAX_TOKENS, FIXED_TOKENS_PER_S), the same as the
    timeline's and the command line's, refused before the model loads."""
    world = World.from_scenario("cluster-2025")
    try:
        with pytest.raises(UserError, match=re.escape(message)):
            world.ask(cmd.Ask("XS-03", "hi", **fields))
        assert not world.round_trips.model_loaded and not world.round_trips.trips
    finally:
        world.close()


def test_the_whole_reply_shows_once_the_measured_phase_is_over():
    """A streamed piece's clock starts a little before the model's own timer: the last piece
    may carry an offset past `measured_s`. At the end of the phase the reply is all there
    (this race left a finished trip with an empty reply on a busy machine)."""
    import types

    from sim.roundtrip_view import revealed_reply
    from sim.trip import RoundTrip

    trip = RoundTrip(1, 0, "hi", (0,), 0.0, "measured", 0.0, stage="done",
                     inference_start_s=10.0, inference_end_s=10.5,
                     pieces=[(0.2, "Fair "), (0.52, "sea.")],
                     figures=types.SimpleNamespace(measured_s=0.5))
    assert revealed_reply(trip, 10.3) == "Fair "
    assert revealed_reply(trip, 10.5) == "Fair sea."
