"""Everything that depends only on where things are at one instant: positions, sunlight,
laser links, ground links and the routing graph. Stateless, so that route queries and
"when does the next path open" searches can evaluate any instant without touching the World.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time

import numpy as np

from . import constellation as constellation_mod
from . import ground, links
from .constellation import Constellation, State
from .direction_grid import DirectionGrid
from .ephemeris import EarthFrames
from .routing import LaserLayouts, Network
from .scenario import LinkPolicy


@dataclasses.dataclass(frozen=True)
class Geometry:
    when: dt.datetime
    state: State
    sunlit: np.ndarray  #: (N,) bool
    isl: links.LinkSet
    ground: ground.GroundLinks  #: over the `sites` given to `compute`
    n_sites: int
    #: the model's laser-layout cache, for `network` (None: no cache)
    layouts: LaserLayouts | None = dataclasses.field(default=None, compare=False, repr=False)
    #: (n_sites,3) ITRS km of the sites, so that bounded route searches stay near their
    #: sources (None: they search the whole graph)
    site_itrs_km: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)
    #: the online satellites' ITRS positions by direction, shared by the ground links and the
    #: route searches (built on first use; None: the network makes its own)
    directions: DirectionGrid | None = dataclasses.field(default=None, compare=False,
                                                         repr=False)

    @functools.cached_property
    def network(self) -> Network:
        return Network(len(self.sunlit), self.isl.pairs, self.isl.length_km, self.ground.pairs,
                       self.ground.slant_km, self.n_sites, self.layouts,
                       self.state.positions_itrs_km, self.site_itrs_km, self.directions)


@dataclasses.dataclass(frozen=True)
class GeometryModel:
    """The fixed inputs of a geometry computation for one scenario."""

    constellation: Constellation
    candidates: links.GridCandidates
    free_mask: np.ndarray  #: satellites without a plane structure (nearest-neighbour links)
    policy: LinkPolicy
    min_elevation_deg: float
    frames: EarthFrames = dataclasses.field(default_factory=EarthFrames, compare=False)
    #: first-pass ground-link candidates, reused over a few sim seconds (see ground.py)
    ground_candidates: ground.CandidateCache = dataclasses.field(
        default_factory=ground.CandidateCache, compare=False)
    #: layouts of recent laser graphs, for the routing graphs of this model's geometries
    laser_layouts: LaserLayouts = dataclasses.field(default_factory=LaserLayouts, compare=False)
    #: most ground links per ground point, its highest-elevation ones (None: all; ground.py)
    ground_link_cap: int | None = ground.GROUND_LINK_CAP

    @classmethod
    def of(cls, constellation: Constellation, policy: LinkPolicy, min_elevation_deg: float,
           epoch: dt.datetime):
        """The model of a constellation; cross-plane candidates are checked at `epoch`."""
        frames = EarthFrames()
        at_epoch = constellation_mod.propagate(constellation, epoch, frames)
        candidates = links.co_rotating(links.grid_candidates(constellation, policy),
                                       at_epoch.positions_km, at_epoch.velocities_km_s)
        return cls(constellation, candidates, constellation.plane < 0, policy,
                   min_elevation_deg, frames)

    def compute(self, when: dt.datetime, sites: ground.GroundSites,
                timings: dict[str, float] | None = None, teme_source=None) -> Geometry:
        """Geometry at UTC `when`; adds seconds spent per stage to `timings` if given.
        `teme_source`: see `constellation.propagate` (the World passes its interpolating
        propagator; one-off queries at arbitrary instants use exact SGP4)."""
        clock = _StageClock(timings)
        state = constellation_mod.propagate(self.constellation, when, self.frames, teme_source)
        clock.lap("propagate")
        lit = constellation_mod.sunlit(state.positions_km, state.sun_dir_gcrs)
        clock.lap("sun_eclipse")
        isl = links.active_links(self.candidates, state.positions_km, state.online, self.policy,
                                 self.free_mask)
        clock.lap("laser_links")
        candidates = None
        directions = DirectionGrid(state.positions_itrs_km, state.online)  # built if used
        if len(sites) and self.constellation.size:
            candidates = self.ground_candidates.get(
                sites, when.timestamp(), state.positions_itrs_km, state.velocities_itrs_km_s,
                state.online, self.min_elevation_deg, self.ground_link_cap, directions)
        seen = ground.visible(sites, state.positions_itrs_km, state.online,
                              self.min_elevation_deg, candidates, self.ground_link_cap)
        clock.lap("ground_links")
        return Geometry(when, state, lit, isl, seen, len(sites), self.laser_layouts,
                        sites.itrs_km, directions)


class _StageClock:
    """Accumulates wall time per named stage into a dict (no-op without one)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.timings is None:
            return
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
