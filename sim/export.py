"""Writing results to files without ever leaving a half-written file behind."""
from __future__ import annotations

import contextlib
import csv
import os
import pathlib
import tempfile


from .errors import UserError
from .snapshot import ROLE_NAMES, Snapshot
from .stations import geodetic_from_itrs

EXPORT_COLUMNS = ("id", "name", "role", "shell", "lat_deg", "lon_deg", "alt_km",
                  "gcrs_x_km", "gcrs_y_km", "gcrs_z_km", "itrs_x_km", "itrs_y_km", "itrs_z_km",
                  "sunlit")


@contextlib.contextmanager
def atomic_write(path: pathlib.Path, mode: str = "w", newline: str | None = ""):
    """Write to a temporary file beside `path` and move it into place only on success."""
    path = pathlib.Path(path)
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise UserError(f"{path}: folder {folder} does not exist")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as error:
        raise UserError(f"{path}: cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(handle, mode, newline=newline, encoding="utf-8") as stream:
            yield stream
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_satellite_csv(snapshot: Snapshot, path: pathlib.Path) -> int:
    """One row per satellite; returns the number of rows written."""
    lat, lon, alt = geodetic_from_itrs(snapshot.positions_itrs_km)
    with atomic_write(path) as stream:
        writer = csv.writer(stream)
        writer.writerow(EXPORT_COLUMNS)
        for i, name in enumerate(snapshot.sat_names):
            gcrs, itrs = snapshot.positions_km[i], snapshot.positions_itrs_km[i]
            writer.writerow([
                i, name, ROLE_NAMES[snapshot.roles[i]],
                snapshot.shell_names[snapshot.shell_index[i]],
                f"{lat[i]:.6f}", f"{lon[i]:.6f}", f"{alt[i]:.4f}",
                *(f"{v:.6f}" for v in gcrs), *(f"{v:.6f}" for v in itrs),
                int(bool(snapshot.sunlit[i])),
            ])
    return len(snapshot.sat_names)


