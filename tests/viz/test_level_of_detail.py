"""Level of detail for very large constellations: what is thinned, that the thinning keeps
what matters (loaded links) and stays put as the topology changes, and that it is told."""
import numpy as np

from viz.layers.links import links_to_draw
from viz.layers.satellites import MARKER_BUDGET, marker_stride
from viz.layers.training import edge_stride, glow_px, ring_edges


def test_links_under_budget_are_all_drawn():
    pairs = np.array([[0, 1], [1, 2], [2, 3]])
    assert links_to_draw(pairs, np.zeros(3, bool), budget=10).tolist() == [0, 1, 2]


def test_thinned_links_keep_every_loaded_one_and_fit_the_budget():
    rng = np.random.default_rng(1)
    pairs = np.sort(rng.integers(0, 50_000, size=(20_000, 2)), axis=1)
    loaded = rng.random(20_000) < 0.05
    drawn = links_to_draw(pairs, loaded, budget=4_000)
    assert set(np.flatnonzero(loaded)) <= set(drawn)
    assert 3_000 < len(drawn) <= 4_000 + 400  # a hash sample: about the budget
    assert np.all(np.diff(drawn) > 0)


def test_a_grid_of_links_is_thinned_to_about_the_budget():
    """+Grid links are structured, (i, i+1) along a plane and (i, i+P) across: the sample
    must still be about one in k of them, whatever k (a weak hash drew a seventh of it)."""
    planes, per_plane = 400, 250
    index = np.arange(planes * per_plane).reshape(planes, per_plane)
    along = np.stack([index.ravel(), np.roll(index, -1, axis=1).ravel()], axis=1)
    across = np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1)
    pairs = np.sort(np.concatenate([along, across]), axis=1)
    for budget in (2_000, 15_000, 30_000):
        drawn = links_to_draw(pairs, np.zeros(len(pairs), bool), budget=budget)
        assert 0.8 * budget < len(drawn) <= 1.1 * budget, (budget, len(drawn))


def test_the_same_links_stay_drawn_when_others_come_and_go():
    rng = np.random.default_rng(2)
    pairs = np.unique(np.sort(rng.integers(0, 30_000, size=(12_000, 2)), axis=1), axis=0)
    idle = np.zeros(len(pairs), bool)
    before = {tuple(p) for p in pairs[links_to_draw(pairs, idle, budget=2_000)]}
    fewer = pairs[::2]  # half the links broke; the drawn share stays the same one-in-k
    after = {tuple(p) for p in fewer[links_to_draw(fewer, idle[::2], budget=1_000)]}
    kept = {tuple(p) for p in fewer} & before
    assert kept == after


def test_loaded_links_beyond_the_budget_are_sampled_too_and_no_idle_one_is_drawn():
    rng = np.random.default_rng(3)
    pairs = np.sort(rng.integers(0, 50_000, size=(20_000, 2)), axis=1)
    loaded = rng.random(20_000) < 0.5  # about 10,000 loaded links for a budget of 2,000
    drawn = links_to_draw(pairs, loaded, budget=2_000)
    assert loaded[drawn].all()
    assert 1_500 < len(drawn) <= 2_000 + 200
    again = links_to_draw(pairs[::-1], loaded[::-1], budget=2_000)  # the same links, reordered
    assert {tuple(p) for p in pairs[drawn]} == {tuple(p) for p in pairs[::-1][again]}


