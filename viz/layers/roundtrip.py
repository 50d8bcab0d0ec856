"""Round trips of prompts sent with the Ask command (`snapshot.round_trips`, see
`sim.snapshot.RoundTripView`), drawn so that a first-time viewer can follow them:

  waiting_up / waiting_down  a dim dashed ring turning on the target (and on the station)
  uplink / downlink          a wide bright beam between the station and the first satellite
  hops_up / hops_down        the packet (a bright head with a comet trail) moving along the leg
                             at `leg_progress`; the hops it has crossed stay lit, the ones
                             ahead are faint rings
  hops_down / downlink       also the way up (`up_path_km`), dimmer in the prompt colour and
                             beside the way down, so the whole round trip is in view
  queue / inference          a glow on the target, pulsing, with ripples while the model runs
  done                       the station rings in the answer colour

The prompt travels white-gold, the answer cyan-white: neither is used by background traffic.
A label next to the target names the phase ("inference · 42 tokens · 0:51").

Trips are few (a presenter sends them one by one), so their vertices are rebuilt in numpy every
frame: the pulse and ripple animation then needs nothing but the frame time.
Frames and units: GCRS km; times are sim seconds except the animation clock (u_time).
"""
from __future__ import annotations

import math

import numpy as np

from sim.constants import EARTH_RADIUS_KM
from viz.layers.labels import Label
from viz.layers.ribbons import RibbonSpriteLayer
from viz.layers.traffic import SPRITE, flow_geometry, packet_heads

PROMPT = (1.0, 0.84, 0.42)   #: white-gold
ANSWER = (0.40, 0.95, 1.0)   #: cyan-white
ERROR = (1.0, 0.30, 0.25)
RIBBON = np.dtype([("pos", "<f4", 3), ("colour", "<f4", 4), ("s", "<f4"), ("progress", "<f4"),
                   ("width", "<f4"), ("offset", "<f4")])
UP_PHASES = ("waiting_up", "uplink", "hops_up", "queue", "inference")  #: drawn in PROMPT
LIGHT_PHASES = ("uplink", "hops_up", "hops_down", "downlink")
DOWN_PHASES = ("hops_down", "downlink")  #: the way up is drawn too, beside the way down
UP_TRACE = 0.5   #: strength of the way up while the answer comes down (the leg's is 1)
GLOW, STATION, DASHED, RING = 0.0, 1.0, 2.0, 3.0  #: sprite shapes (shaders/sprites.frag)


def trip_under_way(snapshot) -> bool:
    """Some prompt is travelling or being answered (the links step back so it stands out)."""
    return any(not t.done for t in snapshot.round_trips)


def trip_colour(trip) -> tuple:
    if trip.error:
        return ERROR
    return PROMPT if trip.phase in UP_PHASES else ANSWER


def lift_to_surface(p: np.ndarray) -> np.ndarray:
    """Points on the ellipsoid (stations) moved onto the drawn sphere, which is up to 21 km
    higher near the poles, so the globe does not hide them."""
    r = np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), 1.0)
    return p * (np.maximum(r, EARTH_RADIUS_KM + 3.0) / r)


