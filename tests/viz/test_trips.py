"""Round trips and link pulses: pixels where the camera maths and the trip's state put them."""
import dataclasses

import numpy as np
import pytest

from viz.camera import OrbitCamera
from viz.layers.roundtrip import hops_passed, phase_text
from viz.layers.traffic import flow_geometry, packet_heads
from viz.presets import apply_preset
from viz.synthetic import demo_round_trip, hop_route, make_snapshot, single_satellite

SIZE = (640, 360)


def render(draw, snap, cam, time_s=1.25):
    """The frame as float RGB, labels off (text would add light of its own)."""
    return draw(snap, cam, time_s=time_s, labels=False).astype(float)


def side_camera():
    """Eye on +x, 30,000 km out: points at x = 0 with |y| > 7,000 km are off the Earth's disc."""
    cam = OrbitCamera(SIZE)
    cam.azimuth_deg, cam.elevation_deg, cam.distance_km = 0.0, 0.0, 30000.0
    return cam


def two_satellites(p, q, load_ratio, sign):
    """Two satellites joined by one laser link carrying `load_ratio` of its capacity."""
    pos = np.array([p, q], float)
    base = single_satellite(p, sun_dir=(-1.0, 0.0, 0.0))
    return dataclasses.replace(
        base, sat_names=("A", "B"), roles=np.zeros(2, np.int8), shell_index=np.zeros(2, np.int16),
        plane_index=np.zeros(2, np.int32), positions_km=pos, velocities_km_s=np.zeros((2, 3)),
        positions_itrs_km=pos, sunlit=np.ones(2, bool), online=np.ones(2, bool),
        capacity_pflops=np.ones(2), utilisation=np.zeros(2), isl_pairs=np.array([[0, 1]], np.int32),
        isl_length_km=np.array([np.linalg.norm(pos[1] - pos[0])]),
        isl_capacity_gbps=np.array([100.0]), isl_load_gbps=np.array([100.0 * load_ratio]),
        isl_flow_sign=np.array([sign], np.int8),
        versions={**base.versions, "load": 7 + sign, "links": 3, "positions": 5})


@pytest.mark.parametrize("sign", [1, -1])
def test_link_pulse_moves_in_flow_direction(draw, renderer, sign):
    p, q = np.array([0.0, 9000.0, 2000.0]), np.array([0.0, 9000.0, -2000.0])
    snap = two_satellites(p, q, 0.5, sign)
    cam = side_camera()
    length = np.linalg.norm(q - p)
    s_km = np.linspace(500.0, length - 500.0, 60)   # clear of the end markers
    pix = cam.project(p + (q - p) * (s_km / length)[:, None])[0]
    renderer.links.pulse_spacing_km = 5000.0   # one pulse on the link at a time
    renderer.links.strength = 0.12             # keep the pulse below 255: argmax must not tie
    heads = []
    try:
        for t in (1.25, 1.35):
            img = render(draw, snap, cam, time_s=t).sum(axis=2)
            rows, cols = pix[:, 1].astype(int), pix[:, 0].astype(int)
            along = np.max([img[rows, cols + dx] for dx in (-1, 0, 1)], axis=0)
            assert along.max() < 3 * 250
            heads.append(s_km[np.argmax(along)])
    finally:
        renderer.links.pulse_spacing_km = 700.0
        renderer.links.strength = 1.0
    # links.frag: the head is where sign*s/spacing - t*(0.6 + 1.4*level) is an integer, with
    # level = 0.25 + 0.75*ln(1 + load/0.002)/ln(501) (load 0.5 -> 0.917: 940 km in 0.1 s).
    level = 0.25 + 0.75 * np.log(1 + 0.5 / 0.002) / np.log(501.0)
    rate = 0.6 + 1.4 * level
    head = [5000.0 * ((sign * t * rate) % 1.0) for t in (1.25, 1.35)]
    # The comet is brightest a little behind its head: u^10 * (1 - smoothstep(0.96, 1, u)).
    u = np.linspace(0.0, 1.0, 10001)
    x = np.clip((u - 0.96) / 0.04, 0.0, 1.0)
    u_peak = u[np.argmax(u ** 10 * (1.0 - x * x * (3.0 - 2.0 * x)))]
    predicted = [h - sign * (1.0 - u_peak) * 5000.0 for h in head]
    moved = heads[1] - heads[0]
    assert np.sign(moved) == sign, heads
    assert abs(moved - (predicted[1] - predicted[0])) < 150.0, (heads, predicted)
    for got, want in zip(heads, predicted):
        assert abs(got - want) < 150.0, (heads, predicted)


@pytest.fixture(scope="module")
def world():
    """A 240-satellite shell whose stations see satellites a few hops from satellite 3."""
    return make_snapshot(12, 20, n_flows=0, selected=3)


