"""`run.py observe`: one Earth-observation capture, decided on board, headless.

Prints the label and confidence, the raw scene and result bytes, the on-board inference time
(roofline of the satellite's hardware profile) and when the result reaches a ground station,
with the path it took; `--out tile.png` writes the captured tile, `--json` prints one object.
"""
from __future__ import annotations

import json

import numpy as np

from .errors import UserError
from .output import atomic_output, check_output_path
from .trip_text import format_bytes, short_duration


def add_observe_command(commands, add_scenario_args) -> None:
    p = commands.add_parser("observe", help="a satellite images the ground below; the vision "
                                            "model decides on board; time the result's way down")
    add_scenario_args(p)
    p.add_argument("--sat", required=True, metavar="ID|NAME", help="the imaging satellite")
    p.add_argument("--out", metavar="TILE.png", help="write the captured tile as a PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_observe)


def cmd_observe(args) -> int:
    from .cli import world_from_args
    from .observation import observe

    out = check_output_path("--out", args.out, (".png",)) if args.out else None
    world = world_from_args(args)
    observation = observe(world, args.sat)
    if out is not None:
        write_tile_png(observation.scene.tile, out)
    report = observation_report(observation)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_observation(report)
    return 0


def write_tile_png(tile: np.ndarray, path) -> None:
    """The tile as an RGB PNG, written beside `path`, decoded again and only then renamed."""
    from PIL import Image

    def verify(temp) -> None:
        with Image.open(temp) as image:
            if np.asarray(image.convert("RGB")).shape != tile.shape:
                raise UserError("the PNG read back has the wrong size")

    with atomic_output(path, verify=verify) as temp:
        Image.fromarray(np.ascontiguousarray(tile)).save(temp, format="PNG")


def observation_report(obs) -> dict:
    """The capture's figures as JSON-ready values (bytes, seconds, UTC ISO times)."""
    down = obs.downlink
    scene = obs.scene
    return {
        "satellite": obs.satellite, "utc": obs.when.isoformat(),
        "payload": {"name": obs.payload.name, "swath_km": obs.payload.swath_km,
                    "gsd_m": obs.payload.gsd_m, "bands": obs.payload.bands,
                    "bits_per_sample": obs.payload.bits_per_sample},
        "scene": {"lat_deg": round(scene.lat_deg, 4), "lon_deg": round(scene.lon_deg, 4),
                  "heading_deg": round(scene.heading_deg, 2),
                  "sun_elevation_deg": round(scene.sun_elevation_deg, 2),
                  "tile_px": scene.tile.shape[0]},
        "label": obs.label, "confidence": round(obs.confidence, 4),
        "probabilities": {k: round(v, 4) for k, v in obs.probabilities.items()},
        "raw_bytes": obs.raw_bytes, "result_bytes": obs.result_bytes, "result": obs.result,
        "saved_fraction": 1.0 - obs.result_bytes / obs.raw_bytes,
        "flops": obs.flops, "onboard_s": obs.onboard_s, "onboard_bound": obs.onboard_bound,
        "full_scene_tiles": round((obs.payload.pixels_across / scene.tile.shape[0]) ** 2),
        "full_scene_onboard_s": obs.full_scene_s,
        "downlink": {
            "path": down.path, "ready_utc": down.ready.isoformat(),
            "on_ground_utc": down.on_ground.isoformat() if down.on_ground else None,
            "stored_s": down.waited_s,
            "to_ground_s": (down.on_ground - obs.when).total_seconds() if down.on_ground else None,
            "hops": list(down.hops),
            "length_km": round(down.route.length_km, 3) if down.route else None,
        },
    }


def _wait(seconds: float) -> str:
    """'3.2 h', '12.5 min', '41.3 s', '2.1 ms': a wait people read."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return short_duration(seconds)


def print_observation(r: dict) -> None:
    scene, payload, down = r["scene"], r["payload"], r["downlink"]
    print(f"{r['satellite']} images ({scene['lat_deg']:.2f}, {scene['lon_deg']:.2f}) at "
          f"{r['utc']}: {payload['swath_km']:g} km swath, heading {scene['heading_deg']:.0f} "
          f"deg, Sun {scene['sun_elevation_deg']:.1f} deg up")
    print(f"on board: {r['label']} (confidence {r['confidence']:.2f})")
    print(f"raw scene {format_bytes(r['raw_bytes'])} ({payload['bands']} bands x "
          f"{payload['bits_per_sample']} bits at {payload['gsd_m']:g} m); result "
          f"{r['result_bytes']} B: {r['raw_bytes'] / r['result_bytes']:,.0f}x less to downlink")
    if r["onboard_s"] is None:
        print(f"inference: {r['flops'] / 1e6:.1f} MFLOP; no hardware profile: no on-board time")
    else:
        print(f"inference: {r['flops'] / 1e6:.1f} MFLOP, {short_duration(r['onboard_s'])} on "
              f"board ({r['onboard_bound']}-bound roofline of the hardware profile: a lower "
              f"bound, kernel launches add microseconds); the whole scene at "
              f"{payload['gsd_m']:g} m in {r['full_scene_tiles']:,} tiles: "
              f"{short_duration(r['full_scene_onboard_s'])}")
    if down["path"] == "none":
        print("result: no route to any station opens within 24 h; it stays on board")
        return
    how = {"direct": "straight down", "lasers": "over the laser links",
           "stored": f"stored on board {_wait(down['stored_s'])}, then"}[down["path"]]
    route = " -> ".join(down["hops"])
    print(f"result on the ground at {down['on_ground_utc']} "
          f"({_wait(down['to_ground_s'])} after capture): {how} {route}, "
          f"{down['length_km']:,.0f} km")
