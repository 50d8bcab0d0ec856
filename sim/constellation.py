"""The satellites of a scenario, as flat arrays plus their SGP4 records for propagation.

Built once per scenario: synthetic Walker shells through `Satrec.sgp4init`, real objects from
their element files. Propagation (`propagate`) then runs SGP4 over all satellites at once and
rotates TEME into GCRS and ITRS with the same rotations skyfield uses, so positions agree with
skyfield's `EarthSatellite` to well under a metre. The World's small steps take their TEME
states from `propagation.StaggeredPropagator` instead (staggered SGP4 samples, interpolated to
within a few millimetres); the rotations are the same.
"""
from __future__ import annotations

import bisect
import collections.abc
import dataclasses
import datetime as dt

import numpy as np
from sgp4.api import SatrecArray

from . import ephemeris, orbits
from .constants import EARTH_RADIUS_KM, EARTH_ROTATION_RAD_S
from .elements import read_element_file
from .scenario import Scenario, Shell, check_satellite_total
from .snapshot import ROLE_NAMES


@dataclasses.dataclass(frozen=True)
class Constellation:
    """Static description of every satellite (index i is the same everywhere in the sim)."""

    names: tuple[str, ...]
    roles: np.ndarray  #: (N,) int8 role codes (snapshot.ROLE_NAMES)
    shell_index: np.ndarray  #: (N,) int16
    shell_names: tuple[str, ...]
    plane: np.ndarray  #: (N,) int32 plane within the shell, -1 for imported objects
    slot: np.ndarray  #: (N,) int32 position within the plane, -1 for imported objects
    shells: tuple[Shell | None, ...]  #: per shell index; None for imported element sets
    capacity_pflops: np.ndarray  #: (N,) float64
    satrecs: "SatrecList | list"  #: sgp4 Satrec objects, index-aligned
    #: the same records in SatrecArrays, for SGP4 over every satellite at once
    sat_array: "SatrecGroups | SatrecArray"

    @property
    def size(self) -> int:
        return len(self.names)


def build(scenario: Scenario) -> Constellation:
    names: list[str] = []
    roles, shell_index, planes, slots = [], [], [], []
    satrecs = SatrecList()
    shell_names: list[str] = []
    shells: list[Shell | None] = []
    t0 = ephemeris.skyfield_time(scenario.epoch)
    sun = ephemeris.sun_direction_gcrs(t0)
    sun_ra_deg = float(np.degrees(np.arctan2(sun[1], sun[0])))
    for shell in scenario.shells:
        make, layout = _shell_satrecs(shell, scenario.epoch, len(satrecs), sun_ra_deg)
        index = len(shell_names)
        shell_names.append(shell.name)
        shells.append(shell)
        names += [f"{shell.name}-P{p + 1:02d}-S{s + 1:02d}" for p, s in
                  zip(layout.plane, layout.slot)] if shell.planes > 1 else \
                 [f"{shell.name}-{s + 1:02d}" for s in layout.slot]
        satrecs.add_made(shell.size, make)
        roles += [ROLE_NAMES.index(shell.role)] * shell.size
        shell_index += [index] * shell.size
        planes += list(layout.plane)
        slots += list(layout.slot)
    for source in scenario.element_sources:
        records = read_element_file(source.path)
        check_satellite_total(len(satrecs) + len(records), str(source.path))
        index = len(shell_names)
        shell_names.append(source.name)
        shells.append(None)
        names += [r.name for r in records]
        satrecs.add_kept([r.satrec for r in records])
        roles += [ROLE_NAMES.index(source.role)] * len(records)
        shell_index += [index] * len(records)
        planes += [-1] * len(records)
        slots += [-1] * len(records)
    roles_arr = np.array(roles, dtype=np.int8)
    capacity = np.array([scenario.compute_pflops[ROLE_NAMES[r]] for r in roles_arr], float)
    return Constellation(
        names=tuple(names), roles=roles_arr, shell_index=np.array(shell_index, np.int16),
        shell_names=tuple(shell_names), plane=np.array(planes, np.int32),
        slot=np.array(slots, np.int32), shells=tuple(shells), capacity_pflops=capacity,
        satrecs=satrecs, sat_array=SatrecGroups(satrecs),
    )


