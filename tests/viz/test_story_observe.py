"""The shipped story of Earth observation (assets/scenarios/story-observe.toml) tells what its
captions say: played as a recording plays it (the sim's script player, blocking on the model),
XS-08's result races over the lasers to a station within the second, XS-09's waits on board
for a station and then goes down, and both fit in the video."""
import datetime as dt

from sim.script import ScriptRun
from sim.world import World

FPS = 10


def test_story_observe_plays_as_its_captions_say():
    world = World.from_scenario("story-observe", blocking_inference=True)
    try:
        script = ScriptRun(world)
        assert script.length_s < 60  # "under a minute"
        states: dict[str, set] = {}
        arrived_t: dict[str, float] = {}
        snap = world.snapshot()
        k = 0
        while not script.finished:
            k += 1
            snap = script.frame(1 / FPS, k / FPS)
            for cap in snap.observation.captures:
                states.setdefault(cap.satellite, set()).add(cap.state)
                if cap.state == "downlinked":
                    arrived_t.setdefault(cap.satellite, script.t)
        first, second = (next(c for c in snap.observation.captures if c.satellite == name)
                         for name in ("XS-08", "XS-09"))
        # XS-08: over the laser ring, on the ground within a second of the capture
        assert first.path == "lasers" and first.hops[0] == "XS-08" and len(first.hops) >= 3
        assert first.on_ground_utc - first.taken_utc < dt.timedelta(seconds=1)
        assert first.label and first.result_bytes < 400 and first.raw_bytes > 1e9
        # XS-09: stored on board until a station is reached, then down
        assert second.path == "stored" and "stored" in states["XS-09"]
        assert second.on_ground_utc - second.taken_utc > dt.timedelta(seconds=20)
        assert states["XS-09"] >= {"stored", "downlinked"}
        # the wait ends while the video still runs, with time to see the packet go down
        assert arrived_t["XS-09"] < script.length_s - 6
        assert "Xi'an" in first.hops[-1]
        totals = snap.observation
        assert totals.downlinked_bytes == first.result_bytes + second.result_bytes
        assert totals.saved_bytes == totals.raw_collected_bytes - totals.downlinked_bytes
    finally:
        world.close()
