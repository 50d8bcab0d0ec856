"""The Ask window's timing choice reaches the Ask command, and a model too big for the
satellite's memory is a message in the app, not a crash and not a run (issue 12). A real World,
no window."""
from __future__ import annotations

import argparse
import time

from sim import commands as cmd
from sim.cli import world_from_args
from viz.ui.ask import TIMINGS, time_lines
from viz.ui.session import Session

SMALL = """[scenario]
base = "cluster-2025"
name = "small"

[hardware.inference]
peak_tops = 744
memory_bandwidth_gb_s = 204.8
memory_gb = 0.001
"""


def settle(session: Session, timeout: float = 60.0) -> None:
    """Tick until a prompt held for the model loader has been sent (or refused)."""
    deadline = time.monotonic() + timeout
    while session.pending is not None or session.model_loading:
        assert time.monotonic() < deadline, "the model never finished loading"
        session.tick(1 / 30)
        time.sleep(0.01)


def session_on(scenario: str, model_dir: str) -> Session:
    return Session(argparse.Namespace(scenario=scenario, at=None, seed=None), world_from_args,
                   model_dir=model_dir)


def test_onboard_timing_chosen_in_the_window_drives_the_new_trip(model_dir):
    assert [value for value, _ in TIMINGS] == ["measured", "onboard"]
    session = session_on("cluster-2025", model_dir)
    try:
        session.apply(cmd.Select(2))
        assert session.ask("hi", max_tokens=8, timing="onboard")
        settle(session)
        trips = session.world.round_trips.trips
        assert trips and trips[-1].timing == "onboard", [m[1] for m in session.messages]
    finally:
        session.close()


def test_a_model_too_big_for_the_satellite_is_a_message(tmp_path, model_dir):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    session = session_on(str(path), model_dir)
    try:
        session.apply(cmd.Select(2))
        sent = session.ask("hi", max_tokens=8)
        settle(session)
        last = [m[1] for m in session.messages][-1]
        assert "Not sent:" in last and "XS-03 has 0.001 GB: not run" in last, last
        assert not sent or session.pending is None
        assert not session.world.round_trips.trips
    finally:
        session.close()


def test_the_log_shows_both_times_or_says_there_is_no_profile():
    both = time_lines({"measured_s": 0.42, "onboard_s": 0.0018, "onboard_prefill_s": 0.0002,
                       "onboard_decode_s": 0.0016})
    assert both == ["measured here: 420 ms",
                    "on board: 1.80 ms (prefill 200 us, decode 1.60 ms)"]
    assert time_lines({"measured_s": 2.0})[1] == "on board: no hardware profile"
