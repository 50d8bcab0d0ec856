"""`run.py bench`: how long one sim step takes as the constellation grows.

Sizes other than 2,800 scale the network-2035 shells (more planes, more satellites per plane,
traffic in proportion), so every size has the same mix of shells, links, stations and jobs.
The baseline propagates satellites one at a time with skyfield's EarthSatellite (timed on a
sample and scaled to N, since doing 100,000 of them takes minutes).
"""
from __future__ import annotations

import dataclasses
import math
import os
import platform
import statistics
import time

import numpy as np
from skyfield.api import EarthSatellite

from . import ephemeris
from . import scenario as scenario_mod
from .world import World

#: Sim seconds per benchmark step: one frame of the live loop at 60 fps and 100x warp.
BENCH_STEP_S = 100.0 / 60.0
#: Satellites propagated one by one with skyfield for the baseline.
BASELINE_SAMPLE = 200
#: Steps of each World for the cost of scheduled captures, per --repeats: at 100x warp
#: captures come in about one step in seven (network-2035, every 60 min), so the median and
#: the mean need more steps than the others.
CAPTURE_REPEATS = 4
#: Untimed sleep after each step of the capture comparison, s: what a 60 fps frame leaves
#: after a ~5 ms step (the window draws in it; here the onboard worker has it).
FRAME_GAP_S = 0.01


def synthetic_scenario(n_sats: int) -> scenario_mod.Scenario:
    """network-2035 scaled to about `n_sats` satellites (exactly 2,800 gives the original)."""
    base = scenario_mod.resolve("network-2035")
    total = sum(s.size for s in base.shells)
    if n_sats == total:
        return base
    factor = math.sqrt(n_sats / total)
    shells = tuple(
        dataclasses.replace(s, planes=max(1, round(s.planes * factor)),
                            sats_per_plane=max(2, round(s.sats_per_plane * factor)))
        for s in base.shells
    )
    traffic = dataclasses.replace(base.traffic,
                                  requests_per_s=base.traffic.requests_per_s * n_sats / total)
    return dataclasses.replace(base, name=f"synthetic-{n_sats}", shells=shells, traffic=traffic)


def synthetic_world(n_sats: int, seed: int = 0) -> World:
    """A World of about `n_sats` satellites with links, stations and traffic running."""
    return warm_up(World(synthetic_scenario(n_sats), seed=seed))


def warm_up(world: World) -> World:
    """Fill the network with running jobs first, as the live loop would."""
    for _ in range(24):
        world.step(1.0)
    return world