def test_demo_trip_legs(world):
    station, route = hop_route(world, 3)
    assert station >= 0 and route[-1] == 3 and len(route) >= 3
    pairs = {tuple(sorted(p)) for p in world.isl_pairs.tolist()}
    assert all(tuple(sorted(h)) in pairs for h in zip(route[:-1], route[1:]))
    up = demo_round_trip(world, 3, "hops_up")
    assert list(up.leg_sat_index) == [-1] + route
    np.testing.assert_allclose(up.leg_path_km[0], world.station_positions_km[station], rtol=1e-6)
    down = demo_round_trip(world, 3, "hops_down")
    assert list(down.leg_sat_index) == route[::-1] + [-1]
    assert len(demo_round_trip(world, 3, "inference").leg_path_km) == 0
    with pytest.raises(ValueError):
        demo_round_trip(world, 3, "teleport")


def test_phase_text(world):
    trip = demo_round_trip(world, 3, "inference", tokens=42, elapsed_s=51)
    assert phase_text(trip, world.station_names, 51.0) == "inference · 42 tokens · 0:51"
    up = demo_round_trip(world, 3, "hops_up", leg_progress=0.0)
    n = len(up.leg_sat_index) - 2
    assert hops_passed(up) == (0, n)
    assert hops_passed(dataclasses.replace(up, leg_progress=1.0)) == (n, n)
    assert phase_text(up) == f"prompt · laser hop 1 of {n}"
    st = world.station_names[up.station]
    assert phase_text(demo_round_trip(world, 3, "uplink"), world.station_names) == f"uplink from {st}"
    assert "waiting" in phase_text(demo_round_trip(world, 3, "waiting_up"))
    assert phase_text(demo_round_trip(world, 3, "done"), elapsed_s=3725) .endswith("1:02:05")


def trip_view(world, trip):
    snap = dataclasses.replace(world, round_trips=(trip,))
    return snap, apply_preset(OrbitCamera(SIZE), "trip", snap)


def test_trip_camera_shows_target_and_station(world):
    trip = demo_round_trip(world, 3, "hops_up")
    snap, cam = trip_view(world, trip)
    cam.track(snap.positions_km[3], snap.velocities_km_s[3])
    px, _, front = cam.project(np.vstack([snap.positions_km[3], trip.leg_path_km[0]]))
    assert front.all()
    assert ((px >= 0) & (px < SIZE)).all(), px


def test_packet_drawn_where_the_leg_progress_puts_it(draw, world):
    trip = demo_round_trip(world, 3, "hops_up", leg_progress=0.6)
    snap, cam = trip_view(world, trip)
    path = trip.leg_path_km.astype(float)
    _, _, arc = flow_geometry(path[None], np.array([len(path)]))
    head = packet_heads(path[None], arc, np.array([0.6]))[0]
    with_trip = render(draw, snap, cam)
    cam = apply_preset(OrbitCamera(SIZE), "trip", snap)   # same view, no trip drawn
    without = render(draw, dataclasses.replace(snap, round_trips=()), cam)
    (x, y), = cam.project(head[None])[0]
    x, y = int(x), int(y)
    added = (with_trip - without)[y - 2:y + 3, x - 2:x + 3]
    assert added.sum(axis=2).max() > 200, "no packet at the predicted pixel"
    # The prompt travels white-gold: more red than blue where it adds light.
    far = (with_trip - without)[max(y - 40, 0):y - 25, :].sum()
    assert added[..., 0].sum() > added[..., 2].sum() and added.sum() > far / 50


@pytest.mark.parametrize("phase,radius_px", [("inference", 0), ("waiting_up", 9.7)])
def test_target_glow_and_waiting_ring(draw, world, phase, radius_px):
    trip = demo_round_trip(world, 3, phase)
    snap, cam = trip_view(world, trip)
    cam.track(snap.positions_km[3], snap.velocities_km_s[3])
    glow = render(draw, snap, cam)
    cam = apply_preset(OrbitCamera(SIZE), "trip", snap)
    cam.track(snap.positions_km[3], snap.velocities_km_s[3])
    plain = render(draw, dataclasses.replace(snap, round_trips=()), cam)
    (x, y), = cam.project(snap.positions_km[3][None])[0]
    yy, xx = np.mgrid[:SIZE[1], :SIZE[0]]
    r = np.hypot(xx + 0.5 - x, yy + 0.5 - y)
    added = (glow - plain).sum(axis=2)
    # Inference: a glow centred on the target. Waiting: a dashed ring of radius
    # 0.7 * 46 px * scale / 2 around it (sprites.frag), dark in the middle.
    ring = np.abs(r - radius_px) < 3 if radius_px else r < 6
    assert added[ring].mean() > (40 if radius_px else 150), added[ring].mean()
    if radius_px:
        assert added[r < 6].mean() < added[ring].mean() / 3


