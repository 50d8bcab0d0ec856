"""Laser links: GL lines whose end positions are read from the shared satellite texture, so
the vertex buffers change only with the topology (`links` version) or the load (`load`).

Per vertex: the link's satellite indices (this end first), the end flag, load / capacity and
the net flow direction (`isl_flow_sign`). Small constellations (up to WIDE_MAX_LINKS links)
get wide glowing ribbons through a geometry shader; large ones one-pixel GL lines. The shader
colours by load and moves comet pulses along loaded links in the direction of flow from
`u_time`: no per-frame CPU work.

Level of detail: more than `budget` links (LINK_BUDGET in the live window, LINK_BUDGET_OFFLINE
in shots and recordings; a 100,000-satellite network has 200,000, the
million-satellite filing 2,000,000) would cost software GL 100+ ms a frame and fill the sky
with a white web. Every link that carries traffic is drawn; of the idle ones, a stable one in
k (by a hash of the pair, so the same links stay drawn as the topology changes) fills the
budget. When even the loaded links outnumber the budget (a million satellites' traffic), a
stable one in k of them is drawn and no idle one: the budget holds. `shown` / `n_links` say
how many; the panel's View section tells the presenter.
"""
from __future__ import annotations

import numpy as np

from viz.glutil import Versions, set_uniforms
from viz.layers import Layer, additive, depth_write
from viz.layers.roundtrip import trip_under_way


WIDE_MAX_LINKS = 400  #: up to this many links they are drawn as wide glowing ribbons
LINK_BUDGET = 10_000  #: most links the live window draws; beyond, thinned (module docstring)
#: Measured in the real window at 100,000 satellites, 1280x720 (README, "A million
#: satellites"): 30,000 links and every marker cost llvmpipe about twice the 33 ms frame
#: target; 15,000 links took about 5 ms of it, 10,000 about 2 ms less.
LINK_BUDGET_OFFLINE = 30_000  #: the same for shots and recordings (more is a white web)


