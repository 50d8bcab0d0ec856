"""Assembling a Snapshot from the World's geometry and traffic (kept apart from world.py so
that the World reads as the story of a step, and this as the list of what is shown)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .constellation import utc_julian_date
from .snapshot import Snapshot
from .stations import geodetic_from_itrs

if TYPE_CHECKING:
    from .world import World

#: Points on the selected satellite's orbit track (closed: the last equals the first).
ORBIT_POINTS = 181


def build_snapshot(world: "World") -> Snapshot:
    geo, con, traffic = world.geometry, world.constellation, world.traffic
    state = geo.state
    clock = world.clock.view()
    real = world.real_training
    versions = world._versions
    stations_itrs = world.sites.itrs_km[: world.n_stations]
    stations_gcrs = stations_itrs @ state.itrs_to_gcrs.T
    station_rows = np.flatnonzero(geo.ground.pairs[:, 0] < world.n_stations)
    ground_pairs = geo.ground.pairs.take(station_rows, axis=0)
    load, flow_sign = traffic.link_load(geo.isl.pairs, con.size, world.sim_time_s)
    utilisation = np.divide(traffic.used, con.capacity_pflops, out=np.zeros(con.size),
                            where=con.capacity_pflops > 0)
    node_positions = np.concatenate([state.positions_km, world.sites.itrs_km @ state.itrs_to_gcrs.T])
    flows = _flows(traffic.jobs, node_positions, con.size, world.sim_time_s)
    orbit = selected_orbit_km(world) if world.selected >= 0 else np.zeros((0, 3), np.float32)

    versions.touch("satellites", con.size)
    versions.touch("positions")
    versions.touch("earth")
    versions.touch("links", geo.isl.pairs)
    versions.touch("load", None if traffic.jobs else 0)
    versions.touch("stations", world.n_stations)
    versions.touch("ground_links", ground_pairs)
    versions.touch("flows", None if traffic.jobs else 0)
    versions.touch("selection", world.selected if world.selected < 0 else None)
    return Snapshot(
        time_utc=world.now, sim_time_s=world.sim_time_s,
        warp=clock.warp, paused=clock.paused,
        step_index=world.step_index, sat_names=con.names, roles=con.roles,
        shell_index=con.shell_index, shell_names=con.shell_names, plane_index=con.plane,
        positions_km=state.positions_km, velocities_km_s=state.velocities_km_s,
        positions_itrs_km=state.positions_itrs_km, sunlit=geo.sunlit, online=state.online,
        capacity_pflops=con.capacity_pflops, utilisation=utilisation,
        itrs_to_gcrs=state.itrs_to_gcrs, sun_dir_gcrs=state.sun_dir_gcrs,
        isl_pairs=geo.isl.pairs, isl_length_km=geo.isl.length_km,
        isl_capacity_gbps=np.full(len(geo.isl.pairs), world.scenario.links.capacity_gbps),
        isl_load_gbps=load, isl_flow_sign=flow_sign,
        station_names=world.station_sites.names,
        station_lat_lon_deg=world.station_sites.lat_lon_deg,
        station_positions_itrs_km=stations_itrs,
        station_positions_km=stations_gcrs,
        ground_pairs=ground_pairs, ground_length_km=geo.ground.slant_km.take(station_rows),
        flow_paths_km=flows[0], flow_path_len=flows[1], flow_sat_index=flows[2],
        flow_progress=flows[3], flow_direction=flows[4], selected=world.selected, selected_orbit_km=orbit,
        totals=totals(world, load, ground_pairs), versions=versions.snapshot(),
        round_trips=world.round_trips.views(world.sim_time_s, state.positions_km,
                                            stations_gcrs),
        clock=clock, selected_geodetic=selected_geodetic(world),
        served_requests=world.round_trips.served,
        model_busy=world.round_trips.model_busy,
        onboard_model=world.round_trips.model_dir or "",
        real_training_loss=world.real_training_loss(),
        real_training_running=real is not None and real.running,
        real_training_error="" if real is None or real.error is None else
        f"{type(real.error).__name__}: {real.error}",
        training=world.training.views(world.sim_time_s),
        deploy=world.deploys.view(world.sim_time_s),
        observation=world.observations.view(world.sim_time_s),
    )


def _flows(jobs, node_positions: np.ndarray, n_sats: int, now_s: float):
    """Polylines of running jobs: (F,P,3) positions, valid lengths, (F,P) satellite indices,
    progress and direction."""
    if not jobs:
        return (np.zeros((0, 2, 3), np.float32), np.zeros(0, np.int32),
                np.zeros((0, 2), np.int32), np.zeros(0, np.float32), np.zeros(0, np.int8))
    lengths = np.array([len(j.nodes) for j in jobs], np.int32)
    flat = np.concatenate([j.nodes for j in jobs])
    offsets = np.cumsum(lengths) - lengths
    columns = np.arange(lengths.max())[None, :]
    # Each row repeats its last node past its own length (a polyline stays where it ends).
    padded = flat[offsets[:, None] + np.minimum(columns, lengths[:, None] - 1)]
    sat_index = np.where((padded < n_sats) & (columns < lengths[:, None]), padded, -1)
    starts = np.array([j.start_s for j in jobs])
    ends = np.array([j.end_s for j in jobs])
    progress = np.clip((now_s - starts) / np.maximum(ends - starts, 1e-9), 0.0, 1.0)
    # First half of a job: the prompt goes up (+1); second half: the answer comes back (-1).
    direction = np.where(progress < 0.5, 1, -1).astype(np.int8)
    return (node_positions[padded].astype(np.float32), lengths, sat_index.astype(np.int32),
            progress.astype(np.float32), direction)


def selected_geodetic(world: "World") -> np.ndarray:
    """WGS-84 latitude, longitude (deg) and altitude (km) of the selection, NaN for none."""
    if world.selected < 0:
        return np.full(3, np.nan)
    row = world.geometry.state.positions_itrs_km[world.selected: world.selected + 1]
    return np.array([float(v[0]) for v in geodetic_from_itrs(row)])


def selected_orbit_km(world: "World") -> np.ndarray:
    """One orbit of the selected satellite from now, GCRS km (float32, closed loop)."""
    satrec = world.constellation.satrecs[world.selected]
    period_min = 2 * math.pi / satrec.no_kozai
    whole, fraction = utc_julian_date(world.now)
    offsets = np.linspace(0.0, period_min / 1440.0, ORBIT_POINTS)
    _, r_teme, _ = satrec.sgp4_array(np.full(ORBIT_POINTS, whole), fraction + offsets)
    # TEME turns slowly against GCRS, so one rotation serves the whole orbit.
    teme_to_gcrs = world.model.frames.at(world.now)[0]
    return (r_teme @ teme_to_gcrs.T).astype(np.float32)


def totals(world: "World", load: np.ndarray, ground_pairs: np.ndarray) -> dict[str, float]:
    """Figures for the panel: satellites, links, compute, requests, latency."""
    geo, con, traffic = world.geometry, world.constellation, world.traffic
    online = geo.state.online
    mean_ms, p95_ms = traffic.latency_stats_ms()
    return {
        "sats_total": float(con.size),
        "sats_online": float(online.sum()),
        "sats_sunlit": float(geo.sunlit[online].sum()),
        "links_up": float(len(geo.isl.pairs)),
        "links_loaded": float((load > 0).sum()),
        "ground_links_up": float(len(ground_pairs)),
        # ground points whose links stop at their best `ground_link_cap` (sim/ground.py)
        "ground_sites_capped": float(geo.ground.capped_sites),
        "ground_link_cap": float(world.model.ground_link_cap or 0),
        "pflops_available": float(con.capacity_pflops[online].sum()),
        "pflops_in_use": float(traffic.used.sum()),
        "requests_active": traffic.active_requests,
        "requests_served": float(traffic.served),
        "requests_no_path": float(traffic.no_path),
        "requests_not_routed": float(traffic.not_routed),
        "requests_per_s": traffic.request_rate(world.sim_time_s),
        "latency_mean_ms": mean_ms,
        "latency_p95_ms": p95_ms,
    }
