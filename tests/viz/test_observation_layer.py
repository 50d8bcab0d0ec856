"""Earth observation in the scene (viz/layers/observation.py): the footprint's geometry, where
it lands on screen, the animation phases of a capture and the labels' text."""
import dataclasses
import datetime as dt

import numpy as np
import pytest

from sim.capture_view import CaptureView, ObservationView
from sim.constants import EARTH_RADIUS_KM, EARTH_ROTATION_RAD_S
from sim.layers import LayerSettings
from viz.camera import OrbitCamera
from viz.layers import observation as obs
from viz.synthetic import single_satellite

T0 = dt.datetime(2026, 1, 15, 3, 50, tzinfo=dt.timezone.utc)


def unit(lat, lon):
    lat, lon = np.radians(lat), np.radians(lon)
    return np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def capture(state="stored", **changes) -> CaptureView:
    fields = dict(capture_id=1, satellite="S0", sat=0, taken_utc=T0, lat_deg=0.0, lon_deg=0.0,
                  heading_deg=0.0, swath_km=1500.0, tile=np.zeros((64, 64, 3), np.uint8),
                  state=state, label="ocean", confidence=0.97, raw_bytes=5.05e9,
                  result_bytes=160, path="direct", hops=("S0", "Home"),
                  on_ground_utc=T0 + dt.timedelta(milliseconds=3))
    fields.update(changes)
    return CaptureView(**fields)


def test_footprint_is_a_square_of_the_swath_centred_on_the_capture_heading_along_track():
    R = EARTH_RADIUS_KM
    grid = obs.footprint_itrs(30.0, 100.0, 90.0, 290.0, along=4, across=2, radius_km=R)
    assert grid.shape == (5, 3, 3)
    np.testing.assert_allclose(grid[2, 1], R * unit(30.0, 100.0), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(grid, axis=-1), R)
    along = np.linalg.norm(grid[-1, 1] - grid[0, 1])
    across = np.linalg.norm(grid[2, -1] - grid[2, 0])
    assert along == pytest.approx(290.0, rel=2e-3) and across == pytest.approx(290.0, rel=2e-3)
    # heading 90 deg: the front row lies east of the back row, at the same latitude
    east = np.array([-np.sin(np.radians(100.0)), np.cos(np.radians(100.0)), 0.0])
    assert np.dot(grid[-1, 1] - grid[0, 1], east) > 289.0
    lat = np.degrees(np.arcsin(grid[[0, -1], 1, 2] / R))
    np.testing.assert_allclose(lat, 30.0, atol=0.1)


def test_outline_closes_round_the_grid():
    grid = obs.footprint_itrs(0.0, 0.0, 0.0, 100.0, along=3, across=2)
    ring = obs.outline(grid)
    np.testing.assert_allclose(ring[0], ring[-1])
    assert len(ring) == 2 * 3 + 2 * 2 + 1


def test_hop_names_map_to_satellites_then_stations():
    nodes = obs.hop_nodes(("B", "A", "Kashi"), ("A", "B", "C"), ("Xi'an", "Kashi"))
    assert nodes.tolist() == [1, 0, -2]
    assert obs.hop_nodes(("A", "nowhere", "Kashi"), ("A",), ("Kashi",)).tolist() == [0]


def test_a_capture_is_scanned_then_decided_then_sent_down_in_the_frame_clock():
    seen = obs._Seen(first_s=10.0)
    assert seen.phase(10.5, "captured") == "deciding"
    seen.decided_s = 10.1  # the model answers within a frame: the ripples still get their time
    ready = 10.0 + obs.SCAN_S + obs.DECIDE_S
    assert seen.phase(ready - 0.01, "stored") == "deciding"
    assert seen.phase(ready + 0.01, "stored") == "stored"
    seen.down_s = 10.2  # on the ground already: the packet leaves once the decision shows
    assert seen.down_start_s == pytest.approx(ready)
    assert seen.phase(ready + 0.01, "downlinked") == "down"
    assert seen.phase(ready + 0.01, "failed") == "failed"


