"""Routes between ground points at a given instant, and the next instant a route exists.

A 12-satellite cluster is out of sight of every station most of the day, so "no path now" is
the usual answer there: `next_route` scans forward in coarse steps (shorter than any useful
pass) and then bisects to the second when the first path opens.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Callable

from .geometry import GeometryModel
from .ground import GroundSites
from .routing import Route


@dataclasses.dataclass(frozen=True)
class RouteResult:
    when: dt.datetime  #: instant the route is valid (the query time, or when one opens)
    route: Route | None  #: None when none opens within the horizon
    waited_s: float  #: seconds from the query time to `when`


RouteAt = Callable[[dt.datetime], "Route | None"]


def ground_to_ground(model: GeometryModel, sites: GroundSites, source: int = 0,
                     target: int = 1) -> RouteAt:
    """Route finder between two ground points of `sites`."""
    return lambda when: model.compute(when, sites).network.route_ground_to_ground(source, target)


def ground_to_sat(model: GeometryModel, sites: GroundSites, source: int, sat: int) -> RouteAt:
    """Route finder from a ground point of `sites` up to satellite `sat`."""
    return lambda when: model.compute(when, sites).network.route_ground_to_sat(source, sat)


def ground_to_sat_best(model: GeometryModel, sites: GroundSites, grounds, sat: int) -> RouteAt:
    """Route finder from the nearest of several ground points of `sites` up to `sat`."""
    return lambda when: model.compute(when, sites).network.route_best_ground_to_sat(grounds, sat)


class RouteSearch:
    """Looks forward in time for the first route, a bounded number of evaluations per call,
    so that a live frame never stalls on a long wait (a 12-satellite cluster can wait hours).

    Scans in `scan_step_s` steps from `start`; when a step finds a route, bisects back to the
    second when it opened.
    """

    def __init__(self, route_at: RouteAt, start: dt.datetime, horizon_s: float = 86400.0,
                 scan_step_s: float = 20.0):
        self.route_at = route_at
        self.start = start
        self.horizon_s = horizon_s
        self.scan_step_s = scan_step_s
        self._closed_s = -scan_step_s  # latest offset known to have no route
        self.result: RouteResult | None = None

    @property
    def searched_until(self) -> dt.datetime:
        """How far ahead the search has looked so far."""
        return self.start + dt.timedelta(seconds=max(self._closed_s, 0.0))

    def advance(self, max_evaluations: int | None = None) -> RouteResult | None:
        """Search on; returns the result once known (route None: none within the horizon)."""
        budget = max_evaluations if max_evaluations is not None else 1 << 30
        while self.result is None and budget > 0:
            offset = min(self._closed_s + self.scan_step_s, self.horizon_s)  # first: 0
            budget -= 1
            route = self.route_at(self.start + dt.timedelta(seconds=offset))
            if route is not None:
                self.result = (RouteResult(self.start, route, 0.0) if offset == 0 else
                               _bisect(self.route_at, self.start, self._closed_s, offset, route))
            elif offset >= self.horizon_s:
                self.result = RouteResult(self.start + dt.timedelta(seconds=self.horizon_s),
                                          None, self.horizon_s)
            else:
                self._closed_s = offset
        return self.result


def next_route(route_at: RouteAt, start: dt.datetime, horizon_s: float = 86400.0,
               scan_step_s: float = 20.0) -> RouteResult:
    """The first route from `start` on (within `horizon_s`), to one-second precision."""
    return RouteSearch(route_at, start, horizon_s, scan_step_s).advance()
def _bisect(route_at: RouteAt, start, closed_s, open_s, route) -> RouteResult:
    """Narrow (closed_s, open_s] to one second; the route found at the end is returned."""
    while open_s - closed_s > 1.0:
        middle = (closed_s + open_s) / 2
        found = route_at(start + dt.timedelta(seconds=middle))
        if found is None:
            closed_s = middle
        else:
            open_s, route = middle, found
    return RouteResult(start + dt.timedelta(seconds=open_s), route, open_s)