#: Contiguous groups the SGP4 records are stored in (see SatrecGroups): the staggered
#: propagator samples one group at a time (sim/propagation.py), exact steps run them all.
SGP4_GROUPS = 64


def group_slices(n: int, groups: int) -> list[slice]:
    """`groups` (at most n, at least 1) consecutive slices of n satellites, as even as can be:
    the SGP4 record groups and the propagator's staggered groups are the same slices, so the
    propagator can use the constellation's records without a second copy."""
    k = max(1, min(groups, n))
    bounds = np.linspace(0, n, k + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


class SatrecGroups:
    """The satellites' SGP4 records as `groups` contiguous SatrecArrays, used as one: `sgp4`
    answers as `SatrecArray.sgp4` does for every satellite. A SatrecArray copies each record
    (about 1 kB), so the propagator's groups and a whole-constellation array would hold two
    copies: 1 GB at a million satellites. These groups are the only copy."""

    def __init__(self, satrecs: list, groups: int = SGP4_GROUPS):
        n = len(satrecs)
        self.size = n
        self.slices = group_slices(n, groups)
        self.arrays = [SatrecArray(satrecs[s]) for s in self.slices] if n else []

    def sgp4(self, jd: np.ndarray, fr: np.ndarray):
        """(errors (N,T) uint8, r (N,T,3) km, v (N,T,3) km/s) in TEME at the T instants."""
        t = len(np.atleast_1d(jd))
        errors = np.zeros((self.size, t), np.uint8)
        r, v = np.empty((self.size, t, 3)), np.empty((self.size, t, 3))
        for sl, array in zip(self.slices, self.arrays):
            errors[sl], r[sl], v[sl] = array.sgp4(jd, fr)
        return errors, r, v


def _shell_satrecs(shell: Shell, epoch: dt.datetime, first_number: int, sun_ra_deg: float):
    inclination = shell.inclination_deg
    if shell.sun_synchronous:
        inclination = orbits.sun_synchronous_inclination_deg(shell.altitude_km)
    raan0 = shell.raan_deg
    if shell.ltan_hours is not None:
        # Centre the planes on the requested local time.
        half_span = shell.raan_spread_deg * (shell.planes - 1) / shell.planes / 2
        raan0 = (orbits.raan_for_local_time_deg(sun_ra_deg, shell.ltan_hours) + shell.raan_deg
                 - half_span)
    layout = orbits.walker_layout(shell.planes, shell.sats_per_plane, shell.phasing, raan0,
                                  shell.raan_spread_deg)

    def make(k: int):
        """The shell's k-th record (the same every time: sgp4init of fixed elements)."""
        return orbits.satrec_from_elements(first_number + k + 1, epoch, shell.altitude_km,
                                           inclination, float(layout.raan_deg[k]),
                                           float(layout.mean_anomaly_deg[k]))

    return make, layout


class SatrecList(collections.abc.Sequence):
    """Every satellite's sgp4 `Satrec`, index-aligned: imported ones as read from their files,
    Walker shells' ones made again from their elements whenever asked for (sgp4init, about
    12 us each; the same record every time). A million Python Satrec objects would hold 1 GB
    beside the SatrecArrays that propagation uses; only a few are ever read again (the
    selected satellite's orbit track, satellites SGP4 fails for, the benchmark's sample)."""

    def __init__(self):
        self._starts: list[int] = []
        self._parts: list = []  # a list of Satrec, or a function k -> the part's k-th Satrec
        self._size = 0

    def add_kept(self, records: list) -> None:
        self._starts.append(self._size)
        self._parts.append(list(records))
        self._size += len(records)

    def add_made(self, count: int, make) -> None:
        self._starts.append(self._size)
        self._parts.append(make)
        self._size += count

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._size))]
        index = int(index)
        if index < 0:
            index += self._size
        if not 0 <= index < self._size:
            raise IndexError(f"satellite {index} of {self._size}")
        part = bisect.bisect_right(self._starts, index) - 1
        local, source = index - self._starts[part], self._parts[part]
        return source[local] if isinstance(source, list) else source(local)


