"""Writing results to files without ever leaving a half-written file behind (sim/output.py)."""
from __future__ import annotations

import csv
import pathlib

import numpy as np

from .errors import UserError
from .output import atomic_write
from .snapshot import ROLE_NAMES, Snapshot
from .stations import geodetic_from_itrs

__all__ = ["EXPORT_COLUMNS", "atomic_write", "write_satellite_csv"]

EXPORT_COLUMNS = ("id", "name", "role", "shell", "placed", "lat_deg", "lon_deg", "alt_km",
                  "gcrs_x_km", "gcrs_y_km", "gcrs_z_km", "itrs_x_km", "itrs_y_km", "itrs_z_km",
                  "sunlit")
#: Numeric columns left blank for a satellite SGP4 cannot place (decayed, hyperbolic, ...).
_PLACE_COLUMNS = 10


def write_satellite_csv(snapshot: Snapshot, path: pathlib.Path) -> tuple[int, int]:
    """One row per satellite; returns (rows written, satellites SGP4 could not place). An
    unplaced satellite gets placed = 0 and blank coordinates (never the Earth's centre)."""
    online = snapshot.online
    with np.errstate(all="ignore"):  # unplaced satellites sit at the origin; not written
        lat, lon, alt = geodetic_from_itrs(snapshot.positions_itrs_km)
    rows = len(snapshot.sat_names)
    with atomic_write(path, verify=lambda temp: _check_rows(temp, rows)) as stream:
        writer = csv.writer(stream)
        writer.writerow(EXPORT_COLUMNS)
        for i, name in enumerate(snapshot.sat_names):
            head = [i, name, ROLE_NAMES[snapshot.roles[i]],
                    snapshot.shell_names[snapshot.shell_index[i]]]
            if not online[i]:
                writer.writerow(head + [0] + [""] * _PLACE_COLUMNS)
                continue
            gcrs, itrs = snapshot.positions_km[i], snapshot.positions_itrs_km[i]
            writer.writerow(head + [
                1, f"{lat[i]:.6f}", f"{lon[i]:.6f}", f"{alt[i]:.4f}",
                *(f"{v:.6f}" for v in gcrs), *(f"{v:.6f}" for v in itrs),
                int(bool(snapshot.sunlit[i])),
            ])
    return rows, int((~online).sum())


def _check_rows(path: pathlib.Path, rows: int) -> None:
    """The written file holds the header and `rows` complete rows."""
    count = 0
    with open(path, newline="", encoding="utf-8") as stream:
        for line in csv.reader(stream):  # streamed: a million rows are ~200 MB
            if len(line) != len(EXPORT_COLUMNS):
                raise UserError(f"export: the written CSV has a cut row (row {count})")
            count += 1
    if count != rows + 1:
        raise UserError(f"export: the written CSV is incomplete ({count - 1} of {rows} rows)")
