"""Traffic: data flows (routes with a comet-trail packet, packet heads as glowing sprites),
ground stations (ring markers on the surface) and their beams to the satellites they link.

Flows are few (tens to thousands) but change every step, so their vertices are rebuilt from
`flow_paths_km` when the `flows` version changes: vectorised numpy, O(F*P). Beams use the
station and satellite positions (GCRS km); stations move with the Earth, so they are refreshed
with the `positions` / `earth` versions.
"""
from __future__ import annotations

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.glutil import DynamicMesh, Versions, set_uniforms
from viz.layers import Layer, additive, depth_write

# Background traffic stays in cool violet-blues: white-gold and cyan belong to the round trips
# the presenter sends (viz/layers/roundtrip.py), which must stand out from it.
UPLINK = (0.55, 0.62, 1.0)
DOWNLINK = (0.85, 0.52, 1.0)
STATION = (0.55, 1.0, 0.6)
SPRITE = np.dtype([("pos", "<f4", 3), ("colour", "<f4", 4), ("size", "<f4"), ("shape", "<f4")])
LINE = np.dtype([("pos", "<f4", 3), ("colour", "<f4", 4), ("t", "<f4")])
FLOW = np.dtype([("pos", "<f4", 3), ("s", "<f4"), ("progress", "<f4"), ("dir", "<f4")])


MAX_FAINT_BEAMS = 3000  #: above this many ground links only each station's best two are drawn
GLOW_COVER = 0.20  #: at most this share of the globe's disc is covered by inference glows


def glow_budget(n: int, height_px: int, base_px: float, min_px: float,
                cover: float = GLOW_COVER) -> tuple[float, float]:
    """(diameter px, strength 0..1) of n background glows in a frame height_px tall.

    Additive glows that overlap turn white: hundreds of busy satellites must read as a lively
    web, not as fog. Their size scales with the frame and is capped so that together they
    cover at most `cover` of the globe's disc (about a 0.42*height radius in the default
    views); where the cap bites, each glow also gets fainter, so a 480x270 frame does not
    merge them into blobs. Never below min_px (a glow smaller than a few pixels is a dot)."""
    size = base_px * height_px / 1080.0
    disc = np.pi * (0.42 * height_px) ** 2
    cap = np.sqrt(cover * disc / max(n, 1))
    strength = float(np.clip(cap / max(size, 1e-6), 0.5, 1.0))
    return float(max(min(size, cap), min_px)), strength


def busy_colour(count: np.ndarray) -> np.ndarray:
    """(N,3) colour of an inference glow by how many requests its satellite serves: one is a
    soft violet like the routes, several turn warm rose: load is read as colour, not as white."""
    x = np.clip(np.log2(np.maximum(count, 1)) / 2.0, 0.0, 1.0)[:, None]
    return (1 - x) * np.array([0.62, 0.58, 1.0]) + x * np.array([1.0, 0.55, 0.72])


def per_station_min(station: np.ndarray, length: np.ndarray, n_st: int) -> np.ndarray:
    """(n_st,) shortest length per station (inf where a station has none).

    The sim lists ground links grouped by station, so the fast path reduces each run of equal
    station ids (np.minimum.reduceat, ~10x faster than np.minimum.at on 100,000 links); any
    other order takes the scatter path."""
    best = np.full(n_st, np.inf)
    if len(station) and np.all(station[1:] >= station[:-1]):
        starts = np.flatnonzero(np.r_[True, station[1:] != station[:-1]])
        best[station[starts]] = np.minimum.reduceat(length, starts)
    else:
        np.minimum.at(best, station, length)
    return best


def beam_strength(station: np.ndarray, length_km: np.ndarray) -> np.ndarray:
    """Alpha per ground link: each station's shortest link bright, its second dimmer, the rest
    (a station may see dozens of satellites) a faint hint, so the beams read as a few clear
    lines instead of a starburst; 0 for the rest when there are very many (100,000
    satellites give ~100,000 ground links). O(K): two scatter-min passes, no sort."""
    length = np.asarray(length_km, float)
    n_st = int(station.max()) + 1 if len(station) else 0
    alpha = np.full(len(station), 0.045 if len(station) <= MAX_FAINT_BEAMS else 0.0, np.float32)
    for strength in (0.55, 0.22):
        best = per_station_min(station, length, n_st)
        hit = (length == best[station]) & np.isfinite(length)
        alpha[hit] = strength
        length = np.where(hit, np.inf, length)
    return alpha