def test_markers_thin_only_beyond_the_budget():
    assert marker_stride(2_800) == 1 and marker_stride(MARKER_BUDGET) == 1
    assert marker_stride(MARKER_BUDGET + 1) == 2
    assert marker_stride(1_000_000) == -(-1_000_000 // MARKER_BUDGET)


def test_a_huge_training_ring_draws_a_sample_of_edges_and_smaller_glows():
    class Job:
        collective = "ring"
        members = np.arange(10_000)
        ring_link_pairs = np.zeros((0, 2), int)

    positions = np.arange(30_000, dtype=float).reshape(-1, 3)
    start, end, directed = ring_edges(Job, lambda i: positions[i], budget=2_000)
    assert edge_stride(Job, 2_000) == 5 and len(start) == 2_000 and directed
    assert np.array_equal(start[1], positions[5]) and np.array_equal(end[1], positions[6])
    assert glow_px(400) == 20.0 and glow_px(10_000) == 5.0


def _limb_point(eye: np.ndarray, altitude_km: float, miss_km: float) -> np.ndarray:
    """A point `altitude_km` up whose segment to `eye` passes `miss_km` outside the Earth's
    surface (negative: inside it, so the Earth hides the point), past the limb."""
    from sim.constants import EARTH_RADIUS_KM

    u = eye / np.linalg.norm(eye)
    w = np.cross(u, [0.0, 0.0, 1.0])
    w /= np.linalg.norm(w)
    theta = np.linspace(0.0, np.pi, 200_001)
    pts = (EARTH_RADIUS_KM + altitude_km) * (np.cos(theta)[:, None] * u + np.sin(theta)[:, None] * w)
    d = pts - eye
    t = np.clip(-(d @ eye) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    closest = np.linalg.norm(eye + d * t[:, None], axis=1)
    past_limb = t < 1.0  # the closest approach lies between the eye and the point
    i = np.argmin(np.where(past_limb, np.abs(closest - (EARTH_RADIUS_KM + miss_km)), np.inf))
    return pts[i]


def test_markers_the_earth_hides_are_not_drawn_at_all(draw):
    """A satellite just behind the limb draws nothing, not even the halo that would show past
    the Earth's edge (markers.vert drops it: the same segment test as picking); one just in
    view of the limb still shines."""
    from sim.layers import LayerSettings
    from viz.camera import OrbitCamera
    from viz.picking import occluded_by_earth
    from viz.synthetic import single_satellite

    quiet = LayerSettings(borders=False, atmosphere=False, stars=False, orbits=False)
    cam = OrbitCamera((320, 180))
    cam.distance_km = 30000.0
    base = single_satellite((0.0, 0.0, -90000.0))
    cam.move_with(base)
    eye = cam.eye()
    for k, (miss_km, shines) in enumerate(((150.0, True), (-150.0, False))):
        p = _limb_point(eye, 1500.0, miss_km)
        assert occluded_by_earth(eye, p[None])[0] != shines
        images = []
        for j, online in enumerate((True, False)):
            versions = {**base.versions, "positions": 100 + 2 * k + j, "satellites": 100 + 2 * k + j}
            snap = single_satellite(p, online=np.array([online]), versions=versions)
            images.append(draw(snap, cam, labels=False, layers=quiet).astype(float))
        on, off = images
        (x, y), = cam.project(p[None])[0]
        x, y = int(round(x)), int(round(y))
        diff = np.abs(on - off)[y - 6:y + 7, x - 6:x + 7].max()
        assert (diff > 60) if shines else (diff < 3), (miss_km, diff)


def test_the_live_window_thins_what_shots_and_recordings_draw_whole(ctx):
    """30,000 satellites: the live window's renderer draws one marker in two and at most
    LINK_BUDGET links, and says so; a shot's or a recording's draws every marker."""
    from viz.camera import OrbitCamera
    from viz.frame import FrameContext
    from viz.layers.links import LINK_BUDGET, LINK_BUDGET_OFFLINE
    from viz.offscreen import OffscreenTarget
    from viz.renderer import Renderer
    from viz.synthetic import make_snapshot

    snap = make_snapshot(planes=120, per_plane=250, n_flows=0)
    assert snap.n_sats == 30_000 and snap.n_links > LINK_BUDGET_OFFLINE
    cam = OrbitCamera((160, 90))
    cam.move_with(snap)
    strides, notes = {}, {}
    for live in (True, False):
        renderer = Renderer(ctx, cam.size, quality="fast", live=live)
        target = OffscreenTarget(ctx, cam.size)
        try:
            renderer.draw(snap, cam, target.fbo, FrameContext())
            strides[live] = renderer.satellites.stride
            notes[live] = renderer.detail_notes()
            shown = renderer.links.shown
        finally:
            target.release()
            renderer.release()
        budget = LINK_BUDGET if live else LINK_BUDGET_OFFLINE
        assert 0.8 * budget < shown <= 1.1 * budget, (live, shown)
    assert strides == {True: 2, False: 1}
    assert any("Satellites: 1 in 2 drawn (15,000 of 30,000)" in n for n in notes[True])
    assert not any(n.startswith("Satellites") for n in notes[False])
