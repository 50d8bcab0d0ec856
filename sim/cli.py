"""The simulation's command-line commands: scenarios, info, route, export, bench (and ask,
model, train, observe from sim/cli_ask.py, sim/cli_model.py, sim/cli_train.py,
sim/cli_observe.py).

Each `cmd_*` function takes the parsed arguments, prints for people (or JSON with --json) and
returns the exit code. Bad input raises UserError, which run.py prints as one line (exit 2).
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys

import numpy as np

from . import scenario as scenario_mod
from . import timeline as timeline_mod
from .cli_ask import add_ask_command
from .cli_model import add_model_command
from .cli_observe import add_observe_command
from .cli_train import add_train_command
from .constants import EARTH_RADIUS_KM, SPEED_OF_LIGHT_KM_S
from .errors import UserError
from .export import write_satellite_csv
from .ground import GroundSites
from .output import check_output_path
from .pathfinder import RouteResult, ground_to_ground, ground_to_sat, next_route
from .routing import Route
from .snapshot import ROLE_NAMES
from .runner import SIM_WORKERS
from .stations import cities, parse_ground_point
from .timespan import EPHEMERIS_END
from .world import World


def add_scenario_args(parser: argparse.ArgumentParser, at: bool = True) -> None:
    parser.add_argument("--scenario", default=scenario_mod.DEFAULT_SCENARIO,
                        help="built-in name, scenario .toml, or TLE / OMM (.json, .csv) file "
                             f"(default {scenario_mod.DEFAULT_SCENARIO})")
    if at:
        parser.add_argument("--at", metavar="ISO_UTC",
                            help="instant, e.g. 2026-01-15T04:30:00Z (default: scenario epoch)")
    parser.add_argument("--seed", type=int, help="random seed (default: the scenario's)")


def world_from_args(args: argparse.Namespace, **options) -> World:
    """The World the command-line arguments describe (--scenario, --at, --seed, and --model
    NAME when the command has it and no model_dir is given)."""
    at = scenario_mod.parse_utc(args.at) if getattr(args, "at", None) else None
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed < 2**64:
        raise UserError(f"--seed: expected 0..{2**64 - 1}, got {seed}")
    model = vars(args).get("model")
    if model and not options.get("model_dir"):
        from .world import scenario_model_dir

        options["model_dir"] = scenario_model_dir(model)
    return World.from_scenario(args.scenario, at=at, seed=seed, **options)


def scenario_size(args: argparse.Namespace) -> int:
    """Satellites in the scenario `args.scenario` names, from its file alone (nothing built):
    the app chooses where the sim runs by it."""
    from .elements import read_element_file

    scenario = scenario_mod.resolve(args.scenario)
    return sum(s.size for s in scenario.shells) + \
        sum(len(read_element_file(src.path)) for src in scenario.element_sources)


def add_commands(commands) -> None:
    p = commands.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(handler=cmd_scenarios)

    p = commands.add_parser("info", help="what a scenario contains")
    add_scenario_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_info)

    p = commands.add_parser("route", help="shortest light-time route between two ground points")
    add_scenario_args(p)
    p.add_argument("--from", dest="source", required=True, metavar="A",
                   help="station or city name, or lat,lon in degrees")
    p.add_argument("--to", dest="target", required=True, metavar="B",
                   help="station or city name, lat,lon in degrees, or a satellite name/index "
                        "(then the route goes up to it and back down to the nearest station)")
    p.add_argument("--horizon-hours", type=float, default=24.0,
                   help="how far ahead to look for the next path when none exists now")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_route)

    p = commands.add_parser("export", help="write every satellite's state at an instant to CSV")
    add_scenario_args(p)
    p.add_argument("--out", required=True, help="output .csv file")
    p.set_defaults(handler=cmd_export)

    add_ask_command(commands, add_scenario_args)
    add_train_command(commands, add_scenario_args)
    add_observe_command(commands, add_scenario_args)
    add_model_command(commands)

    p = commands.add_parser("bench", help="measure the sim step (and --render, --model)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--sizes", default="2800,30000,100000",
                   help="satellite counts to measure (comma-separated)")
    p.add_argument("--repeats", type=int, default=15, help="steps timed per size")
    p.add_argument("--render", action="store_true", help="also measure the renderer")
    p.add_argument("--model", action="store_true",
                   help="also measure the onboard model and the vision model")
    p.add_argument("--no-sim", action="store_true", help="skip the sim step measurement")
    p.add_argument("--window", action="store_true",
                   help="also measure the app's real window on $DISPLAY (Xvfb works): frame "
                        "times and sim refresh per scenario of --window-scenarios")
    p.add_argument("--window-scenarios", dest="window_scenarios",
                   default="network-2035,network-2035@100000,filing-1m",
                   help="with --window: scenarios (network-2035@N: scaled to N satellites)")
    p.add_argument("--window-seconds", dest="window_seconds", type=float, default=20.0,
                   help="with --window: seconds measured per scenario (after 8 s warm-up)")
    p.add_argument("--window-warp", dest="window_warp", type=float, default=None,
                   help="with --window: the app's starting --warp (default: the app's, 60)")
    p.add_argument("--sim-worker", dest="sim_worker",
                     choices=SIM_WORKERS,
                   default="auto", help="with --window: the app's --sim-worker")
    p.add_argument("--model-dir", dest="model_dir", metavar="PATH",
                   help="with --model: a Qwen3 checkpoint folder, measured beside transformers")
    p.add_argument("--int8", action="store_true",
                   help="with --model: dynamic int8 Linear layers (on both sides)")
    p.add_argument("--dtype", choices=("auto", "float32", "bfloat16"), default="auto",
                   help="with --model: compute dtype (default auto: bfloat16 for large models "
                        "on a CPU with native bf16, else float32)")
    p.add_argument("--tokens", type=int, metavar="N",
                   help="with --model: new tokens per run (default 128, or 32 with --model-dir)")
    p.set_defaults(handler=None, bench=True)


# --- scenarios / info -------------------------------------------------------------------------

def cmd_scenarios(args) -> int:
    for name in scenario_mod.builtin_names():
        scen = scenario_mod.resolve(name)
        count = sum(s.size for s in scen.shells)
        default = "  (default)" if name == scenario_mod.DEFAULT_SCENARIO else ""
        print(f"{name:<22} {count:>6} sats  {scen.title}{default}")
    return 0


def scenario_info(world: World) -> dict:
    con, snap, scen = world.constellation, world.snapshot(), world.scenario
    shells = []
    for index, name in enumerate(con.shell_names):
        members = con.shell_index == index
        shell = con.shells[index]
        role = ROLE_NAMES[con.roles[members][0]] if members.any() else "other"
        entry = {"name": name, "role": role, "satellites": int(members.sum()),
                 "pflops": float(con.capacity_pflops[members].sum())}
        if shell is not None:
            alt = float(np.mean(np.linalg.norm(snap.positions_km[members], axis=1)) - EARTH_RADIUS_KM)
            entry.update(planes=shell.planes, sats_per_plane=shell.sats_per_plane,
                         altitude_km=shell.altitude_km, mean_altitude_now_km=round(alt, 1),
                         inclination_deg=shell.inclination_deg, sun_synchronous=shell.sun_synchronous,
                         ltan_hours=shell.ltan_hours, imaging=shell.imaging)
        shells.append(entry)
    by_role = collections.Counter(ROLE_NAMES[r] for r in con.roles)
    pflops = {role: float(con.capacity_pflops[con.roles == k].sum())
              for k, role in enumerate(ROLE_NAMES)}
    return {
        "name": scen.name, "title": scen.title, "epoch": scen.epoch.isoformat(),
        "satellites": con.size, "satellites_by_role": dict(by_role), "shells": shells,
        "pflops_by_role": pflops, "links_up": snap.n_links,
        "link_policy": dataclasses.asdict(scen.links),
        "ground_stations": list(snap.station_names), "min_elevation_deg": scen.min_elevation_deg,
        "ground_links_up": len(snap.ground_pairs), "sources": list(scen.sources),
        "assumptions": list(scen.assumptions),
        "hardware": {role: dataclasses.asdict(profile) for role, profile in scen.hardware.items()},
        "imaging": {name: dataclasses.asdict(payload) for name, payload in scen.imaging.items()},
    }


def timeline_info(world: World) -> dict | None:
    """The scenario file's [[timeline]], checked as `run.py record` checks it (names of
    satellites and stations included): its size and length, or None without one."""
    timeline = timeline_mod.of_scenario(world.scenario)
    if not timeline:
        return None
    snap = world.snapshot()
    timeline_mod.check_names(timeline, snap.sat_names, snap.station_names,
                             [job.name for job in snap.training])
    kinds = collections.Counter(e.kind for e in timeline.entries)
    return {"entries": len(timeline.entries), "length_s": timeline.length_s,
            "kinds": dict(kinds)}


def cmd_info(args) -> int:
    world = world_from_args(args)
    timeline = timeline_info(world)
    info = scenario_info(world)
    if timeline is not None:
        info["timeline"] = timeline
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"{info['name']}: {info['title']}")
    print(f"epoch {info['epoch']}   {info['satellites']} satellites "
          + ", ".join(f"{n} {r}" for r, n in info["satellites_by_role"].items()))
    for shell in info["shells"]:
        geometry = ""
        if "planes" in shell:
            incl = "SSO" if shell["sun_synchronous"] else f"{shell['inclination_deg']:g} deg"
            geometry = (f"{shell['planes']} x {shell['sats_per_plane']} at "
                        f"{shell['altitude_km']:g} km, {incl}")
        print(f"  shell {shell['name']:<12} {shell['role']:<9} {shell['satellites']:>6} sats  "
              f"{geometry}  {shell['pflops']:,.1f} PFLOPS")
    print("compute: " + ", ".join(f"{r} {p:,.1f} PFLOPS" for r, p in
                                  info["pflops_by_role"].items() if p))
    for name, cam in info["imaging"].items():
        carriers = ", ".join(s["name"] for s in info["shells"] if s.get("imaging") == name)
        print(f"imaging payload {name} (on {carriers or 'no shell'}): {cam['swath_km']:g} km "
              f"swath, {cam['gsd_m']:g} m, {cam['bands']} bands x {cam['bits_per_sample']} bits"
              f"{', daylight only' if cam['needs_daylight'] else ''}{_schedule(cam)}")
    for role, hw in info["hardware"].items():
        print(f"hardware ({role}, per satellite): {hw['peak_tops']:,.10g} TOPS, "
              f"{hw['memory_bandwidth_gb_s']:,.10g} GB/s, {hw['memory_gb']:,.10g} GB, efficiency "
              f"{hw['efficiency']:g}, weights {hw['weight_dtype']}, KV cache {hw['kv_dtype']}")
    if not info["hardware"]:
        print("hardware: no hardware profile (no on-board time estimate)")
    print(f"laser links up now: {info['links_up']}   ground links up now: "
          f"{info['ground_links_up']} (min elevation {info['min_elevation_deg']:g} deg)")
    stations = info["ground_stations"]
    print(f"ground stations ({len(stations)}): " + "; ".join(stations[:8])
          + (f"; ... {len(stations) - 8} more" if len(stations) > 8 else ""))
    if timeline is not None:
        kinds = ", ".join(f"{n} {k}" for k, n in timeline["kinds"].items())
        print(f"timeline: {timeline['entries']} entries ({kinds}), {timeline['length_s']:g} s; "
              "every name resolves")
    return 0


# --- route --------------------------------------------------------------------------------------

#: `route --horizon-hours` at most this (a week): the search scans every 20 s of it.
MAX_HORIZON_HOURS = 168.0


def _schedule(cam: dict) -> str:
    """A payload's schedule as `info` says it ("" when it images only on demand)."""
    return f", scheduled every {cam['every_min']:g} min over land" if cam["every_min"] else ""


