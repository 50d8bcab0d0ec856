"""Renderer benchmark: frame time (CPU update + draw + ctx.finish) offscreen through EGL.

    run_render_bench(world_factory_for_n, as_json=False)

For each satellite count (2,800 / 30,000 / 100,000, with laser links and flows) and each size
(1280x720, 1920x1080), it renders `frames` frames, each of a *new* snapshot (so positions,
load and flows are uploaded every frame, as in the live app), and reports the median and 90th
percentile in ms, and the CPU update inside it: `Renderer.update` (per-frame numpy and buffer
uploads), the part of the frame that stays on the CPU on any card, so on a GPU it is most of
the frame (../shared/GPU.md: the draw itself took 0.9-2.5 ms there). Each snapshot carries one round trip in flight (hops_up, routed over its own
links) so the trip layer's per-frame work is in the figures too. Snapshots are made before
timing: the sim step is measured by the sim bench.
No MSAA (the app's default window path). GL_RENDERER names the device that made the figures.
"""
from __future__ import annotations

import json
import statistics
import time

SIZES = ((1280, 720), (1920, 1080))
COUNTS = (2800, 30000, 100000)


def _snapshots(world, k: int, dt_s: float = 2.0) -> list:
    from viz.cli import with_demo_trip

    snaps = [world.snapshot()]
    for _ in range(k - 1):
        snaps.append(world.step(dt_s))
    # A prompt in flight, its packet at a different place in every frame.
    return [with_demo_trip(s, "hops_up", (i + 0.5) / k) for i, s in enumerate(snaps)]


def run_render_bench(world_factory_for_n=None, as_json: bool = False, sizes=SIZES,
                     counts=COUNTS, frames: int = 30, distinct: int = 6, layers=None) -> dict:
    """Measure and print; returns {"gl_renderer", "results": [{n_sats, size, median_ms, ...}]}.

    world_factory_for_n(n) -> an object with snapshot() and step(dt) (sim.bench.synthetic_world
    in run.py); None uses viz.synthetic.SyntheticWorld."""
    from sim.layers import LayerSettings
    from viz.camera import OrbitCamera
    from viz.frame import FrameContext
    from viz.offscreen import OffscreenTarget, create_context
    from viz.presets import apply_preset
    from viz.renderer import Renderer

    if world_factory_for_n is None:
        from viz.synthetic import SyntheticWorld as world_factory_for_n
    ctx = create_context()
    info = ctx.info
    report = {"gl_renderer": info["GL_RENDERER"], "gl_version": info["GL_VERSION"],
              "frames": frames, "msaa": 0, "results": []}
    if not as_json:
        print(f"GL_RENDERER: {info['GL_RENDERER']}  ({info['GL_VERSION']})")
        print(f"{'satellites':>10} {'links':>8} {'flows':>6} {'size':>10} {'median ms':>10} "
              f"{'p90 ms':>8} {'fps':>6} {'cpu upd ms':>10}")
    renderer = Renderer(ctx, sizes[0], quality="fast", live=True)  # the app's level of detail
    layers = layers or LayerSettings()  # a sim.layers.LayerSettings (default: the defaults)
    try:
        for n in counts:
            world = world_factory_for_n(n)
            snaps = _snapshots(world, distinct)
            for size in sizes:
                cam = apply_preset(OrbitCamera(size), "default", snaps[0])
                target = OffscreenTarget(ctx, size)
                times, updates = [], []
                for i in range(frames + 3):
                    snap = snaps[i % len(snaps)]
                    t0 = time.perf_counter()
                    cam.move_with(snap)
                    frame = FrameContext(time_s=i / 60.0, layers=layers).for_camera(cam)
                    # draw() updates again: a no-op for the same snapshot and frame size.
                    renderer.update(snap, frame)
                    t1 = time.perf_counter()
                    renderer.draw(snap, cam, target.fbo, frame)
                    ctx.finish()
                    if i >= 3:  # first frames compile/allocate
                        times.append((time.perf_counter() - t0) * 1000.0)
                        updates.append((t1 - t0) * 1000.0)
                target.release()
                times.sort()
                row = {"n_sats": snaps[0].n_sats, "n_links": snaps[0].n_links,
                       "n_flows": len(snaps[0].flow_path_len), "size": f"{size[0]}x{size[1]}",
                       "median_ms": round(statistics.median(times), 2),
                       "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2),
                       "cpu_update_ms": round(statistics.median(updates), 2)}
                report["results"].append(row)
                if not as_json:
                    print(f"{row['n_sats']:>10,} {row['n_links']:>8,} {row['n_flows']:>6} "
                          f"{row['size']:>10} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
                          f"{1000.0 / row['median_ms']:>6.1f} {row['cpu_update_ms']:>10.1f}", flush=True)
    finally:
        renderer.release()
        ctx.release()
    if as_json:
        print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":  # python -m viz.bench: synthetic worlds, no sim libraries needed
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--frames", type=int, default=30)
    a = parser.parse_args()
    run_render_bench(None, as_json=a.json, frames=a.frames)
