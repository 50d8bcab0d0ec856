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


def next_route(route_at: RouteAt, start: dt.datetime, horizon_s: float = 86400.0,
               scan_step_s: float = 20.0) -> RouteResult:
    """The first route from `start` on (within `horizon_s`), to one-second precision."""
    route = route_at(start)
    if route is not None:
        return RouteResult(start, route, 0.0)
    previous = 0.0
    offset = scan_step_s
    while offset <= horizon_s:
        route = route_at(start + dt.timedelta(seconds=offset))
        if route is not None:
            return _bisect(route_at, start, previous, offset, route)
        previous, offset = offset, offset + scan_step_s
    return RouteResult(start + dt.timedelta(seconds=horizon_s), None, horizon_s)


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
