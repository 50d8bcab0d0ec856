"""The app's clock without a window: fixed steps, slow motion around light-time phases,
fast-forward through waits, never stepping over a phase start or past the path search."""
from viz.ui import clock
from viz.ui.clock import TripTiming, decide
from viz.ui.trips import format_duration


def test_plain_warp_and_pause():
    d = decide(1 / 30, 100.0, 60.0, False, TripTiming())
    assert d.mode == "" and abs(d.dt_sim_s - 2.0) < 1e-12
    assert decide(1 / 30, 100.0, 60.0, True, TripTiming()).dt_sim_s == 0.0


def test_slow_motion_makes_a_light_phase_last_seconds():
    uplink_s = 0.0032
    d = decide(1 / 30, 10.0, 1000.0, False, TripTiming(light_phase_s=uplink_s, light_label="x"))
    assert d.mode == "slow"
    steps = uplink_s / d.dt_sim_s / 30  # wall seconds the phase takes
    assert abs(steps - clock.LIGHT_WALL_S) < 1e-6
    assert clock.format_warp(d.warp).startswith("x1/")


def test_step_lands_just_inside_the_next_phase():
    d = decide(1 / 30, 10.0, 10000.0, False, TripTiming(next_boundary_s=10.5))
    assert 10.5 < 10.0 + d.dt_sim_s <= 10.5 + 1e-6


def test_never_runs_ahead_of_the_path_search():
    d = decide(1 / 30, 10.0, 60.0, False, TripTiming(search_limit_s=50.0), True)
    assert d.mode == "search" and 10.0 + d.dt_sim_s <= 50.0
    d = decide(1 / 30, 10.0, 10000.0, False, TripTiming(search_limit_s=50.0), True)
    assert 10.0 + d.dt_sim_s <= 50.0


def test_fast_forward_through_a_long_wait_and_real_time_inference():
    wait = TripTiming(waiting_until_s=10.0 + 3 * 3600)
    d = decide(1 / 30, 10.0, 1.0, False, wait, auto_fast_forward=True)
    assert d.mode == "fast" and d.warp > 1000
    assert decide(1 / 30, 10.0, 1.0, False, wait, auto_fast_forward=False).warp == 1.0
    assert decide(1 / 30, 10.0, 500.0, False, TripTiming(in_inference=True)).warp == 1.0


def test_fixed_stepper_caps_catch_up():
    s = clock.FixedStepper(1 / 30, max_steps=3)
    assert s.steps(1 / 30 + 1e-9) == 1
    assert s.steps(2.0) == 3 and s.dropped_s > 1.5
    assert s.steps(0.0) == 0


def test_warp_keys_and_formats():
    assert clock.warp_up(60) == 100 and clock.warp_down(60) == 50
    assert clock.warp_up(10000) == 10000 and clock.warp_down(1) == 1
    assert format_duration(0.0031) == "3.10 ms" and format_duration(400) == "6 min 40 s"


def test_a_wait_stays_on_screen_when_not_fast_forwarded():
    near = TripTiming(waiting_until_s=10.0 + 120.0)  # two minutes at x60: two wall seconds
    d = decide(1 / 30, 10.0, 60.0, False, near)
    assert d.mode == "wait" and d.warp == 60.0 and "2 min" in d.note
    far = TripTiming(waiting_until_s=10.0 + 3 * 3600)
    d = decide(1 / 30, 10.0, 1.0, False, far, auto_fast_forward=False)
    assert d.mode == "wait" and d.warp == 1.0 and "3.0 h" in d.note