def _pair_hash(pairs: np.ndarray) -> np.ndarray:
    """A hash of each (a, b) link that depends only on its two satellites (uint64): the
    splitmix64 finaliser of (a << 32 | b). A well-mixed one matters: +Grid links are (i, i+1)
    and (i, i+P), and a plain multiply-xor of such pairs was 0 modulo 14 for 1 link in 95."""
    x = pairs[:, 0].astype(np.uint64) << np.uint64(32) | pairs[:, 1].astype(np.uint64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def links_to_draw(pairs: np.ndarray, loaded: np.ndarray, budget: int = LINK_BUDGET,
                  hashed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the links to draw, in link order: all of them up to `budget`; else every
    loaded one and a stable one-in-k sample of the idle ones (k from the budget left); else,
    when the loaded ones alone exceed the budget, a stable one-in-k sample of them.
    `hashed`: `_pair_hash(pairs)` when the caller keeps it (it changes with the topology only)."""
    m = len(pairs)
    if m <= budget:
        return np.arange(m)
    loaded = np.asarray(loaded, bool)
    n_loaded = int(loaded.sum())
    hashed = _pair_hash(pairs) if hashed is None else hashed
    if n_loaded >= budget:
        k = -(-n_loaded // budget)
        return np.nonzero(loaded & (hashed % np.uint64(k) == 0))[0]
    k = -(-(m - n_loaded) // (budget - n_loaded))
    return np.nonzero(loaded | (hashed % np.uint64(k) == 0))[0]


def link_width_px(n_links: int, height_px: int) -> float:
    """Ribbon width of small constellations' links: 12 links get 5 px at 1080p, 400 get 2."""
    return float(np.clip(9.0 * max(n_links, 1) ** -0.24, 2.0, 5.0)) * max(height_px / 1080.0, 0.6)


def link_alpha(n_links: int) -> float:
    """Overall line strength: thousands of crossing lines must not wash the Earth out, and
    the dozen links of a first cluster must glow (up to 2x)."""
    return float(np.clip(3.0 * max(n_links, 1) ** -0.17, 0.3, 2.0))


def small_frame_gain(height_px: int) -> float:
    """One-pixel lines cover more of a small frame: at 480x270 the same web of links would be
    four times as dense on screen, so it gets fainter (0.5 at 270 px, 1 from 1080 px)."""
    return float(np.clip((height_px / 1080.0) ** 0.5, 0.5, 1.0))


class LinkLayer(Layer):
    def __init__(self, ctx, shaders, satdata, budget: int = LINK_BUDGET_OFFLINE):
        super().__init__(ctx, shaders)
        self.satdata = satdata
        self.budget = budget  #: most links drawn (LINK_BUDGET in the live window)
        self.prog = shaders.program("links")
        self.wide_prog = shaders.program("links_wide")
        self.n_links = 0  #: links in the Snapshot
        self.shown = 0  #: links drawn (fewer than n_links beyond the budget)
        self.loaded_thinned = False  #: the loaded links alone exceed the budget: some not drawn
        self._drawn = np.zeros(0, np.int64)  #: their indices into the Snapshot's links
        self._hash = None  #: _pair_hash of the Snapshot's links while they exceed the budget
        self._cap = 0
        self._pair_buf = self._load_buf = self.vao = self.wide_vao = None
        self._versions = Versions()
        self.pulse_spacing_km = 700.0
        self.strength = 1.0   #: overall brightness, for the app or a test to set
        self.dim = 1.0        #: lower while a round trip runs (see update)

    def _ensure(self, m: int) -> None:
        if m <= self._cap:
            return
        for obj in (self.vao, self.wide_vao, self._pair_buf, self._load_buf):
            if obj is not None:
                obj.release()
        self._cap = max(m, 2 * self._cap, 1024)
        self._pair_buf = self.ctx.buffer(reserve=self._cap * 2 * 12)  # 2 vertices: 2i + 1f
        self._load_buf = self.ctx.buffer(reserve=self._cap * 2 * 8)  # 2 vertices: load, sign
        self.vao, self.wide_vao = (self.ctx.vertex_array(prog, [
            (self._pair_buf, "2i 1f", "in_pair", "in_end"),
            (self._load_buf, "1f 1f", "in_load", "in_sign")]) for prog in (self.prog, self.wide_prog))

    def update(self, snapshot, frame) -> None:
        # While a prompt is under way, the background links step back so its path stands out.
        self.dim = 0.65 if trip_under_way(snapshot) else 1.0
        m = snapshot.n_links
        topo = self._versions.changed(snapshot, "links", m, snapshot.n_sats)
        load = self._versions.changed(snapshot, "load", m)
        if not (topo or load):
            return
        self.n_links = m
        pairs = np.asarray(snapshot.isl_pairs).reshape(-1, 2)
        if topo:  # the sample's hash follows the links, not their load (every Snapshot)
            self._hash = _pair_hash(pairs) if m > self.budget else None
        loaded = np.asarray(snapshot.isl_load_gbps) > 0.0
        drawn = links_to_draw(pairs, loaded, self.budget, self._hash)
        self.loaded_thinned = len(drawn) < m and int(loaded.sum()) >= self.budget
        if topo or len(drawn) != len(self._drawn) or not np.array_equal(drawn, self._drawn):
            self._write_pairs(snapshot, drawn)
        if len(drawn):
            self._write_load(snapshot, drawn)

    def _write_pairs(self, snapshot, drawn: np.ndarray) -> None:
        k = len(drawn)
        self._ensure(k)
        pairs = np.asarray(snapshot.isl_pairs, np.int32).reshape(-1, 2)[drawn]
        rec = np.zeros((k, 2), dtype=[("pair", "<i4", 2), ("end", "<f4")])
        rec["pair"][:, 0] = pairs
        rec["pair"][:, 1] = pairs[:, ::-1]
        rec["end"][:, 1] = 1.0
        if k:
            self._pair_buf.write(rec.tobytes())
        self._drawn, self.shown = drawn, k

    def _write_load(self, snapshot, drawn: np.ndarray) -> None:
        """Both vertices of a link carry (load/capacity, flow sign): one (k, 2, 2) float32
        block written straight from numpy (no tobytes copy; ~2 ms at 200,000 links)."""
        every = len(drawn) == snapshot.n_links
        load = snapshot.isl_load_gbps if every else snapshot.isl_load_gbps[drawn]
        capacity = snapshot.isl_capacity_gbps if every else snapshot.isl_capacity_gbps[drawn]
        sign = snapshot.isl_flow_sign if every else snapshot.isl_flow_sign[drawn]
        rec = np.empty((len(drawn), 2, 2), np.float32)
        np.divide(load, np.maximum(capacity, 1e-6), out=rec[:, 0, 0], casting="same_kind")
        rec[:, 1, 0] = rec[:, 0, 0]
        rec[:, :, 1] = np.asarray(sign, np.float32)[:, None]
        self._load_buf.write(rec)

    def draw(self, camera, frame) -> None:
        if not self.shown:
            return
        ctx = self.ctx
        self.satdata.bind()
        ctx.enable(ctx.BLEND | ctx.DEPTH_TEST)
        depth_write(ctx, False)
        additive(ctx)
        wide = self.shown <= WIDE_MAX_LINKS
        prog = self.wide_prog if wide else self.prog
        set_uniforms(prog, **frame.uniforms, **self.satdata.uniforms(),
                     u_alpha=link_alpha(self.shown) * self.strength * self.dim
                     * small_frame_gain(camera.size[1]),
                     u_pulse_spacing_km=self.pulse_spacing_km,
                     u_width_px=link_width_px(self.shown, camera.size[1]))
        (self.wide_vao if wide else self.vao).render(ctx.LINES, vertices=2 * self.shown)

    def release(self) -> None:
        for obj in (self.vao, self.wide_vao, self._pair_buf, self._load_buf):
            if obj is not None:
                obj.release()
        self.vao = self.wide_vao = self._pair_buf = self._load_buf = None
        self._cap = self.shown = 0
        super().release()
