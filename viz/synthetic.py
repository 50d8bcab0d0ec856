"""Plausible synthetic Snapshots built in numpy alone (Walker shells, +Grid links, a few ground
stations and flows): for the renderer's tests and benchmark without the simulation's heavy
libraries. Circular orbits, a spherical Earth turning at the sidereal rate, a cylindrical
shadow. Frames and units as in `sim.snapshot`: GCRS/ITRS, km, s.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from sim.constants import EARTH_MU_KM3_S2, EARTH_RADIUS_KM, EARTH_ROTATION_RAD_S
from sim.snapshot import Snapshot

EPOCH = dt.datetime(2035, 3, 20, 6, 0, tzinfo=dt.timezone.utc)
#: (name, latitude deg, longitude deg)
STATIONS = (("Kashi", 39.47, 75.99), ("Jiamusi", 46.80, 130.32), ("Xi'an", 34.34, 108.94),
            ("Svalbard", 78.23, 15.39), ("Santiago", -33.45, -70.67), ("Hartebeesthoek", -25.89, 27.69))


def rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def latlon_to_unit(lat_deg, lon_deg) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def walker(planes: int, per_plane: int, alt_km: float, inc_deg: float, t_s: float,
           phasing: int = 1, raan0_deg: float = 0.0):
    """Positions and velocities (GCRS km, km/s) of a Walker-delta shell at time t_s."""
    r = EARTH_RADIUS_KM + alt_km
    n = np.sqrt(EARTH_MU_KM3_S2 / r**3)
    p = np.repeat(np.arange(planes), per_plane)
    k = np.tile(np.arange(per_plane), planes)
    raan = np.radians(raan0_deg) + 2 * np.pi * p / planes
    u = 2 * np.pi * (k / per_plane + phasing * p / (planes * per_plane)) + n * t_s
    inc = np.radians(inc_deg)
    cu, su, ci, si, co, so = np.cos(u), np.sin(u), np.cos(inc), np.sin(inc), np.cos(raan), np.sin(raan)
    pos = r * np.stack([co * cu - so * ci * su, so * cu + co * ci * su, si * su], -1)
    vel = r * n * np.stack([-co * su - so * ci * cu, -so * su + co * ci * cu, si * cu], -1)
    return pos, vel, p, k


def grid_links(planes: int, per_plane: int, offset: int = 0) -> np.ndarray:
    """+Grid: fore/aft in-plane and one link to the next plane (no seam link)."""
    idx = np.arange(planes * per_plane).reshape(planes, per_plane) + offset
    intra = np.stack([idx.ravel(), np.roll(idx, -1, axis=1).ravel()], -1)
    inter = np.stack([idx[:-1].ravel(), idx[1:].ravel()], -1)
    pairs = np.concatenate([intra, inter]) if per_plane > 1 else inter
    return np.sort(pairs, axis=1).astype(np.int32)


def link_flow_sign(pairs, load, sat_lists, direction, rng) -> np.ndarray:
    """(M,) int8 net direction per link (+1 from pairs[:,0] to pairs[:,1]): the direction of
    the flows that cross it (uplink runs towards the route's end), else a random sign where
    the link carries load, so that both directions occur; 0 on idle links."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    net = np.zeros(len(pairs))
    hops = [(a, b, 1 if d > 0 else -1) for sats, d in zip(sat_lists, direction)
            for a, b in zip([s for s in sats if s >= 0][:-1], [s for s in sats if s >= 0][1:])]
    if hops and len(pairs):
        a, b, d = (np.array(c, np.int64) for c in zip(*hops))
        n = int(max(pairs.max(), a.max(), b.max())) + 1
        keys = pairs[:, 0] * n + pairs[:, 1]
        order = np.argsort(keys)
        want = np.minimum(a, b) * n + np.maximum(a, b)
        at = np.clip(np.searchsorted(keys[order], want), 0, len(keys) - 1)
        hit = keys[order][at] == want
        np.add.at(net, order[at][hit], (np.where(a < b, 1, -1) * d)[hit])
    random = np.where(rng.random(len(pairs)) < 0.5, 1, -1)
    sign = np.where(net != 0, np.sign(net), random)
    return np.where(np.asarray(load) > 0, sign, 0).astype(np.int8)


def make_snapshot(planes: int = 12, per_plane: int = 20, alt_km: float = 550.0,
                  inc_deg: float = 53.0, t_s: float = 0.0, n_flows: int = 24,
                  selected: int = -1, seed: int = 1, sun_dir=None) -> Snapshot:
    """A Walker shell with +Grid links, load, stations, ground links and flows at time t_s."""
    rng = np.random.default_rng(seed)
    pos, vel, plane, _ = walker(planes, per_plane, alt_km, inc_deg, t_s)
    n = len(pos)
    theta = 1.7 + EARTH_ROTATION_RAD_S * t_s  # Earth rotation angle (GMST-like), rad
    itrs_to_gcrs = rot_z(theta)
    sun = np.array([1.0, 0.35, 0.15]) if sun_dir is None else np.asarray(sun_dir, float)
    sun = sun / np.linalg.norm(sun)
    along = pos @ sun
    perp = np.linalg.norm(pos - along[:, None] * sun, axis=1)
    sunlit = (along > 0) | (perp > EARTH_RADIUS_KM)
    roles = np.where(rng.random(n) < 0.15, 1, 0).astype(np.int8)
    util = np.clip(rng.beta(2, 3, n), 0, 1)

    pairs = grid_links(planes, per_plane)
    length = np.linalg.norm(pos[pairs[:, 0]] - pos[pairs[:, 1]], axis=1)
    capacity = np.full(len(pairs), 100.0)
    # A few percent of capacity, as the sim's traffic puts on 100 Gbps links (many idle).
    load = capacity * 0.06 * np.clip(rng.beta(1.2, 2.5, len(pairs)) - 0.1, 0, 1)

    names = tuple(s[0] for s in STATIONS)
    latlon = np.array([[s[1], s[2]] for s in STATIONS])
    st_itrs = latlon_to_unit(latlon[:, 0], latlon[:, 1]) * EARTH_RADIUS_KM
    st_gcrs = st_itrs @ itrs_to_gcrs.T
    ground = []
    for s, p in enumerate(st_gcrs):
        up = p / EARTH_RADIUS_KM
        rel = pos - p
        dist = np.linalg.norm(rel, axis=1)
        elev = np.degrees(np.arcsin(np.clip((rel @ up) / dist, -1, 1)))
        for j in np.argsort(-elev)[:2]:
            if elev[j] > 25.0:
                ground.append((s, j))
    ground = np.array(ground, np.int32).reshape(-1, 2)
    glen = (np.linalg.norm(st_gcrs[ground[:, 0]] - pos[ground[:, 1]], axis=1)
            if len(ground) else np.zeros(0))

    # Flows: from a station's visible satellite hop along the grid to a random satellite.
    paths, sat_lists = [], []
    for f in range(n_flows if len(ground) else 0):
        s, j = ground[f % len(ground)]
        route, sats = [st_gcrs[s], pos[j]], [-1, j]
        cur = j
        for _ in range(rng.integers(1, 6)):
            nbr = pairs[(pairs[:, 0] == cur) | (pairs[:, 1] == cur)]
            nxt = nbr[rng.integers(len(nbr))]
            cur = nxt[1] if nxt[0] == cur else nxt[0]
            route.append(pos[cur])
            sats.append(cur)
        paths.append(np.array(route))
        sat_lists.append(sats)
    plen = max((len(p) for p in paths), default=1)
    flow_paths = np.zeros((len(paths), plen, 3), np.float32)
    for f, p in enumerate(paths):
        flow_paths[f, :len(p)] = p
        flow_paths[f, len(p):] = p[-1]
    flow_len = np.array([len(p) for p in paths], np.int32)
    progress = ((rng.random(len(paths)) + t_s / 20.0) % 1.0).astype(np.float32)
    direction = np.where(rng.random(len(paths)) < 0.5, 1, -1).astype(np.int8)
    flow_sats = np.full((len(paths), plen), -1, np.int32)
    for f, sats in enumerate(sat_lists):
        flow_sats[f, :len(sats)] = sats
    flow_sign = link_flow_sign(pairs, load, sat_lists, direction, rng)

    orbit = np.zeros((0, 3), np.float32)
    if selected >= 0:
        period = 2 * np.pi * np.sqrt((EARTH_RADIUS_KM + alt_km) ** 3 / EARTH_MU_KM3_S2)
        ts = t_s + np.linspace(0, period, 181)
        track = [walker(planes, per_plane, alt_km, inc_deg, t)[0][selected] for t in ts]
        orbit = np.array(track, np.float32)

    step = int(round(t_s))
    return Snapshot(
        time_utc=EPOCH + dt.timedelta(seconds=t_s), sim_time_s=t_s, warp=1.0, paused=False,
        step_index=step, sat_names=tuple(f"SAT-{p:02d}-{i:03d}" for i, p in enumerate(plane)),
        roles=roles, shell_index=np.zeros(n, np.int16), shell_names=("synthetic",),
        plane_index=plane.astype(np.int32), positions_km=pos, velocities_km_s=vel,
        positions_itrs_km=pos @ itrs_to_gcrs, sunlit=sunlit, online=np.ones(n, bool),
        capacity_pflops=np.full(n, 40.0), utilisation=util, itrs_to_gcrs=itrs_to_gcrs,
        sun_dir_gcrs=sun, isl_pairs=pairs, isl_length_km=length, isl_capacity_gbps=capacity,
        isl_load_gbps=load, isl_flow_sign=flow_sign, station_names=names, station_lat_lon_deg=latlon,
        station_positions_itrs_km=st_itrs, station_positions_km=st_gcrs, ground_pairs=ground,
        ground_length_km=glen, flow_paths_km=flow_paths, flow_path_len=flow_len,
        flow_sat_index=flow_sats,
        flow_progress=progress, flow_direction=direction, selected=selected,
        selected_orbit_km=orbit, totals={"sats_online": float(n), "links_up": float(len(pairs))},
        versions={g: step for g in ("positions", "earth", "load", "flows", "ground_links")}
        | {"satellites": 0, "links": 0, "stations": 0, "selection": selected + 1},
    )


def shell_for(n_sats: int) -> tuple[int, int]:
    """(planes, per_plane) of a roughly square Walker shell with about n_sats satellites."""
    planes = max(int(round(np.sqrt(n_sats / 1.5))), 1)
    return planes, max(int(round(n_sats / planes)), 1)


def single_satellite(position_km, sun_dir=(0.0, 0.0, -1.0), **changes):
    """A snapshot with exactly one satellite at `position_km` (GCRS) and nothing else moving."""
    base = make_snapshot(planes=1, per_plane=1, n_flows=0, sun_dir=sun_dir)
    fields = dict(positions_km=np.array([position_km], float), isl_pairs=np.zeros((0, 2), np.int32),
                  isl_length_km=np.zeros(0), isl_capacity_gbps=np.zeros(0),
                  isl_load_gbps=np.zeros(0), isl_flow_sign=np.zeros(0, np.int8),
                  ground_pairs=np.zeros((0, 2), np.int32),
                  ground_length_km=np.zeros(0), sunlit=np.array([True]),
                  utilisation=np.array([1.0]), station_names=(),
                  station_lat_lon_deg=np.zeros((0, 2)), station_positions_itrs_km=np.zeros((0, 3)),
                  station_positions_km=np.zeros((0, 3)))
    fields.update(changes)
    return dataclasses.replace(base, **fields)


class SyntheticWorld:
    """Stand-in for `sim.World` (the sim.interface.SimWorld protocol, plus `step`) for the
    renderer's bench and tests: a Walker shell of about `n_sats` satellites that moves on
    `step(dt_sim_s)`; no clock policy, no round trips, no model."""

    title = "Synthetic shell"
    model_loaded = False

    def __init__(self, n_sats: int, n_flows: int | None = None):
        self.shell = shell_for(n_sats)
        self.n_flows = n_flows if n_flows is not None else int(np.clip(n_sats // 20, 12, 2000))
        self.t_s = 0.0
        self._snap = make_snapshot(*self.shell, n_flows=self.n_flows, t_s=0.0, selected=0)

    def snapshot(self):
        return self._snap

    def step(self, dt_sim_s: float):
        self.t_s += dt_sim_s
        self._snap = make_snapshot(*self.shell, n_flows=self.n_flows, t_s=self.t_s, selected=0)
        return self._snap

    def advance(self, dt_wall_s: float):
        return self.step(dt_wall_s)  # warp 1, never paused

    def apply(self, command):
        """Advance steps; every other command leaves this stand-in as it is."""
        from sim.commands import Advance

        return self.step(command.seconds) if isinstance(command, Advance) else self._snap

    def find_satellite(self, query: str) -> int:
        from sim.satellites import find_satellite

        return find_satellite(self._snap.sat_names, query)

    def timeline(self):
        from sim.timeline import Timeline

        return Timeline()

    def load_model(self) -> None:
        pass

    def finish_round_trips(self):
        return self._snap

    def finish_real_training(self):
        return self._snap  # no real run: nothing to wait for

    def close(self) -> None:
        pass


def hop_route(snapshot, target: int, want_hops: int = 3) -> tuple[int, list[int]]:
    """(station, [first satellite, ..., target]) over the snapshot's laser links: breadth-first
    from the target, then the satellite in view of a station whose hop count is closest to
    `want_hops` (a demo wants a few visible hops). (-1, [target]) when no station connects."""
    n = snapshot.n_sats
    pairs = np.asarray(snapshot.isl_pairs, np.int64).reshape(-1, 2)
    nbrs = [[] for _ in range(n)]
    for a, b in pairs.tolist():
        nbrs[a].append(b)
        nbrs[b].append(a)
    parent = np.full(n, -2, np.int64)
    hops = np.full(n, -1, np.int64)
    parent[target], hops[target], frontier = -1, 0, [target]
    while frontier:
        nxt = []
        for a in frontier:
            for b in nbrs[a]:
                if hops[b] < 0:
                    hops[b], parent[b] = hops[a] + 1, a
                    nxt.append(b)
        frontier = nxt
    ground = np.asarray(snapshot.ground_pairs, np.int64).reshape(-1, 2)
    ground = ground[hops[ground[:, 1]] >= 0] if len(ground) else ground
    if not len(ground):
        return -1, [target]
    station, first = ground[np.argmin(np.abs(hops[ground[:, 1]] - want_hops))]
    route = [int(first)]
    while route[-1] != target:
        route.append(int(parent[route[-1]]))
    return int(station), route


def demo_round_trip(snapshot, target: int, phase: str, leg_progress: float = 0.5,
                    tokens: int = 42, want_hops: int = 3, elapsed_s: float = 51.0,
                    error: str = ""):
    """A plausible `RoundTripView` of a prompt to satellite `target`, now in `phase`, routed
    over the snapshot's own links and ground links (see `hop_route`): for the renderer's tests,
    for demo shots (`run.py shot --demo-trip`) and until the sim's round trips are wired in.
    The up leg runs station -> ... -> target, the down leg back the same way."""
    from sim.snapshot import ROUND_TRIP_PHASES, PhaseView, RoundTripView

    if phase not in ROUND_TRIP_PHASES:
        raise ValueError(f"phase {phase!r} is not one of {', '.join(ROUND_TRIP_PHASES)}")
    station, route = hop_route(snapshot, target, want_hops)
    sats = np.array([-1] + route, np.int32)
    st = np.asarray(snapshot.station_positions_km, np.float64).reshape(-1, 3)
    ground = st[station] if station >= 0 else np.asarray(snapshot.positions_km[route[0]])
    leg = np.concatenate([ground[None], np.asarray(snapshot.positions_km)[route]])
    # The way up, known from the uplink on (as the sim's RoundTripView gives it).
    known = station >= 0 and ROUND_TRIP_PHASES.index(phase) >= ROUND_TRIP_PHASES.index("uplink")
    up_path, up_sats = (leg, sats) if known else (np.zeros((0, 3)), np.zeros(0, np.int32))
    if phase in ("hops_down", "downlink"):
        leg, sats = leg[::-1], sats[::-1]
    if phase not in ("uplink", "hops_up", "hops_down", "downlink") or station < 0:
        leg, sats = np.zeros((0, 3)), np.zeros(0, np.int32)
    order = ROUND_TRIP_PHASES.index(phase)
    # Durations where the time goes: waiting and inference take seconds, light milliseconds.
    typical = {"waiting_up": 20.0, "uplink": 0.002, "hops_up": 0.008, "queue": 3.0,
               "inference": 25.0, "waiting_down": 0.0, "hops_down": 0.008, "downlink": 0.002}
    start = snapshot.time_utc - dt.timedelta(seconds=elapsed_s)
    phases, t = [], start
    for name in ROUND_TRIP_PHASES[:order + 1]:
        phases.append(PhaseView(name, t, typical.get(name, 0.0)))
        t += dt.timedelta(seconds=typical.get(name, 0.0))
    done = phase == "done" or bool(error)
    return RoundTripView(
        request_id=1, sat=int(target), station=station, prompt="What is the capital of France?",
        reply="The capital of France is Paris." if order > 3 else "", phase=phase,
        phase_progress=0.5, leg_path_km=leg.astype(np.float32), leg_sat_index=sats,
        leg_progress=float(leg_progress), phases=tuple(phases),
        in_light_phase=phase in ("uplink", "hops_up", "hops_down", "downlink"), done=done,
        error=error, tokens=int(tokens), up_path_km=up_path.astype(np.float32),
        up_sat_index=up_sats.astype(np.int32))
