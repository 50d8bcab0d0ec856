"""Imaging payloads: the `[imaging.<name>]` tables of a scenario file, and what a scene of one
weighs in bytes.

    [imaging.msi]                 # one payload, referenced by name from a shell
    swath_km = 290                # width of the imaged strip on the ground, km
    gsd_m = 10                    # ground sample distance (one pixel on the ground), m
    bands = 4                     # spectral bands recorded per pixel
    bits_per_sample = 12          # bits per band per pixel, as digitised on board
    needs_daylight = true         # an optical imager: no scene while the ground is dark

    [[shells]]
    ...
    imaging = "msi"               # every satellite of the shell carries it

A scene is the square swath_km x swath_km centred under the satellite (sim/scene.py), so its
raw size is (swath / GSD)^2 pixels x bands x bits, uncompressed (what the sensor hands the
on-board computer; see `raw_scene_bytes`).

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


@dataclasses.dataclass(frozen=True)
class ImagingPayload:
    """An imager on board (lengths as named: km across the swath, m per ground pixel)."""

    name: str
    swath_km: float  #: width of the imaged strip (and side of the square scene), km
    gsd_m: float  #: ground sample distance, m per pixel
    bands: int = 3  #: spectral bands per pixel
    bits_per_sample: int = 12  #: bits per band per pixel
    needs_daylight: bool = True  #: optical: refuses a scene whose centre is in darkness

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
