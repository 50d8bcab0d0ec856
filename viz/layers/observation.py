"""Earth-observation captures (`snapshot.observation`, see `sim.capture_view.CaptureView`) in
the scene, so that a presenter can say: this satellite looks at this square of ground, decides
on board what it is, and only the answer comes down.

  footprint   the imaged square on the ground (the capture's centre, heading and swath), a
              translucent magenta patch with a glowing outline, fixed to the Earth (it turns
              with it); a bright bar sweeps along the track as the scene is taken; faint lines
              join it to the satellite while the satellite is still above it
  deciding    ripples leaving the satellite while the model classifies ("captured")
  stored      a slow glow and a turning dashed ring on the satellite: the result waits on
              board for a way down
  way down    once the result is on the ground, a packet runs along its path (satellite ...
              station, the `hops`) and the station flashes

The model decides in microseconds and the way down takes milliseconds of light, far less than
a frame at any warp, so both are replayed in animation time (the frame clock, which a
recording steps evenly): the scan takes SCAN_S, the deciding ripples DECIDE_S, and the packet
DOWN_S from the frame that first sees the result on the ground (never before the decision
shows); the footprint stays HOLD_S after that, then fades over FADE_S.
Magenta is used for nothing else in the scene (round trips are white-gold and cyan, training
orange and violet, the deploy lemon yellow, traffic blue and violet, stations green).

Frames and units: positions GCRS km; the footprint is laid out Earth-fixed (ITRS km, on the
drawn sphere: the Earth texture is mapped by latitude and longitude on a sphere, so the
capture's geodetic latitude is used as the sphere's, and the patch lies over the imagery the
tile was cut from) and turned with `snapshot.itrs_to_gcrs` of the frame's own time.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from sim.trip_text import format_bytes
from viz.glutil import DynamicMesh, set_uniforms
from viz.layers import additive, depth_write
from viz.layers.labels import Label
from viz.layers.ribbons import RibbonSpriteLayer
from viz.layers.roundtrip import DASHED, GLOW, RIBBON, RING, STATION, lift_to_surface
from viz.layers.traffic import LINE, SPRITE, flow_geometry, packet_heads

OBSERVE = (1.0, 0.32, 0.78)  #: the sensor and its result: magenta
LIFT_KM = 6.0  #: the patch floats this far above the drawn sphere (its facets dip ~3.4 km)
SCAN_S = 1.6   #: animation seconds the scan bar takes to cross the footprint
DECIDE_S = 2.4  #: animation seconds of deciding ripples after the scan
DOWN_S = 3.5   #: animation seconds the result's packet takes along its way down
HOLD_S = 8.0   #: animation seconds the footprint stays after the result is down (then fades)
FADE_S = 2.0
ALONG, ACROSS = 24, 8  #: the patch's grid (rows along the track: the scan bar needs them)
MAX_SHOWN = 8  #: newest captures drawn at once


def footprint_itrs(lat_deg: float, lon_deg: float, heading_deg: float, swath_km: float,
                   along: int = ALONG, across: int = ACROSS,
                   radius_km: float = EARTH_RADIUS_KM + LIFT_KM) -> np.ndarray:
    """(along+1, across+1, 3) Earth-fixed km: a grid over the square `swath_km` on a side
    centred on (lat, lon), rows along `heading_deg` (clockwise from north; row 0 is the back
    edge, the last row the front), on a sphere of `radius_km`. Offsets are laid out in the
    tangent plane and pushed onto the sphere (290 km: under 0.1% from true ground distance)."""
    lat, lon, h = (math.radians(v) for v in (lat_deg, lon_deg, heading_deg))
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.cross(up, east)
    ahead = math.cos(h) * north + math.sin(h) * east
    right = np.cross(ahead, up)  # to the right of the direction of travel
    a = np.linspace(-0.5, 0.5, along + 1)[:, None, None] * swath_km
    c = np.linspace(-0.5, 0.5, across + 1)[None, :, None] * swath_km
    p = up * EARTH_RADIUS_KM + a * ahead + c * right
    return p / np.linalg.norm(p, axis=-1, keepdims=True) * radius_km


def outline(grid: np.ndarray) -> np.ndarray:
    """(P,3) the grid's border as one closed polyline (back-left, front-left, front-right,
    back-right, back-left)."""
    return np.concatenate([grid[:, 0], grid[-1, 1:], grid[-2::-1, -1], grid[0, -2::-1]])


def patch_triangles(grid: np.ndarray, alpha: np.ndarray, colour=OBSERVE) -> np.ndarray:
    """LINE-typed vertices (three per triangle) filling `grid` with per-row `alpha`."""
    rows, flat = _patch_corners(grid.shape[0], grid.shape[1])
    v = np.empty(flat.size, LINE)
    v["pos"] = grid.reshape(-1, 3)[flat]
    v["colour"][:, :3] = colour
    v["colour"][:, 3] = np.asarray(alpha)[rows]
    v["t"] = 0.0
    return v


@functools.lru_cache(maxsize=4)
def _patch_corners(n_rows: int, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and flat grid index of each vertex of the two triangles per cell of an
    (n_rows, n_cols) grid, in cell order: (i,j) (i+1,j) (i+1,j+1) (i,j) (i+1,j+1) (i,j+1)."""
    i, j = np.meshgrid(np.arange(n_rows - 1), np.arange(n_cols - 1), indexing="ij")
    di = np.array([0, 1, 1, 0, 1, 0])
    dj = np.array([0, 0, 1, 0, 1, 1])
    rows = (i.reshape(-1, 1) + di).ravel()
    cols = (j.reshape(-1, 1) + dj).ravel()
    rows.flags.writeable = False
    flat = rows * n_cols + cols
    flat.flags.writeable = False
    return rows, flat


