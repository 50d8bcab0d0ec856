"""Scheduled Earth-observation captures (`every_min` on an [imaging.<name>] payload): when they
fire, what they skip, the bounds per step and on the onboard worker's queue, the totals, and
the key's strict checks."""
import datetime as dt

import numpy as np
import pytest

from sim import commands as cmd
from sim import scenario as scenario_mod
from sim.errors import UserError
from sim.scene import WATER_MASK, imagery, sun_elevation_deg
from sim.stations import geodetic_from_itrs
from sim.world import World

#: One satellite imaging every minute (from the epoch: a lone carrier's slots fall on whole
#: minutes), stations around the world to send its results down.
LONE = """[scenario]
name = "lone-imager"
epoch = "2026-01-15T00:00:00Z"

[imaging.cam]
swath_km = 290
gsd_m = 10
bands = 4
bits_per_sample = 12
needs_daylight = true
every_min = {every}

[[shells]]
name = "EYE"
altitude_km = 535
sun_synchronous = true
planes = 1
sats_per_plane = 1
imaging = "cam"

[ground]
sets = ["china", "commercial"]
"""


def lone(tmp_path, every="1"):
    path = tmp_path / "lone.toml"
    path.write_text(LONE.format(every=every))
    return path


def ground_below(world):
    """(lit, water) at the lone satellite's nadir now, worked out here from the geometry."""
    state = world.geometry.state
    lat, lon, _ = geodetic_from_itrs(state.positions_itrs_km[:1])
    sun = state.itrs_to_gcrs.T @ state.sun_dir_gcrs
    lit = sun_elevation_deg(float(lat[0]), float(lon[0]), sun) > 0.0
    mask = imagery(WATER_MASK)  # white = water; equirectangular, row 0 at the north pole
    row = min(int((90.0 - lat[0]) / 180.0 * mask.shape[0]), mask.shape[0] - 1)
    col = int((lon[0] + 180.0) / 360.0 * mask.shape[1]) % mask.shape[1]
    return lit, bool(mask[row, col, 0] > 127)


def test_a_lone_satellite_images_sunlit_land_on_its_minutes_and_skips_sea_and_night(tmp_path):
    world = World.from_scenario(str(lone(tmp_path)), blocking_inference=True)
    try:
        step_s, taken, expected = 30.0, {}, {"taken": [], "dark": 0, "water": 0}
        for _ in range(2 * 60 * 3):  # three hours: two orbits, day and night, sea and land
            before = world.sim_time_s
            snap = world.step(step_s)
            if int(world.sim_time_s // 60) > int(before // 60):  # a whole minute passed
                lit, water = ground_below(world)
                if not lit:
                    expected["dark"] += 1
                elif water:
                    expected["water"] += 1
                else:
                    expected["taken"].append(world.sim_time_s)
            for view in snap.observation.captures:
                taken[view.capture_id] = view  # its latest state
        obs = snap.observation
    finally:
        world.close()
    times = sorted(round((v.taken_utc - world.scenario.epoch).total_seconds(), 6)
                   for v in taken.values())
    assert times == pytest.approx(expected["taken"])  # the first step after each slot
    assert len(times) >= 5 and expected["dark"] >= 30 and expected["water"] >= 30
    assert (obs.scheduled_taken, obs.skipped_dark, obs.skipped_water, obs.skipped_limit) == (
        len(times), expected["dark"], expected["water"], 0)
    assert obs.scheduled_satellites == 1
    assert all(v.scheduled and v.label and v.label != "night" for v in taken.values())
    assert all(v.tile.shape == (64, 64, 3) and v.tile.any() for v in taken.values())
    # totals: every scheduled scene's raw bytes, and the results that reached a station
    raw = world.scenario.imaging["cam"].raw_scene_bytes()
    assert obs.raw_collected_bytes == pytest.approx(len(times) * raw)
    down = [v for v in taken.values() if v.state == "downlinked"]
    assert obs.downlinked_bytes >= sum(v.result_bytes for v in down) > 0
    assert obs.saved_bytes == pytest.approx(len(down) * raw - obs.downlinked_bytes)


def test_a_big_step_takes_a_few_captures_and_counts_the_rest():
    """network-2035's 2,400 imagers on their schedule, one Advance of an hour: every carrier
    is due 60 / every_min times, a handful are imaged, every other slot is counted as
    skipped."""
    from sim import observation_service

    world = World.from_scenario("network-2035", blocking_inference=True)
    try:
        carriers = world.snapshot().observation.scheduled_satellites
        assert carriers == 2400
        every_min, = {p.every_min for p in world.scenario.imaging.values()}
        per_hour = round(60.0 / every_min)
        snap = world.apply(cmd.Advance(3600.0))
        obs = snap.observation
        assert 0 < obs.scheduled_taken <= observation_service.SCHEDULED_PER_STEP
        slots = obs.scheduled_taken + obs.skipped_dark + obs.skipped_water + obs.skipped_limit
        assert slots == carriers * per_hour  # each slot of the hour accounted for, none caught up
        assert obs.skipped_dark > slots // 8 and obs.skipped_water > slots // 8
        assert len([v for v in obs.captures if v.scheduled]) == obs.scheduled_taken
        # a jump of the clock does not make up for the slots it skipped
        snap = world.apply(cmd.SetTime("2035-06-22T00:00:00Z"))
        snap = world.step(1.0)
        later = snap.observation
        new_slots = (later.scheduled_taken + later.skipped_dark + later.skipped_water
                     + later.skipped_limit) - slots
        assert new_slots <= 2400 / (every_min * 60.0) + 4  # one second of 2,400 carriers' slots
    finally:
        world.close()


class SilentWorker:
    """An onboard worker that takes requests and never answers (a model busy elsewhere)."""

    def __init__(self):
        self.requests = []

    def submit(self, request, sink):
        self.requests.append(request)


def test_a_busy_worker_gets_a_bounded_queue_and_the_step_a_bounded_count():
    from sim import observation_service

    world = World.from_scenario("network-2035")  # live: the step does not wait for answers
    worker = SilentWorker()
    world.round_trips.worker = lambda: worker
    taken = []
    for _ in range(20):
        snap = world.step(300.0)  # high warp: every carrier due in every step
        taken.append(snap.observation.scheduled_taken)
    per_step = np.diff([0] + taken)
    assert per_step.max() <= observation_service.SCHEDULED_PER_STEP
    assert len(worker.requests) == taken[-1] == observation_service.SCHEDULED_WAITING
    assert snap.observation.skipped_limit > 0
    assert not any(v.scheduled for v in snap.observation.captures)  # no tile cut yet


def test_no_schedule_no_scheduled_captures(tmp_path):
    world = World.from_scenario(str(lone(tmp_path, every="0")), blocking_inference=True)
    for _ in range(30):
        snap = world.step(60.0)
    obs = snap.observation
    assert obs.scheduled_satellites == 0 and obs.captures == () and obs.raw_collected_bytes == 0
    assert obs.scheduled_taken + obs.skipped_dark + obs.skipped_water + obs.skipped_limit == 0


@pytest.mark.parametrize("every, expected", [
    ("-5", "imaging.cam.every_min: must be 0 (on demand only) or 1..10080"),
    ("0.01", "imaging.cam.every_min: must be 0 (on demand only) or 1..10080"),
    ("1e6", "imaging.cam.every_min: must be 0 (on demand only) or 1..10080"),
    ('"ten"', "imaging.cam.every_min: expected a number, got 'ten'"),
    ("true", "imaging.cam.every_min: expected a number, got True"),
    ("nan", "imaging.cam.every_min: expected a finite number"),
])
def test_bad_schedules_name_file_line_and_field(tmp_path, every, expected):
    path = lone(tmp_path, every)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith("every_min"))
    with pytest.raises(UserError) as error:
        scenario_mod.load_toml(path)
    assert f"lone.toml:{line}: " in str(error.value) and expected in str(error.value)