def cmd_route(args) -> int:
    if not 0 < args.horizon_hours <= MAX_HORIZON_HOURS:  # also refuses nan and inf
        raise UserError(f"--horizon-hours: expected a number in (0, {MAX_HORIZON_HOURS:g}], "
                        f"got {args.horizon_hours:g}")
    world = world_from_args(args)
    known = world.scenario.stations + cities()
    # The search stops where the ephemeris does (the end of its last year).
    horizon_s = min(args.horizon_hours * 3600, (EPHEMERIS_END - world.now).total_seconds() - 1)
    source = parse_ground_point(args.source, known)
    try:
        target = parse_ground_point(args.target, known)
    except UserError as not_ground:
        try:
            sat = world.find_satellite(args.target)
        except UserError:
            raise not_ground from None
        return _route_to_satellite(world, source, sat, horizon_s, args.json)
    if (source.lat_deg, source.lon_deg) == (target.lat_deg, target.lon_deg):
        raise UserError("--from and --to are the same place")
    sites = GroundSites.of([source, target])
    result = next_route(ground_to_ground(world.model, sites), world.now, horizon_s)
    report = route_report(world, sites.points, result)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_route(report)
    return 0


def _route_to_satellite(world: World, source, sat: int, horizon_s: float, as_json: bool) -> int:
    """Up from `source` to satellite `sat` (waiting for a path if needed), then back down to
    the nearest station in view of the constellation at that instant."""
    sites = GroundSites.of((source,) + world.scenario.stations)
    up = next_route(ground_to_sat(world.model, sites, 0, sat), world.now, horizon_s)
    reports = [route_report(world, sites.points, up, to_name=world.constellation.names[sat])]
    if up.route is not None:
        network = world.model.compute(up.when, sites).network
        stations = np.arange(1, len(sites))
        back = network.route_best_ground_to_sat(stations, sat)
        if back is not None:
            back = Route(tuple(reversed(back.nodes)), tuple(reversed(back.hop_km)))
        landing = sites.points[back.nodes[-1] - network.n_sats].name if back else "a station"
        reports.append(route_report(world, sites.points, RouteResult(up.when, back, 0.0),
                                    from_name=world.constellation.names[sat], to_name=landing))
    if as_json:
        print(json.dumps({"up": reports[0], "down": reports[1] if len(reports) > 1 else None},
                         indent=2))
    else:
        for report in reports:
            print_route(report)
        if len(reports) > 1 and reports[1]["path_found"]:
            total = reports[0]["one_way_ms"] + reports[1]["one_way_ms"]
            print(f"round trip via {world.constellation.names[sat]}: {total:.3f} ms light-time")
    return 0