def resident_gb() -> float | None:
    """This process's resident memory now, GB (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (OSError, ValueError, AttributeError):
        return None


def measure_size(n_sats: int, repeats: int) -> dict:
    before, started = resident_gb(), time.perf_counter()
    world = World(synthetic_scenario(n_sats), seed=0)
    build_s, built = time.perf_counter() - started, resident_gb()
    if world.observations.schedule.size:
        world.load_model()  # as the app does at start: scheduled captures use its worker
    warm_up(world)
    world.step(BENCH_STEP_S)
    totals, stages = [], {}
    for _ in range(repeats):
        timings: dict[str, float] = {}
        started = time.perf_counter()
        snap = world.step(BENCH_STEP_S, timings)
        totals.append(time.perf_counter() - started)
        for stage, seconds in timings.items():
            stages.setdefault(stage, []).append(seconds)
    real_time = []  # the same world stepped at 1x warp: one 60 fps frame of sim time
    for _ in range(repeats):
        started = time.perf_counter()
        world.step(1.0 / 60.0)
        real_time.append(time.perf_counter() - started)
    stepped = resident_gb()
    baseline_s = skyfield_baseline_s(world)
    world.close()
    step_ms = statistics.median(totals) * 1e3
    propagate_ms = statistics.median(stages["propagate"]) * 1e3
    return {
        "satellites": world.constellation.size,
        "links_up": snap.n_links,
        "ground_links_up": int(snap.totals["ground_links_up"]),
        "jobs_running": int(snap.totals["requests_active"]),
        "step_ms_median": round(step_ms, 3),
        "step_ms_max": round(max(totals) * 1e3, 3),
        "step_ms_median_at_1x": round(statistics.median(real_time) * 1e3, 3),
        "stages_ms_median": {k: round(statistics.median(v) * 1e3, 3) for k, v in stages.items()},
        "skyfield_one_by_one_ms": round(baseline_s * 1e3, 1),
        "propagation_speedup_vs_skyfield": round(baseline_s * 1e3 / propagate_ms, 1),
        # resident memory this World added: after building it, and after the steps above
        # (the process's growth: memory freed by a previous size may be reused)
        "memory": {"build_s": round(build_s, 2),
                   "built_gb": _growth(before, built), "stepped_gb": _growth(before, stepped),
                   "ground_sites_capped": int(snap.totals["ground_sites_capped"])},
    }


def _growth(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else round(after - before, 3)


def skyfield_baseline_s(world: World) -> float:
    """Seconds to propagate every satellite one at a time with skyfield (GCRS), from a sample."""
    ts = ephemeris.timescale()
    t = ephemeris.skyfield_time(world.now)
    sample = np.linspace(0, world.constellation.size - 1, BASELINE_SAMPLE).astype(int)
    satellites = [EarthSatellite.from_satrec(world.constellation.satrecs[i], ts) for i in sample]
    started = time.perf_counter()
    for satellite in satellites:
        satellite.at(t).position.km
    per_satellite = (time.perf_counter() - started) / len(satellites)
    return per_satellite * world.constellation.size


def run_sim_bench(sizes: list[int], repeats: int) -> dict:
    results = [measure_size(n, repeats) for n in sizes]
    return {"machine": machine_line(), "step_sim_s": round(BENCH_STEP_S, 4), "repeats": repeats,
            "sizes": results, "training": training_cost(min(sizes), repeats),
            "captures": capture_cost(min(sizes), repeats * CAPTURE_REPEATS)}


def training_cost(n_sats: int, repeats: int) -> dict:
    """The step with network-2035's training job and without it, at `n_sats` satellites:
    the two worlds are stepped in turn, so both see the same load on the machine."""
    scenario = synthetic_scenario(n_sats)
    medians = paired_medians(scenario, dataclasses.replace(scenario, training=()), repeats)
    return {"satellites": n_sats, "jobs": len(scenario.training),
            "step_ms_median_with_job": round(medians[0], 3),
            "step_ms_median_without_job": round(medians[1], 3),
            "increase_percent": round(100 * (medians[0] / medians[1] - 1), 1)}


def capture_cost(n_sats: int, repeats: int) -> dict:
    """The step with network-2035's scheduled captures (its payloads' `every_min`) and
    without them (every_min = 0), at `n_sats` satellites, stepped in turn as for the training
    job. The onboard worker is loaded first (the app loads it at start): the tiles are cut and
    classified on its thread, the step takes the captures and routes their results down.
    Each step is followed by FRAME_GAP_S of sleep, as a window's frame leaves the worker the
    rest of a frame: steps back to back would starve it (it runs at lower priority and shares
    Python's lock), and the captures would be skipped over its limit instead of taken."""
    scenario = synthetic_scenario(n_sats)
    off = {name: dataclasses.replace(p, every_min=0.0) for name, p in scenario.imaging.items()}
    every = sorted({p.every_min for p in scenario.imaging.values() if p.every_min})
    worlds: list[World] = []
    medians = paired_medians(scenario, dataclasses.replace(scenario, imaging=off), repeats,
                             worlds, gap_s=FRAME_GAP_S)
    taken = worlds[0].snapshot().observation
    for world in worlds:
        world.close()
    return {"satellites": n_sats, "every_min": every,
            "step_ms_median_with_captures": round(medians[0], 3),
            "step_ms_median_without_captures": round(medians[1], 3),
            "step_ms_mean_with_captures": round(medians[2], 3),
            "step_ms_mean_without_captures": round(medians[3], 3),
            # CPU time of the stepping thread alone (not the worker's, not other processes')
            "step_cpu_ms_median_with_captures": round(medians[4], 3),
            "step_cpu_ms_median_without_captures": round(medians[5], 3),
            "increase_percent": round(100 * (medians[0] / medians[1] - 1), 1),
            "captures_taken": taken.scheduled_taken, "skipped_dark": taken.skipped_dark,
            "skipped_water": taken.skipped_water, "skipped_limit": taken.skipped_limit}


def paired_medians(with_: scenario_mod.Scenario, without: scenario_mod.Scenario,
                   repeats: int, keep: list | None = None, gap_s: float = 0.0
                   ) -> tuple[float, ...]:
    """Median (and mean) step, ms, of a World of each scenario, stepped in turn after the
    same warm-up, so that both see the same load on the machine: (median with, median
    without, mean with, mean without, median CPU time of the stepping thread with, and
    without). `keep`: receives the two Worlds; `gap_s`: sleep after each step (not
    timed)."""
    worlds = [World(with_), World(without)]
    if keep is not None:
        keep.extend(worlds)
    for world in worlds:
        if any(p.every_min for p in world.scenario.imaging.values()):
            world.load_model()
        for _ in range(24):  # traffic running, as in measure_size
            world.step(1.0)
    times: list[list[float]] = [[], []]
    cpu: list[list[float]] = [[], []]
    for _ in range(repeats):
        for k, world in enumerate(worlds):
            started, started_cpu = time.perf_counter(), time.thread_time()
            world.step(BENCH_STEP_S)
            cpu[k].append(time.thread_time() - started_cpu)
            times[k].append(time.perf_counter() - started)
            if gap_s:
                time.sleep(gap_s)
    return (statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3,
            statistics.fmean(times[0]) * 1e3, statistics.fmean(times[1]) * 1e3,
            statistics.median(cpu[0]) * 1e3, statistics.median(cpu[1]) * 1e3)


def _gb(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} GB"


def machine_line() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
           f"Python {platform.python_version()}, numpy {np.__version__}"


def print_sim_bench(report: dict) -> None:
    print(f"sim step benchmark ({report['machine']}); median of {report['repeats']} steps "
          f"of {report['step_sim_s']} s sim time (a 60 fps frame at 100x warp; 'at 1x': "
          f"steps of 1/60 s)")
    print(f"{'satellites':>10} {'links':>7} {'jobs':>5} {'step ms':>8} {'max ms':>8} "
          f"{'at 1x':>6}  stages (ms){'':<62} skyfield 1-by-1")
    for row in report["sizes"]:
        stages = "  ".join(f"{k} {v:.2f}" for k, v in row["stages_ms_median"].items())
        print(f"{row['satellites']:>10,} {row['links_up']:>7,} {row['jobs_running']:>5} "
              f"{row['step_ms_median']:>8.2f} {row['step_ms_max']:>8.2f} "
              f"{row['step_ms_median_at_1x']:>6.2f}  {stages:<72} "
              f"{row['skyfield_one_by_one_ms']:>9.1f} ms "
              f"({row['propagation_speedup_vs_skyfield']:.0f}x slower than our propagation)")
    for row in report["sizes"]:
        memory = row["memory"]
        print(f"{row['satellites']:>10,} satellites: built in {memory['build_s']:.2f} s, "
              f"{_gb(memory['built_gb'])} resident, {_gb(memory['stepped_gb'])} after the "
              f"steps; {memory['ground_sites_capped']} ground points at the ground-link cap")
    cost = report["training"]
    if cost["jobs"]:
        print(f"training job at {cost['satellites']:,} satellites: step "
              f"{cost['step_ms_median_with_job']:.2f} ms with it, "
              f"{cost['step_ms_median_without_job']:.2f} ms without "
              f"({cost['increase_percent']:+.1f}%, the two stepped in turn)")
    cost = report["captures"]
    if cost["every_min"]:
        print(f"scheduled captures (every {', '.join(f'{m:g}' for m in cost['every_min'])} min) "
              f"at {cost['satellites']:,} satellites: step "
              f"{cost['step_ms_median_with_captures']:.2f} ms with them, "
              f"{cost['step_ms_median_without_captures']:.2f} ms without "
              f"({cost['increase_percent']:+.1f}%; means {cost['step_ms_mean_with_captures']:.2f}"
              f" / {cost['step_ms_mean_without_captures']:.2f} ms; the stepping thread's CPU "
              f"{cost['step_cpu_ms_median_with_captures']:.2f} / "
              f"{cost['step_cpu_ms_median_without_captures']:.2f} ms); {cost['captures_taken']} "
              f"taken, skipped: {cost['skipped_dark']} dark, {cost['skipped_water']} over "
              f"water, {cost['skipped_limit']} over the limits")