@dataclasses.dataclass(frozen=True)
class State:
    """Where every satellite is at one instant (km, km/s)."""

    positions_km: np.ndarray  #: (N,3) GCRS
    velocities_km_s: np.ndarray  #: (N,3) GCRS
    positions_itrs_km: np.ndarray  #: (N,3) ITRS
    velocities_itrs_km_s: np.ndarray  #: (N,3) ITRS (Earth-fixed, includes Earth's rotation)
    online: np.ndarray  #: (N,) bool, False where SGP4 reported an error (e.g. decayed)
    itrs_to_gcrs: np.ndarray  #: (3,3)
    sun_dir_gcrs: np.ndarray  #: (3,) unit


def propagate(constellation: Constellation, when: dt.datetime,
              frames: ephemeris.EarthFrames | None = None, teme_source=None) -> State:
    """SGP4 for all satellites at UTC `when`, in GCRS and ITRS. Pass the same `frames` for
    successive instants to reuse the slow part of the frame rotations. `teme_source`, if
    given, supplies the TEME states instead of a direct SGP4 call: an object whose
    `teme(when)` returns (online, r_km, v_km_s), such as propagation.StaggeredPropagator."""
    frames = frames or ephemeris.EarthFrames()
    teme_to_gcrs, gcrs_to_itrs, sun_dir = frames.at(when)
    if teme_source is not None:
        online, r_teme, v_teme = teme_source.teme(when)
    else:
        jd, fr = utc_julian_date(when)
        errors, r_teme, v_teme = constellation.sat_array.sgp4(np.array([jd]), np.array([fr]))
        r_teme, v_teme = r_teme[:, 0, :], v_teme[:, 0, :]
        online = errors[:, 0] == 0
    # SGP4 may return NaN without an error code for absurd elements: count those as failed
    # (a sum is NaN or infinite when any of its parts is, and costs less to test).
    online = (online & np.isfinite(r_teme[:, 0] + r_teme[:, 1] + r_teme[:, 2])
              & np.isfinite(v_teme[:, 0] + v_teme[:, 1] + v_teme[:, 2]))
    # BLAS (run.py keeps it on one thread: threaded, it stalled on a busy 2-core machine):
    # 2.4 ms a product at a million rows, where einsum's own loop took 11.7 ms.
    positions = r_teme @ teme_to_gcrs.T
    velocities = v_teme @ teme_to_gcrs.T
    positions_itrs = positions @ gcrs_to_itrs.T
    # d/dt of the rotation adds -omega x r (polar motion and precession rates are negligible).
    velocities_itrs = velocities @ gcrs_to_itrs.T
    velocities_itrs[:, 0] += EARTH_ROTATION_RAD_S * positions_itrs[:, 1]
    velocities_itrs[:, 1] -= EARTH_ROTATION_RAD_S * positions_itrs[:, 0]
    return State(
        positions_km=_zero_bad(positions, online), velocities_km_s=_zero_bad(velocities, online),
        positions_itrs_km=_zero_bad(positions_itrs, online),
        velocities_itrs_km_s=_zero_bad(velocities_itrs, online), online=online,
        itrs_to_gcrs=gcrs_to_itrs.T.copy(), sun_dir_gcrs=sun_dir,
    )


def utc_julian_date(when: dt.datetime) -> tuple[float, float]:
    """UTC Julian date split as SGP4 wants it (whole day at midnight, fraction), the same
    split skyfield uses for EarthSatellite."""
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    whole = midnight.date().toordinal() + 1721424.5  # JD of 00:00 UTC that day
    # Seconds of the day kept apart from the large whole part: no float precision is lost.
    return whole, (when - midnight).total_seconds() / 86400.0


def _zero_bad(values: np.ndarray, online: np.ndarray) -> np.ndarray:
    """SGP4 returns NaN for failed satellites; keep arrays finite so GPUs and maths stay sane."""
    if not online.all():
        values = values.copy()
        values[~online] = 0.0
    return values


def sunlit(positions_km: np.ndarray, sun_dir: np.ndarray) -> np.ndarray:
    """True where a satellite sees the Sun: outside the cylinder of Earth's shadow.

    The cylindrical model ignores the umbra's taper and the penumbra (a few seconds at each
    shadow edge for LEO), which is below what a visualizer shows.
    """
    along = positions_km @ sun_dir  # BLAS: see `propagate`
    across_sq = np.einsum("ij,ij->i", positions_km, positions_km) - along**2
    return (along > 0) | (across_sq > EARTH_RADIUS_KM**2)