def route_report(world: World, points, result: RouteResult, from_name: str | None = None,
                 to_name: str | None = None) -> dict:
    n = world.constellation.size
    names = list(world.constellation.names) + [p.name for p in points]
    report = {"from": from_name or points[0].name, "to": to_name or points[1].name,
              "query_utc": world.now.isoformat(), "path_now": result.waited_s == 0,
              "valid_utc": result.when.isoformat(), "wait_s": result.waited_s, "hops": []}
    if result.route is None:
        report["path_found"] = False
        return report
    route = result.route
    for a, b, km in zip(route.nodes, route.nodes[1:], route.hop_km):
        kind = "laser" if a < n and b < n else ("uplink" if a >= n else "downlink")
        report["hops"].append({"from": names[a], "to": names[b], "kind": kind,
                               "length_km": round(km, 3), "light_ms": round(km / SPEED_OF_LIGHT_KM_S * 1e3, 4)})
    report.update(path_found=True, length_km=round(route.length_km, 3),
                  one_way_ms=round(route.one_way_s * 1e3, 4),
                  round_trip_ms=round(2 * route.one_way_s * 1e3, 4))
    return report


def print_route(report: dict) -> None:
    print(f"{report['from']} -> {report['to']} at {report['query_utc']}")
    if not report["path_found"]:
        print(f"no path now, and none opens within {report['wait_s'] / 3600:.1f} h")
        return
    if not report["path_now"]:
        wait = report["wait_s"]
        print(f"no path now; the next one opens at {report['valid_utc']} "
              f"(in {wait / 60:.1f} min = {wait:.0f} s)")
    for i, hop in enumerate(report["hops"], start=1):
        print(f"  {i:>2}. {hop['kind']:<8} {hop['from']} -> {hop['to']}: "
              f"{hop['length_km']:,.1f} km, {hop['light_ms']:.3f} ms")
    print(f"one-way light-time {report['one_way_ms']:.3f} ms over {report['length_km']:,.1f} km; "
          f"round trip {report['round_trip_ms']:.3f} ms")


# --- export -------------------------------------------------------------------------------------

def cmd_export(args) -> int:
    out = check_output_path("--out", args.out, (".csv",))  # before the World is built
    world = world_from_args(args)
    rows, unplaced = write_satellite_csv(world.snapshot(), out)
    if unplaced:
        print(f"warning: {unplaced} of {rows} satellites could not be placed by SGP4 at "
              f"{world.now.isoformat()} (decayed or invalid elements): written with placed = 0 "
              "and blank coordinates", file=sys.stderr)
    print(f"wrote {rows} satellites at {world.now.isoformat()} to {out}", file=sys.stderr)
    return 0
