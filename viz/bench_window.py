"""`run.py bench --window`: the app's real window, measured from outside.

For each scenario it launches `run.py` on the X display in $DISPLAY (a desktop, or Xvfb on a
headless machine) at WINDOW_SIZE with `--sim-worker` as asked, waits until the window draws,
lets it run WARMUP_S, then reads the app's test-state file (viz/ui/probe.py) twice, `seconds`
apart: the median and 99th-percentile frame time of the frames in between, the sim's new
Snapshots per wall second (steps, whether on the frame or on its own thread), the last step's
wall time, the sim seconds a frame draws past its Snapshot, the load time and the process's
peak memory. Nothing is clicked: the default camera over the whole Earth, the default warp.

"network-2035@N" names network-2035 with every shell scaled to about N satellites (the
benchmark's synthetic network, sim/bench.py), written to a temporary scenario file.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import tomllib

from sim.errors import UserError

ROOT = pathlib.Path(__file__).resolve().parents[1]
WINDOW_SIZE = (1280, 720)
WARMUP_S = 8.0
DEFAULT_SCENARIOS = ("network-2035", "network-2035@100000", "filing-1m")
LOAD_TIMEOUT_S = 240.0


def scaled_network(n_sats: int, folder: pathlib.Path) -> pathlib.Path:
    """network-2035.toml with every shell's planes and satellites per plane scaled by
    sqrt(n / 2,800) (as sim.bench.synthetic_scenario) and traffic by n / 2,800."""
    from sim.bench import synthetic_scenario

    scaled = synthetic_scenario(n_sats)
    text = (ROOT / "assets" / "scenarios" / "network-2035.toml").read_text()
    blocks = text.split("[[shells]]")
    for i, shell in enumerate(scaled.shells, start=1):
        block = re.sub(r"(?m)^planes = \d+", f"planes = {shell.planes}", blocks[i])
        blocks[i] = re.sub(r"(?m)^sats_per_plane = \d+",
                           f"sats_per_plane = {shell.sats_per_plane}", block)
    text = "[[shells]]".join(blocks)
    text = re.sub(r"(?m)^requests_per_s = [\d.]+",
                  f"requests_per_s = {scaled.traffic.requests_per_s:g}", text)
    text = text.replace('name = "network-2035"', f'name = "network-2035@{n_sats}"', 1)
    text = re.sub(r'(?m)^title = ".*"$', f'title = "network-2035 scaled to about {n_sats:,} '
                  f'satellites (benchmark)"', text, count=1)
    tomllib.loads(text)  # a broken substitution fails here, not in the app
    path = folder / f"network-2035-{n_sats}.toml"
    path.write_text(text)
    return path


def scenario_argument(name: str, folder: pathlib.Path) -> str:
    if name.startswith("network-2035@"):
        try:
            n_sats = int(name.split("@", 1)[1])
        except ValueError:
            raise UserError(f"--window-scenarios: {name!r}: expected network-2035@N") from None
        return str(scaled_network(n_sats, folder))
    return name


def _state(path: pathlib.Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _wait(path: pathlib.Path, proc, predicate, timeout_s: float, what: str) -> dict:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            said = proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise UserError(f"bench --window: the app exited ({proc.returncode}) before {what}"
                            + (f": {said[-1]}" if said else ""))
        state = _state(path)
        if state and predicate(state):
            return state
        time.sleep(0.2)
    raise UserError(f"bench --window: timed out waiting for {what}")


def _peak_rss_gb(pid: int) -> float | None:
    """Peak resident memory (GB) of process `pid` (Linux /proc), None where unknown."""
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1e6 if match else None


def _children(pid: int) -> list[int]:
    try:
        text = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def peak_memory_gb(pid: int) -> dict:
    """Peak resident memory of the app and of its child processes (the sim's), GB."""
    sim = [_peak_rss_gb(child) for child in _children(pid)]
    return {"app": _peak_rss_gb(pid), "sim_process": max((m for m in sim if m), default=None)}


def measure(scenario: str, sim_worker: str, seconds: float, folder: pathlib.Path,
            warmup_s: float = WARMUP_S, warp: float | None = None) -> dict:
    """Launch the app on `scenario` (at `warp`, default the app's), let it run `warmup_s`,
    measure it for `seconds`, close it."""
    state_path = folder / f"state-{time.monotonic_ns()}.json"
    env = {**os.environ, "ORBITVIZ_TEST_STATE": str(state_path), "ORBITVIZ_QUALITY": "fast",
           "ORBITVIZ_SHOTS_DIR": str(folder)}
    command = [sys.executable, str(ROOT / "run.py"), "--scenario",
               scenario_argument(scenario, folder), "--size", "%dx%d" % WINDOW_SIZE,
               "--sim-worker", sim_worker] + ([] if warp is None else ["--warp", f"{warp:g}"])
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _wait(state_path, proc, lambda s: s.get("ready"), LOAD_TIMEOUT_S, "the window")
        load_s = time.monotonic() - started
        time.sleep(warmup_s)
        first = _wait(state_path, proc, lambda s: True, 10, "a state")
        time.sleep(seconds)
        last = _wait(state_path, proc, lambda s: s["wall"] > first["wall"], 10, "a later state")
        peak = peak_memory_gb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    wall = last["wall"] - first["wall"]
    recent = last["frames_recent"]
    return {"scenario": scenario, "satellites": last["sim"]["n_sats"],
            "sim_worker": last["sim"]["worker"], "load_s": round(load_s, 1),
            "frame_ms_median": round(recent.get("median_ms", float("nan")), 1),
            "frame_ms_p99": round(recent.get("idle_p99_ms", float("nan")), 1),
            "frames": recent.get("frames", 0),
            "sim_refresh_per_s": round((last["sim"]["step_index"]
                                        - first["sim"]["step_index"]) / wall, 2),
            "sim_step_ms": round(last["sim"].get("step_ms", float("nan")), 1),
            "ahead_s": round(last["sim"]["ahead_s"], 2),
            "sim_seconds_per_wall_s": round((last["sim_time_s"] - first["sim_time_s"]) / wall, 1),
            "peak_memory_gb": {k: (round(v, 2) if v else None) for k, v in peak.items()},
            "notes": last.get("detail_notes", [])}


def run_window_bench(scenarios, sim_worker: str = "auto", seconds: float = 20.0,
                     as_json: bool = False, warmup_s: float = WARMUP_S,
                     warp: float | None = None) -> dict:
    if not os.environ.get("DISPLAY"):
        raise UserError("bench --window needs an X display: run it on a desktop, or under Xvfb "
                        "(e.g. `xvfb-run -s '-screen 0 1920x1080x24' python run.py bench "
                        "--window`)")
    from sim.bench import machine_line

    results = []
    with tempfile.TemporaryDirectory(prefix="orbitviz-bench-") as tmp:
        for name in scenarios:
            row = measure(name, sim_worker, seconds, pathlib.Path(tmp), warmup_s, warp)
            results.append(row)
            if not as_json:
                print_row(row)
    return {"machine": machine_line(), "size": list(WINDOW_SIZE), "seconds": seconds,
            "renderer": "the app's window on $DISPLAY", "results": results}


def print_row(row: dict) -> None:
    mem = ", ".join(f"{name.replace('_', ' ')} {gb:.1f} GB"
                    for name, gb in row["peak_memory_gb"].items() if gb is not None)
    last_step = "" if row["sim_worker"] == "off" else f" (the last {row['sim_step_ms']:.0f} ms)"
    print(f"window {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]} {row['scenario']} "
          f"({row['satellites']:,} satellites, sim worker: {row['sim_worker']})"
          f": frame median {row['frame_ms_median']:.1f} ms, p99 {row['frame_ms_p99']:.1f} ms; "
          f"sim {row['sim_refresh_per_s']:.1f} steps/s{last_step}, "
          f"{row['sim_seconds_per_wall_s']:.0f} sim s per s; loaded in {row['load_s']:.0f} s, "
          f"peak {mem}")
    for note in row["notes"]:
        print(f"    {note}")