def flow_geometry(paths: np.ndarray, lengths: np.ndarray):
    """Per-segment vertices of each route plus the arc-length fraction at every point.

    Returns (seg_a, seg_b, s_a, s_b, arc) with segments only where both ends are valid points;
    arc is (F,P) float, 0..1 along each route (km-based)."""
    f, p = paths.shape[:2]
    seg = np.linalg.norm(np.diff(paths, axis=1), axis=2) if p > 1 else np.zeros((f, 0))
    valid = np.arange(1, p)[None, :] < lengths[:, None]
    seg = np.where(valid, seg, 0.0)
    cum = np.concatenate([np.zeros((f, 1)), np.cumsum(seg, axis=1)], 1)
    total = np.maximum(cum[:, -1:], 1e-9)
    arc = cum / total
    fi, si = np.nonzero(valid)
    return fi, si, arc


def packet_heads(paths: np.ndarray, arc: np.ndarray, progress: np.ndarray) -> np.ndarray:
    """(F,3) position of each packet at `progress` (arc-length fraction) along its route."""
    f, p = arc.shape
    if p < 2:
        return paths[:, 0].astype(np.float64)
    k = np.clip((arc <= progress[:, None]).sum(1) - 1, 0, p - 2)
    rows = np.arange(f)
    a0, a1 = arc[rows, k], arc[rows, k + 1]
    w = np.clip((progress - a0) / np.maximum(a1 - a0, 1e-9), 0, 1)[:, None]
    return paths[rows, k] * (1 - w) + paths[rows, k + 1] * w


#: most ground links plus route points rebuilt every frame when the frame is past its
#: Snapshot (beyond, they follow each new Snapshot only)
PER_FRAME_MAX = 300_000


