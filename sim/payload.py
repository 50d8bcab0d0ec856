"""Imaging payloads: the `[imaging.<name>]` tables of a scenario file, and what a scene of one
weighs in bytes.

    [imaging.msi]                 # one payload, referenced by name from a shell
    swath_km = 290                # width of the imaged strip on the ground, km
    gsd_m = 10                    # ground sample distance (one pixel on the ground), m
    bands = 4                     # spectral bands recorded per pixel
    bits_per_sample = 12          # bits per band per pixel, as digitised on board
    needs_daylight = true         # an optical imager: no scene while the ground is dark
    every_min = 10                # scheduled: each carrier images every 10 min of sim time
                                  # (0, the default: only on demand)

    [[shells]]
    ...
    imaging = "msi"               # every satellite of the shell carries it

A scene is the square swath_km x swath_km centred under the satellite (sim/scene.py), so its
raw size is (swath / GSD)^2 pixels x bands x bits, uncompressed (what the sensor hands the
on-board computer; see `raw_scene_bytes`).

Scheduled captures (`every_min` > 0, sim/capture_schedule.py): every satellite carrying the
payload images the ground below once every `every_min` minutes of sim time, the satellites'
slots staggered evenly over that period; a slot is taken only when the ground below is land
(the shipped water mask, sim/scene.py) and, when `needs_daylight`, lit. Slots over water or at
night are skipped and counted, never queued. `every_min` is 0 (on demand only: the `Capture`
command, `run.py observe`) or MIN_EVERY_MIN..MAX_EVERY_MIN.

Kept out of sim/scenario.py (which only calls `read_payloads`) so that the schema and its checks
live in one small place; no torch, no numpy.
"""
from __future__ import annotations

import dataclasses
import difflib

from .tomlcheck import Field, TomlSource, between, read_table

#: Widest swath and finest / coarsest ground sample distance a payload may state: far beyond
#: any real imager (the widest LEO push-broom swaths are ~2,300 km, VIIRS 3,040 km; the finest
#: commercial GSD ~0.3 m), kept so that a scene's byte count stays finite and meaningful.
MAX_SWATH_KM = 5000.0
MIN_GSD_M = 0.01
MAX_GSD_M = 100_000.0
#: Shortest and longest schedule a payload may state, minutes of sim time. A 290 km scene
#: passes under a LEO satellite in about 40 s, so a schedule faster than a minute would image
#: overlapping scenes; a week is far beyond any use (0 turns the schedule off).
MIN_EVERY_MIN = 1.0
MAX_EVERY_MIN = 7 * 24 * 60.0


@dataclasses.dataclass(frozen=True)
class ImagingPayload:
    """An imager on board (lengths as named: km across the swath, m per ground pixel)."""

    name: str
    swath_km: float  #: width of the imaged strip (and side of the square scene), km
    gsd_m: float  #: ground sample distance, m per pixel
    bands: int = 3  #: spectral bands per pixel
    bits_per_sample: int = 12  #: bits per band per pixel
    needs_daylight: bool = True  #: optical: refuses a scene whose centre is in darkness
    #: scheduled captures: each carrier every this many minutes of sim time (0: on demand only)
    every_min: float = 0.0

    @property
    def every_s(self) -> float:
        """The schedule's period in seconds of sim time (0: no schedule)."""
        return self.every_min * 60.0

    @property
    def pixels_across(self) -> float:
        """Ground pixels across the swath (swath / GSD)."""
        return self.swath_km * 1000.0 / self.gsd_m

    def raw_scene_bytes(self) -> float:
        """Bytes of one square scene as sensed: (swath / GSD)^2 x bands x bits / 8."""
        return self.pixels_across ** 2 * self.bands * self.bits_per_sample / 8.0


_SCHEMA_IMAGING = {
    "swath_km": Field(float, required=True, check=between(0.01, MAX_SWATH_KM, " km")),
    "gsd_m": Field(float, required=True, check=between(MIN_GSD_M, MAX_GSD_M, " m")),
    "bands": Field(int, 3, check=between(1, 1000)),
    "bits_per_sample": Field(int, 12, check=between(1, 64)),
    "needs_daylight": Field(bool, True),
    "every_min": Field(float, 0.0, check=lambda v: None if v == 0 or
                       MIN_EVERY_MIN <= v <= MAX_EVERY_MIN else
                       f"must be 0 (on demand only) or {MIN_EVERY_MIN:g}..{MAX_EVERY_MIN:g} "
                       f"minutes of sim time, got {v:g}"),
}


def read_payloads(src: TomlSource) -> dict[str, ImagingPayload]:
    """Every [imaging.<name>] table of `src`, checked (UserError naming file, line, field)."""
    tables = src.data.get("imaging", {})
    if not isinstance(tables, dict):
        raise src.error(("imaging",), None, "expected tables [imaging.<name>]")
    payloads = {}
    for name, raw in tables.items():
        values = read_table(src, ("imaging", name), raw, _SCHEMA_IMAGING)
        payload = ImagingPayload(name=name, **values)
        if payload.swath_km * 1000.0 < payload.gsd_m:
            raise src.error(("imaging", name), "gsd_m", f"{payload.gsd_m:g} m is wider than the "
                            f"swath ({payload.swath_km:g} km): not one pixel across")
        payloads[name] = payload
    return payloads


def check_reference(src: TomlSource, table: tuple, name: str,
                    payloads: dict[str, ImagingPayload]) -> str:
    """`name` (a shell's `imaging` key) if it is "" or one of `payloads`; UserError otherwise."""
    if name and name not in payloads:
        close = difflib.get_close_matches(name, list(payloads), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(payloads) or "none: add an [imaging.<name>] table"
        raise src.error(table, "imaging", f"unknown imaging payload {name!r}{hint}; "
                        f"payloads: {known}")
    return name