def test_inference_label_before_the_first_token(world):
    trip = demo_round_trip(world, 3, "inference", tokens=0)
    assert phase_text(trip) == "inference · generating"


def test_way_up_drawn_beside_the_way_down(draw, world):
    """While the answer comes down, the way up stays in view in the prompt's gold, in a lane
    beside the down leg (the two follow the same satellites)."""
    trip = demo_round_trip(world, 3, "hops_down", leg_progress=0.3)
    assert len(trip.up_path_km) == len(trip.leg_path_km) >= 3
    snap, cam = trip_view(world, trip)
    both = render(draw, snap, cam)
    no_up = dataclasses.replace(trip, up_path_km=np.zeros((0, 3), np.float32),
                                up_sat_index=np.zeros(0, np.int32))
    cam = apply_preset(OrbitCamera(SIZE), "trip", snap)
    down_only = render(draw, dataclasses.replace(snap, round_trips=(no_up,)), cam)
    added = both - down_only
    assert added.sum() > 3000 and added[..., 0].sum() > added[..., 2].sum(), "no gold way up"
    # Across the middle of the longest hop on screen, the added light is off to one side.
    px, _, _ = cam.project(trip.up_path_km.astype(float))
    seg = np.argmax(np.linalg.norm(np.diff(px, axis=0), axis=1))
    a, b = px[seg], px[seg + 1]
    mid, d = (a + b) / 2, (b - a) / np.linalg.norm(b - a)
    normal = np.array([-d[1], d[0]])
    light = added.sum(axis=2)
    side = [max(light[int(round(y)), int(round(x))] for x, y in
                (mid + normal * k * s for s in (4, 5, 6))) for k in (1, -1)]
    assert max(side) > 3 * max(min(side), 1.0), side


def training_snapshot(phase: str, collective: str = "ring"):
    """The synthetic shell with one training job on its first plane's ten satellites."""
    from sim.snapshot import TrainingView

    snap = make_snapshot(6, 10, n_flows=0)
    members = np.arange(10, dtype=np.int32)
    job = TrainingView(name="t", collective=collective, members=members, steps_done=3,
                       phase=phase, phase_progress=0.5, figures={},
                       busiest_pair=np.array([-1, -1], np.int32),
                       ring_link_pairs=np.stack([members, np.roll(members, -1)], axis=1))
    return dataclasses.replace(snap, training=(job,))


@pytest.mark.parametrize("phase, colour, pulses", [
    ("reduce-scatter", (1.00, 0.55, 0.20), True), ("all-gather", (0.75, 0.50, 1.00), True),
    ("compute", (0.80, 0.85, 0.95), False)])
def test_training_ring_and_members_take_the_phase_colour(renderer, phase, colour, pulses):
    from sim.layers import LayerSettings
    from viz.frame import FrameContext

    snap = training_snapshot(phase)
    layer = renderer.training
    layer.update(snap, FrameContext(layers=LayerSettings()))
    ribbons, sprites = layer.build(time_s=1.0)
    assert len(sprites) == 10 and len(ribbons) == 2 * 10  # a segment per ring edge
    np.testing.assert_allclose(sprites["colour"][:, :3], np.tile(colour, (10, 1)), atol=1e-6)
    # ring order: member k -> k + 1, the last back to the first
    np.testing.assert_allclose(ribbons["pos"][1], snap.positions_km[1], rtol=1e-6)
    np.testing.assert_allclose(ribbons["pos"][-1], snap.positions_km[0], rtol=1e-6)
    assert ((ribbons["progress"] >= 0).all()) == pulses
    layer.update(snap, FrameContext(layers=LayerSettings(training=False)))
    assert layer.build(1.0)[0].size == 0 and layer.build(1.0)[1].size == 0


def test_training_members_light_up_where_the_camera_maths_puts_them(draw):
    snap = training_snapshot("reduce-scatter")
    cam = apply_preset(OrbitCamera(SIZE), "default", snap)
    with_job = draw(snap, cam, labels=False).astype(float)
    without = draw(dataclasses.replace(snap, training=()), cam, labels=False).astype(float)
    added = (with_job - without).sum(axis=2) > 30
    px, _, front = cam.project(np.asarray(snap.positions_km[:10], float))
    hits = 0
    for (x, y), visible in zip(px, front):
        if visible and 3 <= x < SIZE[0] - 3 and 3 <= y < SIZE[1] - 3:
            hits += bool(added[int(y) - 3:int(y) + 4, int(x) - 3:int(x) + 4].any())
    assert hits >= 3 and added.sum() > 50


def test_model_sizes_read_in_words():
    from viz.ui.training import count_words

    assert count_words(8e9) == "8 billion parameters"
    assert count_words(3.5e8) == "350 million parameters"
    assert count_words(1.2e12) == "1.2 trillion parameters"