class TrafficLayer(Layer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.flow_prog = shaders.program("flows")
        self.line_prog = shaders.program("lines")
        self.sprite_prog = shaders.program("sprites")
        self.routes = DynamicMesh(ctx, self.flow_prog, "3f 1f 1f 1f", "in_pos", "in_s",
                                  "in_progress", "in_dir")
        self.beams = DynamicMesh(ctx, self.line_prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self.sprites = DynamicMesh(ctx, self.sprite_prog, "3f 4f 1f 1f", "in_pos", "in_colour",
                                   "in_size", "in_shape")   # packet heads, inference glows
        self.station_sprites = DynamicMesh(ctx, self.sprite_prog, "3f 4f 1f 1f", "in_pos",
                                           "in_colour", "in_size", "in_shape")
        self._versions = Versions()
        self._heads = np.zeros(0, SPRITE)
        self._stations = np.zeros(0, SPRITE)
        self.height_px = 1080       #: frame height of the last update: sprite sizes follow it
        self._built_height = 1080
        self._n_flows = 0
        self._ahead_s = 0.0  #: the frame time past the Snapshot the buffers were built for

    def update(self, snapshot, frame) -> None:
        # Background sprites follow the frame height (no floor: at 480x270 they must stay
        # small).
        self.height_px = frame.height_px
        v = self._versions
        resized = self.height_px != self._built_height
        flows = v.changed(snapshot, "flows", len(snapshot.flow_path_len)) or resized
        moved = v.changed(snapshot, "positions", snapshot.n_sats)
        ground = v.changed(snapshot, "ground_links", len(snapshot.ground_pairs))
        earth = v.changed(snapshot, "earth")
        # A frame past its Snapshot (sim on its own thread) moves routes and beams with the
        # satellites; rebuilt per frame only while that stays cheap (not at a million).
        ahead = frame.ahead_s != self._ahead_s and \
            len(snapshot.ground_pairs) + np.size(snapshot.flow_sat_index) <= PER_FRAME_MAX
        self._ahead_s = frame.ahead_s
        flows = flows or ahead
        moved = moved or ahead
        if flows:
            self._update_flows(snapshot)
            self.sprites.write(self._heads)
        if moved or ground or earth or resized:
            self._update_ground(snapshot)
            self.station_sprites.write(self._stations)

    def _update_flows(self, snap) -> None:
        lengths = np.asarray(snap.flow_path_len, int)
        self._n_flows, self._built_height = len(lengths), self.height_px
        if not len(lengths) or lengths.max() < 1:
            self.routes.write(np.zeros(0, FLOW))
            self._heads = np.zeros(0, SPRITE)
            return
        paths = np.asarray(snap.flow_paths_km, np.float64).reshape(len(lengths), -1, 3)
        progress = np.asarray(snap.flow_progress, np.float64)
        direction = np.asarray(snap.flow_direction, np.float32)
        fi, si, arc = flow_geometry(paths, lengths)
        verts = np.zeros((len(fi), 2), FLOW)
        verts["pos"][:, 0], verts["pos"][:, 1] = paths[fi, si], paths[fi, si + 1]
        verts["s"][:, 0], verts["s"][:, 1] = arc[fi, si], arc[fi, si + 1]
        verts["progress"] = progress[fi, None]
        verts["dir"] = direction[fi, None]
        self.routes.write(verts.reshape(-1))
        heads = np.zeros(len(lengths), SPRITE)
        heads["pos"] = packet_heads(paths, arc, progress)
        height = self.height_px
        size, strength = glow_budget(len(lengths), height, 11.0, 2.5, cover=0.04)
        heads["colour"] = np.where(direction[:, None] > 0, (*UPLINK, 0.8 * strength),
                                   (*DOWNLINK, 0.8 * strength))
        heads["size"] = size
        # One soft glow on each inference satellite (a route's last point), however many
        # requests it serves: stacked additive glows would burn white. Its colour says how busy.
        # Grouped by the satellite index of each route's last point (1-D unique: ~20x faster
        # than np.unique over (F,3) position rows).
        routed = np.flatnonzero(lengths > 1)
        last = lengths[routed] - 1
        sat = np.asarray(snap.flow_sat_index)[routed, last]
        _, first, count = np.unique(sat, return_index=True, return_counts=True)
        ends_pos = paths[routed[first], last[first]]
        size, strength = glow_budget(len(ends_pos), height, 20.0, 4.0)
        ends = np.zeros(len(ends_pos), SPRITE)
        ends["pos"] = ends_pos
        ends["colour"][:, :3] = busy_colour(count)
        ends["colour"][:, 3] = (0.5 + 0.1 * np.minimum(count, 4)) * strength
        ends["size"] = size
        self._heads = np.concatenate([heads, ends])

    def _update_ground(self, snap) -> None:
        st = np.asarray(snap.station_positions_km, np.float64).reshape(-1, 3)
        # Stations sit on the ellipsoid, up to 21 km below the drawn sphere near the poles:
        # lift them onto it so the globe does not hide them.
        r = np.maximum(np.linalg.norm(st, axis=1, keepdims=True), 1.0)
        st = st * (np.maximum(r, EARTH_RADIUS_KM + 3.0) / r)
        stations = np.zeros(len(st), SPRITE)
        stations["pos"] = st
        stations["colour"] = (*STATION, 0.9)
        stations["size"] = max(13.0 * self.height_px / 1080.0, 7.0)  # a ring needs 7 px
        stations["shape"] = 1.0
        self._stations = stations
        pairs = np.asarray(snap.ground_pairs).reshape(-1, 2)
        strength = beam_strength(pairs[:, 0], np.asarray(snap.ground_length_km))
        # Rank all links, then keep the drawn ones that name a known station and satellite:
        # at 100,000 satellites that is a few hundred of ~100,000, so masks stay small.
        drawn = np.flatnonzero(strength > 0)
        pairs, strength = pairs[drawn], strength[drawn]
        ok = (pairs[:, 0] < len(st)) & (pairs[:, 1] < snap.n_sats)
        pairs, strength = pairs[ok], strength[ok]
        beams = np.zeros((len(pairs), 2), LINE)
        if len(pairs):
            beams["pos"][:, 0] = st[pairs[:, 0]]
            beams["pos"][:, 1] = snap.sat_positions(pairs[:, 1])
            beams["colour"][:, 0, :3] = STATION
            beams["colour"][:, 1, :3] = STATION
            beams["colour"][:, 0, 3] = strength
            beams["colour"][:, 1, 3] = strength * 0.25
            beams["t"][:, 1] = 1.0
        self.beams.write(beams.reshape(-1))

    def draw(self, camera, frame) -> None:
        ctx = self.ctx
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST | ctx.PROGRAM_POINT_SIZE)
        depth_write(ctx, False)
        additive(ctx)
        set_uniforms(self.sprite_prog, **frame.uniforms)
        if frame.layers.stations:
            set_uniforms(self.line_prog, **frame.uniforms, u_model=np.eye(3), u_pulse_rate=0.8)
            self.beams.render(ctx.LINES)
        if frame.layers.flows:
            # Hundreds of routes with bright trails would fog the globe: fainter the more there are.
            n = max(self._n_flows, 1)
            set_uniforms(self.flow_prog, **frame.uniforms, u_trail=0.12,
                         u_gain=float(np.clip((60.0 / n) ** 0.35, 0.55, 1.0)))
            self.routes.render(ctx.LINES)
        # Sprites without the depth test: sprites.vert hides the ones the Earth covers.
        ctx.disable(ctx.DEPTH_TEST)
        if frame.layers.stations:
            self.station_sprites.render(ctx.POINTS)
        if frame.layers.flows:
            self.sprites.render(ctx.POINTS)

    def release(self) -> None:
        for mesh in (self.routes, self.beams, self.sprites, self.station_sprites):
            mesh.release()
        super().release()