def test_the_footprint_fades_after_the_result_is_down(renderer):
    from viz.frame import FrameContext

    layer = renderer.observation
    if True:
        snap = single_satellite((EARTH_RADIUS_KM + 600.0, 0.0, 0.0), sat_names=("S0",),
                                station_names=("Home",),
                                station_positions_km=np.array([[EARTH_RADIUS_KM, 50.0, 0.0]]))
        cap = capture("downlinked")
        snap = dataclasses.replace(snap, observation=ObservationView((cap,)))
        layer.update(snap, FrameContext())
        assert layer.strength(cap, 0.0) == 1.0
        gone = obs.SCAN_S + obs.DECIDE_S + obs.DOWN_S + obs.HOLD_S + obs.FADE_S + 0.1
        assert layer.strength(cap, gone) == 0.0
        # half way down: a packet between the satellite and the station, magenta
        _, sprites, patches = layer.build(obs.SCAN_S + obs.DECIDE_S + 0.5 * obs.DOWN_S)
        assert len(patches) == 6 * obs.ALONG * obs.ACROSS
        heads = sprites[np.isclose(sprites["size"], 44.0)]
        assert len(heads) == 1 and 0 < heads["pos"][0, 1] < 50.0
        np.testing.assert_allclose(heads["colour"][0, :3], obs.OBSERVE, atol=1e-6)
        label, = layer.labels(1.0, obs.SCAN_S + obs.DECIDE_S + 1.0)
        assert "down to Home" in label.text
        layer.update(snap, FrameContext(layers=LayerSettings(observation=False)))
        assert layer.captures == () and layer.labels(1.0, 0.0) == []


def test_footprint_lands_where_the_camera_maths_predicts(draw):
    """A big footprint on the side of the Earth facing the camera: its centre pixel turns
    magenta with the layer on, and nothing changes across the disc from it."""
    cam = OrbitCamera((320, 180))
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 30.0, 10.0, 20000.0
    # the satellite far away behind the camera's back, so that only the footprint shows
    snap = single_satellite((0.0, 0.0, -60000.0), sun_dir=(1.0, 0.0, 0.0), sat_names=("S0",))
    cam.move_with(snap)
    turn = np.asarray(snap.itrs_to_gcrs, float)
    facing = turn.T @ (cam.eye() / np.linalg.norm(cam.eye()))  # ITRS, below the camera
    lat = np.degrees(np.arcsin(facing[2])) + 12.0  # off the middle of the view
    lon = np.degrees(np.arctan2(facing[1], facing[0])) - 9.0
    cap = capture("stored", lat_deg=lat, lon_deg=lon, swath_km=1500.0)
    snap = dataclasses.replace(snap, observation=ObservationView((cap,)))
    quiet = LayerSettings(borders=False, atmosphere=False, stars=False, orbits=False)
    on = draw(snap, cam, time_s=0.3, labels=False, layers=quiet).astype(float)
    off = draw(snap, cam, time_s=0.3, labels=False,
               layers=quiet.with_toggles({"observation": False})).astype(float)
    centre = turn @ (unit(lat, lon) * (EARTH_RADIUS_KM + obs.LIFT_KM))
    (px, py), = cam.project(centre[None])[0]
    diff = (on - off)[int(py) - 2:int(py) + 3, int(px) - 2:int(px) + 3].mean(axis=(0, 1))
    assert diff[0] > 8 and diff[2] > 5 and diff[0] > 1.5 * diff[1], diff  # magenta, not green
    # the same distance from the middle of the view the other way: nothing
    far = turn @ (unit(lat - 24.0, lon + 18.0) * EARTH_RADIUS_KM)
    (fx, fy), = cam.project(far[None])[0]
    assert np.abs(on - off)[int(fy) - 2:int(fy) + 3, int(fx) - 2:int(fx) + 3].max() < 2


def test_label_text_follows_the_phase():
    cap = capture("downlinked", hops=("XS-08", "XS-09", "Xi'an Satellite Control Center (XSCC)"))
    assert obs.capture_text(cap, "deciding").startswith("imaging · 5.05 GB sensed")
    assert obs.capture_text(cap, "stored") == "ocean 97% · 160 B waiting for a station"
    assert obs.capture_text(cap, "down") == ("ocean 97% · 160 B down to Xi'an Satellite "
                                             "Control Center, 5.05 GB stayed up")
    assert obs.capture_text(capture("failed", error="no station"), "failed") == \
        "capture failed: no station"
    assert obs.format_bytes(999) == "999 B" and obs.format_bytes(12_400) == "12.4 kB"


