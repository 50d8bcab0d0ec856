"""What the renderer and the panel may read of Earth-observation captures (sim/observation_service.py):
frozen views held by `Snapshot.observation`. numpy only, so that sim/snapshot.py can import it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

#: A capture's states, in order: classifying on board; the result waits on board (for the
#: answer to be routed, or for a station to come into reach); the result is on the ground.
CAPTURE_STATES = ("captured", "stored", "downlinked", "failed")


@dataclasses.dataclass(frozen=True)
class CaptureView:
    """One capture: where, what the model decided, its bytes and where its result is."""

    capture_id: int
    satellite: str
    sat: int  #: satellite index
    taken_utc: dt.datetime
    lat_deg: float  #: scene centre, geodetic (WGS-84), deg
    lon_deg: float
    heading_deg: float  #: ground track, deg clockwise from north
    swath_km: float
    tile: np.ndarray  #: (64, 64, 3) uint8 RGB, read-only
    state: str  #: one of CAPTURE_STATES
    label: str = ""  #: "" while classifying
    confidence: float = 0.0
    raw_bytes: float = 0.0  #: the full scene as sensed, B
    result_bytes: int = 0  #: the result message, B (0 while classifying)
    path: str = ""  #: "direct", "lasers", "stored", "none" once the way down is known
    hops: tuple[str, ...] = ()  #: satellite ... station, once known
    on_ground_utc: dt.datetime | None = None
    error: str = ""
    scheduled: bool = False  #: taken by the payload's schedule (`every_min`), not on demand


@dataclasses.dataclass(frozen=True)
class ObservationView:
    """Recent captures and the network's totals since the World started, bytes."""

    captures: tuple[CaptureView, ...] = ()
    raw_collected_bytes: float = 0.0  #: every capture's full scene
    downlinked_bytes: float = 0.0  #: results that reached a station
    #: raw bytes of the downlinked captures that never had to come down (raw - result)
    saved_bytes: float = 0.0
    #: indices into Snapshot.shell_names of the shells whose satellites carry an imaging
    #: payload (the panel offers a capture only to those)
    imaging_shells: tuple[int, ...] = ()
    #: scheduled slots (a payload's `every_min`, sim/capture_schedule.py) since the World
    #: started: captures taken, and slots skipped because the ground below was dark (the
    #: payload needs daylight), because it was water, or because a limit was reached (the
    #: captures per step, the captures waiting for the onboard worker or not yet down, older
    #: slots of a satellite inside one long step)
    scheduled_taken: int = 0
    skipped_dark: int = 0
    skipped_water: int = 0
    skipped_limit: int = 0
    #: satellites with a scheduled payload (0: captures only on demand)
    scheduled_satellites: int = 0

    def can_image(self, shell_index: int) -> bool:
        """True when a satellite of shell `shell_index` carries an imaging payload."""
        return int(shell_index) in self.imaging_shells
