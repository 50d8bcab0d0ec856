"""The one sim clock (sim/clock.py) without a window: fixed steps, slow motion around
light-time phases (automatic or at a script's light warp), fast-forward through waits, never
stepping over a phase start or past the path search; and the World stepping through it."""
import pytest

from sim import clock
from sim import commands as cmd
from sim.clock import SCRIPTED, ClockPolicy, TripSchedule, decide
from sim.errors import UserError
from sim.world import World


def test_plain_warp_and_pause():
    d = decide(1 / 30, 100.0, 60.0, False, TripSchedule())
    assert d.mode == "" and d.dt_sim_s == pytest.approx(2.0, abs=1e-12)
    assert decide(1 / 30, 100.0, 60.0, True, TripSchedule()).dt_sim_s == 0.0


def test_slow_motion_makes_a_light_phase_last_seconds():
    uplink_s = 0.0032
    plan = TripSchedule(light_phase_s=uplink_s, light_phase="uplink", light_detail="Kashi")
    d = decide(1 / 30, 10.0, 1000.0, False, plan)
    assert d.mode == "slow" and d.note == "uplink: Kashi"
    wall_s = uplink_s / d.dt_sim_s / 30  # wall seconds the phase takes
    assert wall_s == pytest.approx(clock.LIGHT_WALL_S, rel=1e-6)
    assert clock.format_warp(d.warp).startswith("x1/")


def test_a_script_fixes_the_light_warp_or_turns_slow_motion_off():
    plan = TripSchedule(light_phase_s=100.0, light_phase="hops_up")
    fixed = ClockPolicy(slow_motion="fixed", light_warp=0.01)
    assert decide(0.1, 10.0, 60.0, False, plan, fixed).dt_sim_s == pytest.approx(0.001)
    assert decide(0.1, 10.0, 60.0, False, plan, SCRIPTED).dt_sim_s == pytest.approx(6.0)


def test_step_lands_just_inside_the_next_phase_under_every_policy():
    for policy in (clock.LIVE, SCRIPTED):
        d = decide(1 / 30, 10.0, 10000.0, False, TripSchedule(next_boundary_s=10.5), policy)
        assert 10.5 < 10.0 + d.dt_sim_s <= 10.5 + 1e-6


def test_never_runs_ahead_of_the_path_search():
    d = decide(1 / 30, 10.0, 60.0, False, TripSchedule(search_limit_s=50.0))
    assert d.mode == "search" and 10.0 + d.dt_sim_s <= 50.0
    d = decide(1 / 30, 10.0, 10000.0, False, TripSchedule(search_limit_s=50.0))
    assert 10.0 + d.dt_sim_s == pytest.approx(50.0)
    d = decide(1 / 30, 10.0, 60.0, False, TripSchedule(search_limit_s=50.0), SCRIPTED)
    assert d.mode == "" and d.dt_sim_s == pytest.approx(2.0)


def test_fast_forward_through_a_long_wait_and_real_time_inference():
    wait = TripSchedule(waiting_until_s=10.0 + 3 * 3600)
    d = decide(1 / 30, 10.0, 1.0, False, wait)
    assert d.mode == "fast" and d.warp == pytest.approx(3 * 3600 / clock.WAIT_WALL_S)
    no_ff = ClockPolicy(fast_forward_waits=False)
    assert decide(1 / 30, 10.0, 1.0, False, wait, no_ff).warp == 1.0
    thinking = TripSchedule(in_inference=True)
    assert decide(1 / 30, 10.0, 500.0, False, thinking).warp == 1.0
    assert decide(1 / 30, 10.0, 500.0, False, thinking, SCRIPTED).warp == 500.0


def test_a_wait_stays_on_screen_when_not_fast_forwarded():
    near = TripSchedule(waiting_until_s=10.0 + 120.0)  # two minutes at x60: two wall seconds
    d = decide(1 / 30, 10.0, 60.0, False, near)
    assert d.mode == "wait" and d.warp == 60.0 and "2 min" in d.note
    far = TripSchedule(waiting_until_s=10.0 + 3 * 3600)
    d = decide(1 / 30, 10.0, 1.0, False, far, ClockPolicy(fast_forward_waits=False))
    assert d.mode == "wait" and d.warp == 1.0 and "3.0 h" in d.note


def test_fixed_stepper_caps_catch_up():
    s = clock.FixedStepper(1 / 30, max_steps=3)
    assert s.steps(1 / 30 + 1e-9) == 1
    assert s.steps(2.0) == 3 and s.dropped_s > 1.5
    assert s.steps(0.0) == 0


def test_warp_keys_and_formats():
    assert clock.warp_up(60) == 100 and clock.warp_down(60) == 50
    assert clock.warp_up(10000) == 10000 and clock.warp_down(1) == 1
    assert clock.format_warp(0.0) == "paused" and clock.format_warp(60) == "x60"


def test_set_clock_presets_fields_and_bad_values():
    policy = clock.clock_policy(clock.LIVE, cmd.SetClock(preset="scripted"))
    assert policy == SCRIPTED
    policy = clock.clock_policy(policy, cmd.SetClock(slow_motion="fixed", light_warp=0.5))
    assert (policy.slow_motion, policy.light_warp, policy.fast_forward_waits) == \
        ("fixed", 0.5, False)
    for bad, text in ((cmd.SetClock(preset="fast"), "preset"),
                      (cmd.SetClock(slow_motion="slower"), "slow motion"),
                      (cmd.SetClock(light_warp=0.0), "light warp"),
                      (cmd.SetClock(light_warp=float("nan")), "light warp")):
        with pytest.raises(UserError, match=text):
            clock.clock_policy(clock.LIVE, bad)
    again = cmd.from_json(cmd.SetClock(preset="live", light_warp=2.0).to_json())
    assert again == cmd.SetClock(preset="live", light_warp=2.0)


def test_the_world_steps_through_its_clock(cluster_world):
    world = World(cluster_world.scenario)
    t0 = world.snapshot().sim_time_s
    snap = world.apply(cmd.SetWarp(60.0))
    assert snap.clock.warp_set == 60.0 and snap.clock.warp == 60.0 and not snap.paused
    snap = world.advance(0.5)
    assert snap.sim_time_s == pytest.approx(t0 + 30.0)
    world.apply(cmd.SetPaused(True))
    snap = world.advance(0.5)
    assert snap.sim_time_s == pytest.approx(t0 + 30.0) and snap.clock.mode == "paused"
    assert snap.warp == 0.0
    snap = world.apply(cmd.Advance(60.0))  # the panel's "Step 1 min" works while paused
    assert snap.sim_time_s == pytest.approx(t0 + 90.0)
    with pytest.raises(UserError, match="advance must be"):
        world.apply(cmd.Advance(-1.0))