def test_a_frame_ahead_of_its_snapshot_turns_the_footprint_with_the_earth(renderer):
    """The footprint is Earth-fixed: drawn 600 s past its Snapshot it has turned with the
    Earth by the frame's own rotation (viz.ahead.SnapshotAhead), not the Snapshot's."""
    from viz.ahead import SnapshotAhead
    from viz.frame import FrameContext

    layer = renderer.observation
    snap = single_satellite((EARTH_RADIUS_KM + 600.0, 0.0, 0.0), sat_names=("S0",))
    snap = dataclasses.replace(snap, observation=ObservationView((capture("stored"),)))
    centres = []
    for drawn in (snap, SnapshotAhead(snap, 600.0)):
        layer.update(drawn, FrameContext())
        patches = layer.build(0.5)[2]
        centres.append(patches["pos"].astype(float).mean(axis=0))
    angle = np.degrees(np.arctan2(centres[1][1], centres[1][0])
                       - np.arctan2(centres[0][1], centres[0][0]))
    assert angle == pytest.approx(np.degrees(600.0 * EARTH_ROTATION_RAD_S), abs=0.05)
    assert centres[1][2] == pytest.approx(centres[0][2], abs=1.0)


def test_hop_names_follow_a_new_list_of_names():
    """The name maps are kept per list object (built once for a constellation's 100,000
    names): a new list, as after a scenario switch, is read afresh."""
    first = tuple(f"S{i}" for i in range(5000))
    second = first[::-1]
    for _ in range(2):
        assert obs.hop_nodes(("S7", "Kashi"), first, ("Kashi",)).tolist() == [7, -1]
        assert obs.hop_nodes(("S7", "Kashi"), second, ("Xi'an", "Kashi")).tolist() == [4992, -2]
    for i in range(3):  # more lists than are kept
        assert obs.hop_nodes(("S1",), tuple(f"S{j}" for j in range(i, 3000)), ()).tolist() \
            == ([1 - i] if i <= 1 else [])
    assert obs.hop_nodes(("S7", "Kashi"), first, ("Kashi",)).tolist() == [7, -1]


def test_scheduled_captures_speak_only_for_the_selected_satellite(renderer):
    """A network images every few seconds on its schedule: those captures draw footprints but
    no text, unless their satellite is selected; a capture asked for (button, script) always
    has its line."""
    from viz.frame import FrameContext

    layer = renderer.observation
    snap = single_satellite((EARTH_RADIUS_KM + 600.0, 0.0, 0.0), sat_names=("S0",))
    asked = capture("stored", sat=0)
    scheduled = dataclasses.replace(asked, scheduled=True)
    for cap, selected, lines in ((asked, -1, 1), (scheduled, -1, 0), (scheduled, 0, 1)):
        drawn = dataclasses.replace(snap, observation=ObservationView((cap,)), selected=selected)
        layer.update(drawn, FrameContext())
        assert len(layer.build(0.5)[2]) > 0  # the footprint either way
        assert len(layer.labels(1.0, 0.5)) == lines, (cap.scheduled, selected)


def test_a_footprint_on_the_far_side_is_not_built(renderer):
    """Seen from an eye 30,000 km over (0, 0), whose horizon lies 77.7 deg away, a footprint
    at (0, 0) is built and one at (0, 180) is not (the Earth hides it); one straddling the
    limb, centred at (0, 78.5), still is: a corner faces the eye; one at (0, 81) is not."""
    from viz.frame import FrameContext

    layer = renderer.observation
    snap = single_satellite((EARTH_RADIUS_KM + 600.0, 0.0, 0.0), sat_names=("S0",))
    turn = np.asarray(snap.itrs_to_gcrs, float)
    eye = turn @ (unit(0.0, 0.0) * 30_000.0)
    assert np.degrees(np.arccos(EARTH_RADIUS_KM / 30_000.0)) == pytest.approx(77.7, abs=0.05)
    for lon, built in ((0.0, True), (180.0, False), (78.5, True), (81.0, False)):
        cap = capture("stored", lat_deg=0.0, lon_deg=lon, swath_km=290.0,
                      capture_id=int(lon * 10) + 1)
        layer.update(dataclasses.replace(snap, observation=ObservationView((cap,))),
                     FrameContext())
        assert (len(layer.build(0.5, eye_km=eye)[2]) > 0) == built, lon
        assert len(layer.build(0.5)[2]) > 0  # without an eye, always