def leg_points(trip, up: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(P,3) float64 GCRS km of the current leg (with up=True: of the way up, `up_path_km`)
    with its ground end lifted, and (P,) satellite index (-1 for the ground)."""
    if up:
        path = np.asarray(trip.up_path_km, np.float64).reshape(-1, 3)
        sats = np.asarray(trip.up_sat_index, np.int64).reshape(-1)
    else:
        path = np.asarray(trip.leg_path_km, np.float64).reshape(-1, 3)
        sats = np.asarray(trip.leg_sat_index, np.int64).reshape(-1)
    if len(sats) != len(path):
        sats = np.zeros(len(path), np.int64)
    path = path.copy()
    if len(path):
        path[sats < 0] = lift_to_surface(path[sats < 0])
    return path, sats


def hops_passed(trip) -> tuple[int, int]:
    """(laser hops crossed so far, laser hops on this leg) at `leg_progress`."""
    path, sats = leg_points(trip)
    if len(path) < 2:
        return 0, 0
    _, _, arc = flow_geometry(path[None], np.array([len(path)]))
    isl = (sats[:-1] >= 0) & (sats[1:] >= 0)
    crossed = arc[0, 1:] <= float(trip.leg_progress) + 1e-9
    return int((isl & crossed).sum()), int(isl.sum())


def format_elapsed(seconds: float) -> str:
    """'0:51', '12:03', '1:02:03' (sim time since the prompt was sent)."""
    s = max(int(seconds), 0)
    h, m, s = s // 3600, (s // 60) % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def phase_text(trip, station_names=(), elapsed_s: float | None = None) -> str:
    """What the target's label says, e.g. 'inference · 42 tokens · 0:51'."""
    station = station_names[trip.station] if 0 <= trip.station < len(station_names) else ""
    phase = trip.phase
    if trip.error:
        text = f"error: {trip.error}"
    elif trip.done or phase == "done":
        text = f"answered · {trip.tokens} tokens"
    elif phase in ("hops_up", "hops_down"):
        k, n = hops_passed(trip)
        what = "prompt" if phase == "hops_up" else "answer"
        text = f"{what} · laser hop {min(k + 1, n)} of {n}" if n else f"{what} · laser hops"
    elif phase == "uplink":
        text = f"uplink from {station}" if station else "uplink"
    elif phase == "downlink":
        text = f"downlink to {station}" if station else "downlink"
    elif phase == "inference":
        text = f"inference · {trip.tokens} tokens" if trip.tokens else "inference · generating"
    elif phase == "queue":
        text = "queued for the model"
    elif phase == "waiting_up":
        text = "waiting for a station in view"
    elif phase == "waiting_down":
        text = "answer waiting for a path down"
    else:
        text = phase
    if elapsed_s is not None:
        text += f" · {format_elapsed(elapsed_s)}"
    return text


class RoundTripLayer(RibbonSpriteLayer):
    def __init__(self, ctx, shaders):
        super().__init__(ctx, shaders)
        self.trips: tuple = ()
        self._snap = None

    def update(self, snapshot, frame) -> None:
        self.trips = tuple(snapshot.round_trips)
        self._snap = snapshot

    def _station_pos(self, trip) -> np.ndarray | None:
        st = np.asarray(self._snap.station_positions_km, np.float64).reshape(-1, 3)
        return lift_to_surface(st[trip.station]) if 0 <= trip.station < len(st) else None

    def _target_pos(self, trip) -> np.ndarray | None:
        n = self._snap.n_sats
        return np.asarray(self._snap.sat_positions(trip.sat), float) if 0 <= trip.sat < n else None

    def build(self, time_s: float, px_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Ribbon vertices (pairs of segment ends) and sprites of every trip at `time_s`
        (animation seconds), sized for a frame `px_scale` times a 1080-line one."""
        ribbons, sprites = [], []
        k = px_scale

        def sprite(pos, colour, alpha, size, shape):
            sp = np.zeros(1, SPRITE)
            sp["pos"], sp["colour"] = pos, (*colour, alpha)
            sp["size"], sp["shape"] = size * k, shape
            sprites.append(sp)

        pulse = 0.5 + 0.5 * math.sin(time_s * 5.0)
        for trip in self.trips:
            colour = trip_colour(trip)
            target, station = self._target_pos(trip), self._station_pos(trip)
            phase = "done" if trip.done else trip.phase
            path, sats = leg_points(trip)
            up_path, up_sats = leg_points(trip, up=True)
            if phase in DOWN_PHASES and len(up_path) >= 2 and not trip.error:
                # The way up stays in view, dimmer, evenly lit (no packet) and a lane to the
                # side, so the way down is drawn beside it rather than over it.
                ribbons.append(self._leg_ribbon(up_path, up_sats, -1.0, PROMPT, k, UP_TRACE,
                                                width=0.7, lane=True))
            if phase in LIGHT_PHASES and len(path) >= 2:
                ribbons.append(self._leg_ribbon(path, sats, float(trip.leg_progress), colour, k))
                _, _, arc = flow_geometry(path[None], np.array([len(path)]))
                progress = float(np.clip(trip.leg_progress, 0.0, 1.0))
                for i in np.flatnonzero(sats >= 0):
                    crossed = arc[0, i] <= progress + 1e-9
                    sprite(path[i], colour, 0.9 if crossed else 0.5, 24 if crossed else 22,
                           GLOW if crossed else RING)
                head = packet_heads(path[None], arc, np.array([progress]))[0]
                sprite(head, colour, 1.0, 52, GLOW)
                sprite(head, (1.0, 1.0, 1.0), 1.0, 18, GLOW)
            if phase in ("queue", "inference") and target is not None:
                strong = phase == "inference"
                sprite(target, colour, (0.7 if strong else 0.35) + 0.3 * pulse,
                       (90 if strong else 56) * (1.0 + 0.12 * pulse), GLOW)
                if strong:  # ripples leaving the satellite while the model runs
                    for j in range(3):
                        f = (time_s * 0.7 + j / 3.0) % 1.0
                        sprite(target, colour, 0.9 * (1.0 - f), 40 + 110 * f, RING)
            if phase in ("waiting_up", "waiting_down") or trip.error:
                for p in (target, station):
                    if p is not None:
                        sprite(p, colour, 0.6, 46, DASHED)
            if station is not None and phase in LIGHT_PHASES + ("done",):
                at_ground = phase in ("uplink", "downlink", "done")
                sprite(station, colour, 1.0 if at_ground else 0.6, 34, STATION)
        rib = np.concatenate(ribbons) if ribbons else np.zeros(0, RIBBON)
        spr = np.concatenate(sprites) if sprites else np.zeros(0, SPRITE)
        return rib, spr

    def _leg_ribbon(self, path, sats, progress, colour, px_scale: float, strength: float = 1.0,
                    width: float = 1.0, lane: bool = False) -> np.ndarray:
        """Ribbon vertices of one leg; progress < 0 lights it evenly (no packet); `lane` moves
        it to the right of its direction of travel, clear of a full-width leg on the same
        satellites (which is `width` times as wide as the normal one)."""
        _, _, arc = flow_geometry(path[None], np.array([len(path)]))
        n = len(path) - 1
        v = np.zeros((n, 2), RIBBON)
        v["pos"][:, 0], v["pos"][:, 1] = path[:-1], path[1:]
        v["s"][:, 0], v["s"][:, 1] = arc[0, :-1], arc[0, 1:]
        v["progress"] = progress
        v["colour"][..., :3] = colour
        v["colour"][..., 3] = strength
        ground = (sats[:-1] < 0) | (sats[1:] < 0)
        # The ground beam is wider than the laser hops: it is the moment Earth talks to orbit.
        full = np.where(ground, 14.0, 8.0)[:, None] * px_scale
        v["width"] = full * width
        if lane:  # half the full leg, half this one and a small gap
            v["offset"] = full * (0.5 + 0.5 * width) + 1.5 * px_scale
        return v.reshape(-1)

    def labels(self, scale: float) -> list[Label]:
        """A phase label beside each trip's target (below-right, clear of the name label)."""
        out = []
        snap = self._snap
        for trip in self.trips:
            target = self._target_pos(trip)
            if target is None:
                continue
            elapsed = None
            if trip.phases:
                elapsed = (snap.time_utc - trip.phases[0].start_utc).total_seconds()
            text = phase_text(trip, snap.station_names, elapsed)
            # Right of the target, clear of its inference glow and below its name label.
            out.append(Label(text, tuple(target), (40 * scale, 10 * scale), 19 * scale,
                             (*trip_colour(trip), 1.0)))
        return out

    def draw(self, camera, frame) -> None:
        if not self.trips or self._snap is None:
            return
        # The round trip keeps a size floor (px_scale >= 0.6): readable and the brightest.
        self.draw_vertices(*self.build(frame.time_s, frame.px_scale), frame, trail=0.18)