def test_the_cluster_keeps_results_on_board_until_a_station_is_in_reach():
    """cluster-2025 (12 satellites every 10 min, three stations in China): over two hours
    each of the 144 slots is taken or skipped, and a result with no route at the capture is
    searched ahead and goes down later ("stored")."""
    world = World.from_scenario("cluster-2025", at=scenario_mod.parse_utc("2026-01-15T00:00:00Z"),
                                blocking_inference=True)
    seen = {}
    try:
        for _ in range(4 * 60):
            snap = world.step(30.0)
            seen.update((v.capture_id, v) for v in snap.observation.captures)
    finally:
        world.close()
    obs = snap.observation
    assert obs.scheduled_taken + obs.skipped_dark + obs.skipped_water + obs.skipped_limit == 144
    assert obs.scheduled_taken == len(seen) > 10 and obs.skipped_limit == 0
    stored = [v for v in seen.values() if v.path == "stored"]
    assert stored and all(v.on_ground_utc - v.taken_utc > dt.timedelta(seconds=1)
                          for v in stored)
    assert {v.path for v in seen.values()} >= {"direct", "lasers", "stored"}


def test_slots_are_spread_evenly_over_the_period_and_scattered_over_the_satellites():
    from sim.capture_schedule import CaptureSchedule

    schedule = CaptureSchedule.of({"msi": np.arange(2400), "ir": np.arange(3000, 3007)},
                                  {"msi": 600.0, "ir": 420.0})
    per_second = [len(schedule.due(t, t + 1.0).sats) for t in np.arange(0.0, 1200.0)]
    # 2,400 every 600 s: four every second; the 7 'ir' ones one a minute
    assert min(per_second) == 4 and max(per_second) == 5 and sum(per_second) == 4800 + 20
    first = schedule.due(0.0, 600.0 * 4 / 2400)  # the first four slots of the 2,400
    assert len(set(first.sats // 60)) == 4  # on four different stretches of 60 satellites
    # a short step finds the same satellites and slots as the slot count does, at any
    # step length (also across the end of a period); a long one returns each carrier once
    rng = np.random.default_rng(3)
    t = 0.0
    for _ in range(300):
        step = float(rng.choice([1 / 60, 1.7, 33.0, 500.0]))
        due = schedule.due(t, t + step)
        k1 = np.floor((t + step - schedule.phase_s) / schedule.period_s)
        count = k1 - np.floor((t - schedule.phase_s) / schedule.period_s)
        assert sorted(due.sats) == sorted(schedule.sats[count > 0])
        assert np.all((due.slot_s > t) & (due.slot_s <= t + step))
        assert np.all(np.diff(due.slot_s) >= 0)
        t += step
    big = schedule.due(0.0, 3600.0)
    # an hour: six slots of each 'msi' carrier, eight or nine of each 'ir' one; one taken
    assert len(big.sats) == 2407 and 2400 * 5 + 7 * 7 <= big.extra <= 2400 * 5 + 7 * 8