def _faces(grid: np.ndarray, eye_km: np.ndarray) -> bool:
    """True when some corner of the footprint `grid` (GCRS km, on the sphere) is on the side
    of the Earth that `eye_km` sees: above the corner's horizon plane."""
    corners = grid[[0, 0, -1, -1], [0, -1, 0, -1]]
    up = corners / np.linalg.norm(corners, axis=1, keepdims=True)
    return bool(np.any(np.einsum("ij,ij->i", eye_km - corners, up) > 0.0))


@dataclasses.dataclass
class _Seen:
    """What the layer remembers of one capture: animation times (frame clock, s) and its
    route's nodes."""

    first_s: float  #: the capture was first drawn
    decided_s: float | None = None  #: its label was first seen
    down_s: float | None = None  #: its result was first seen on the ground (or it failed)
    nodes: np.ndarray | None = None  #: route nodes: satellite index, or -1 - station index
    grid_itrs: np.ndarray | None = None  #: the footprint's grid, Earth-fixed (made once)

    @property
    def ready_s(self) -> float | None:
        """When the decision shows: the model takes microseconds, so the scan and the
        deciding ripples get SCAN_S + DECIDE_S of the frame clock first."""
        if self.decided_s is None:
            return None
        return max(self.first_s + SCAN_S + DECIDE_S, self.decided_s)

    @property
    def down_start_s(self) -> float | None:
        """When the packet leaves (never before the decision shows)."""
        if self.down_s is None or self.ready_s is None:
            return None
        return max(self.down_s, self.ready_s)

    def phase(self, time_s: float, state: str) -> str:
        """What the capture shows at `time_s`: deciding, stored, down, failed."""
        if state == "failed":
            return "failed"
        if self.ready_s is None or time_s < self.ready_s:
            return "deciding"
        if self.down_start_s is not None and time_s >= self.down_start_s:
            return "down"
        return "stored"


_INDEXES: dict[int, tuple] = {}  #: id(names) -> (names, {name: index}), the last few


def _index_of(names) -> dict:
    """{name: index} of the sequence `names`, built once per sequence object: a Snapshot's
    sat_names is the same tuple from step to step, and building the map for 100,000 names
    took 9 ms (a million: 100 ms) each time a capture came down."""
    if len(names) < 1000:  # a few stations: cheaper to build than to keep (new every Snapshot)
        return {name: i for i, name in enumerate(names)}
    entry = _INDEXES.get(id(names))
    if entry is None or entry[0] is not names:
        if len(_INDEXES) >= 2:
            del _INDEXES[next(iter(_INDEXES))]  # the oldest
        entry = _INDEXES[id(names)] = (names, {name: i for i, name in enumerate(names)})
    return entry[1]


def hop_nodes(hops, sat_names, station_names) -> np.ndarray:
    """Route nodes of `hops` (names, satellite first, station last): satellite index, or
    -1 - station index; an unknown name ends the path there."""
    sats, stations = _index_of(sat_names), _index_of(station_names)
    nodes = []
    for name in hops:
        if name in sats:
            nodes.append(sats[name])
        elif name in stations:
            nodes.append(-1 - stations[name])
        else:
            break
    return np.array(nodes, np.int64)


class ObservationLayer(RibbonSpriteLayer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.patch_prog = shaders.program("lines")
        self.patches = DynamicMesh(ctx, self.patch_prog, "3f 4f 1f", "in_pos", "in_colour", "in_t")
        self.captures: tuple = ()
        self._snap = None
        self._seen: dict[tuple, _Seen] = {}

    def update(self, snapshot, frame) -> None:
        obs = snapshot.observation
        on = frame.layers.observation
        self.captures = tuple(obs.captures[-MAX_SHOWN:]) if on else ()
        self._snap = snapshot
        keys = {self._key(c) for c in self.captures}
        self._seen = {k: v for k, v in self._seen.items() if k in keys}

    @staticmethod
    def _key(capture) -> tuple:
        # capture ids restart with a new World: the instant makes the key unique
        return capture.capture_id, capture.taken_utc

    def seen(self, capture, time_s: float) -> _Seen:
        """The capture's animation record, started now if it is new (or the clock went back)."""
        key = self._key(capture)
        s = self._seen.get(key)
        if s is None or time_s < s.first_s:
            s = self._seen[key] = _Seen(time_s)
        if capture.label and (s.decided_s is None or time_s < s.decided_s):
            s.decided_s = time_s
        if capture.state == "downlinked" and (s.down_s is None or time_s < s.down_s):
            s.down_s = time_s
            s.nodes = hop_nodes(capture.hops, self._snap.sat_names, self._snap.station_names)
        if capture.state == "failed" and s.down_s is None:
            s.down_s = s.decided_s = time_s
        return s

    def strength(self, capture, time_s: float) -> float:
        """1 while the capture is in play, fading to 0 over FADE_S once HOLD_S animation
        seconds have passed since its result came down (or it failed)."""
        s = self.seen(capture, time_s)
        end = s.down_start_s if capture.state != "failed" else s.down_s
        if end is None:
            return 1.0
        return float(np.clip(1.0 - (time_s - end - DOWN_S - HOLD_S) / FADE_S, 0.0, 1.0))

    # --- geometry ------------------------------------------------------------------------
    def _route_km(self, nodes: np.ndarray) -> np.ndarray:
        snap = self._snap
        out = np.zeros((len(nodes), 3))
        on_sat = nodes >= 0
        if on_sat.any():
            out[on_sat] = snap.sat_positions(nodes[on_sat])
        if (~on_sat).any():
            st = np.asarray(snap.station_positions_km, np.float64).reshape(-1, 3)
            out[~on_sat] = lift_to_surface(st[-1 - nodes[~on_sat]])
        return out

    def build(self, time_s: float, px_scale: float = 1.0, eye_km: np.ndarray | None = None):
        """(ribbon vertices, sprites, patch triangles) of every capture at `time_s`; seen from
        `eye_km` (GCRS), footprints on the Earth's far side are left out (the depth test would
        hide them after all the work)."""
        snap, k = self._snap, px_scale
        ribbons, sprites, patches = [], [], []

        def sprite(pos, colour, alpha, size, shape):
            sp = np.zeros(1, SPRITE)
            sp["pos"], sp["colour"] = pos, (*colour, alpha)
            sp["size"], sp["shape"] = size * k, shape
            sprites.append(sp)

        turn = np.asarray(snap.itrs_to_gcrs, np.float64)
        pulse = 0.5 + 0.5 * math.sin(time_s * 4.0)
        for cap in self.captures:
            strength = self.strength(cap, time_s)
            if strength <= 0.0:
                continue
            s = self._seen[self._key(cap)]
            if s.grid_itrs is None:  # fixed to the Earth: only its turn changes per frame
                s.grid_itrs = footprint_itrs(cap.lat_deg, cap.lon_deg, cap.heading_deg,
                                             cap.swath_km)
            grid = s.grid_itrs @ turn.T
            sat_ok = 0 <= cap.sat < snap.n_sats
            sat_km = np.asarray(snap.sat_positions(cap.sat), np.float64) if sat_ok else None
            if eye_km is None or _faces(grid, eye_km):
                self._footprint(cap, s, grid, sat_km, time_s, strength, k, ribbons, patches)
            phase = s.phase(time_s, cap.state)
            if sat_km is not None and phase == "deciding" and time_s >= s.first_s + 0.5 * SCAN_S:
                sprite(sat_km, OBSERVE, 0.6 + 0.3 * pulse, 60 * (1 + 0.1 * pulse), GLOW)
                for j in range(3):  # ripples: the model is deciding
                    f = (time_s * 0.8 + j / 3.0) % 1.0
                    sprite(sat_km, OBSERVE, 0.9 * (1.0 - f), 34 + 90 * f, RING)
            elif sat_km is not None and phase == "stored":
                sprite(sat_km, OBSERVE, 0.35 + 0.25 * pulse, 44, GLOW)
                sprite(sat_km, OBSERVE, 0.8, 40, DASHED)
            elif phase == "down" and s.nodes is not None and len(s.nodes) >= 2:
                self._way_down(s, time_s, k, ribbons, sprite)
        rib = np.concatenate(ribbons) if ribbons else np.zeros(0, RIBBON)
        spr = np.concatenate(sprites) if sprites else np.zeros(0, SPRITE)
        pat = np.concatenate(patches) if patches else np.zeros(0, LINE)
        return rib, spr, pat

    def _footprint(self, cap, s: _Seen, grid: np.ndarray, sat_km, time_s: float,
                   strength: float, k: float, ribbons: list, patches: list) -> None:
        """The imaged square (GCRS `grid`) with its scan bar and outline, and the sensor's
        view from `sat_km` (None: not in this Snapshot) while the satellite is above it."""
        rows = np.linspace(0.0, 1.0, grid.shape[0])
        sweep = (time_s - s.first_s) / SCAN_S
        bar = np.exp(-((rows - sweep) / 0.07) ** 2) if sweep <= 1.15 else 0.0 * rows
        patches.append(patch_triangles(grid, strength * (0.16 + 0.55 * bar)))
        ribbons.append(self._polyline(outline(grid), OBSERVE, strength, 3.5 * k))
        if sat_km is None:
            return
        # the sensor's view: faint lines to the corners while the satellite is above
        centre = grid[grid.shape[0] // 2, grid.shape[1] // 2]
        away = np.linalg.norm(sat_km / np.linalg.norm(sat_km)
                              - centre / np.linalg.norm(centre)) * EARTH_RADIUS_KM
        view = strength * float(np.clip(1.5 - away / cap.swath_km, 0.0, 1.0))
        if view > 0.02:
            for corner in (grid[0, 0], grid[0, -1], grid[-1, 0], grid[-1, -1]):
                ribbons.append(self._polyline(np.stack([sat_km, corner]), OBSERVE,
                                              0.35 * view, 1.6 * k))

    def _way_down(self, s: _Seen, time_s: float, k: float, ribbons, sprite) -> None:
        """The result's packet along its route, DOWN_S animation seconds from when it was seen
        on the ground; the route stays lit and the station flashes for HOLD_S after."""
        path = self._route_km(s.nodes)
        t = time_s - s.down_start_s
        progress = float(np.clip(t / DOWN_S, 0.0, 1.0))
        fade = float(np.clip(1.0 - (t - DOWN_S) / HOLD_S, 0.0, 1.0))
        if fade <= 0.0:
            return
        ground = (s.nodes[:-1] < 0) | (s.nodes[1:] < 0)  # the beam to the station: wider
        arc = flow_geometry(path[None], np.array([len(path)]))[2]
        v = np.zeros((len(path) - 1, 2), RIBBON)
        v["pos"][:, 0], v["pos"][:, 1] = path[:-1], path[1:]
        v["s"][:, 0], v["s"][:, 1] = arc[0, :-1], arc[0, 1:]
        v["progress"] = progress if progress < 1.0 else -1.0
        v["colour"][..., :3] = OBSERVE
        v["colour"][..., 3] = 1.0 if progress < 1.0 else 0.5 * fade
        v["width"] = np.where(ground, 12.0, 7.0)[:, None] * k
        ribbons.append(v.reshape(-1))
        if progress < 1.0:
            head = packet_heads(path[None], arc, np.array([progress]))[0]
            sprite(head, OBSERVE, 1.0, 44, GLOW)
            sprite(head, (1.0, 1.0, 1.0), 1.0, 14, GLOW)
        sprite(path[-1], OBSERVE, (0.6 if progress < 1.0 else 1.0) * max(fade, 0.3), 36,
               STATION)

    @staticmethod
    def _polyline(points: np.ndarray, colour, alpha: float, width_px: float) -> np.ndarray:
        """Evenly lit ribbon segments along `points` (no packet)."""
        v = np.zeros((len(points) - 1, 2), RIBBON)
        v["pos"][:, 0], v["pos"][:, 1] = points[:-1], points[1:]
        v["s"][:, 1] = 1.0
        v["progress"] = -1.0
        v["colour"][..., :3] = colour
        v["colour"][..., 3] = alpha
        v["width"] = width_px
        return v.reshape(-1)

    # --- labels --------------------------------------------------------------------------
    def labels(self, scale: float, time_s: float) -> list[Label]:
        """One line beside each satellite capturing on demand (a button, a script) or
        selected: what it is doing, what it decided. Scheduled captures of the others show
        their footprints only (a network images every few seconds: their lines would pile
        up over each other)."""
        out = []
        snap = self._snap
        if snap is None:
            return out
        shown = set()
        for cap in reversed(self.captures):  # the newest of a satellite speaks for it
            if cap.sat in shown or not 0 <= cap.sat < snap.n_sats \
                    or (cap.scheduled and cap.sat != snap.selected) \
                    or self.strength(cap, time_s) <= 0.0:
                continue
            shown.add(cap.sat)
            phase = self._seen[self._key(cap)].phase(time_s, cap.state)
            out.append(Label(capture_text(cap, phase), tuple(snap.sat_positions(cap.sat)),
                             (40 * scale, 10 * scale), 19 * scale, (*OBSERVE, 1.0)))
        return out

    def draw(self, camera, frame) -> None:
        if not self.captures or self._snap is None:
            return
        ribbons, sprites, patches = self.build(frame.time_s, frame.px_scale, camera.eye())
        if len(patches):
            self.patches.write(patches)
            ctx = self.ctx
            # no face culling (the Earth's pass may leave it on): the patch is seen from above
            # whichever way its triangles wind
            ctx.enable_only(ctx.BLEND | ctx.DEPTH_TEST)
            depth_write(ctx, False)
            additive(ctx)
            set_uniforms(self.patch_prog, **frame.uniforms, u_model=np.eye(3), u_pulse_rate=0.0)
            self.patches.render(ctx.TRIANGLES)
        self.draw_vertices(ribbons, sprites, frame, trail=0.25)

    def release(self) -> None:
        self.patches.release()
        super().release()


def capture_text(cap, phase: str) -> str:
    """The capturing satellite's label in `phase` (see _Seen.phase), e.g. 'ocean 98% · 160 B
    waiting for a station'."""
    if phase == "failed":
        return f"capture failed: {cap.error}" if cap.error else "capture failed"
    if phase == "deciding":
        return f"imaging · {format_bytes(cap.raw_bytes)} sensed · deciding on board"
    decided = f"{cap.label} {100 * cap.confidence:.0f}%"
    if phase == "stored":
        return f"{decided} · {format_bytes(cap.result_bytes)} waiting for a station"
    station = cap.hops[-1].split("(")[0].strip() if cap.hops else "the ground"
    return (f"{decided} · {format_bytes(cap.result_bytes)} down to {station}, "
            f"{format_bytes(cap.raw_bytes)} stayed up")
