"""Shortest light-time routing over laser and ground links (scipy.sparse.csgraph).

Route nodes: satellites are 0..N-1 and ground point g is N+g. Edge weights are one-way
light-times in seconds (length / c). A ground point is only ever the end of a path, never a
relay (ground-to-ground hand-offs would be a terrestrial network, which we do not model).

Searches bounded by a light-time limit (`Network.bounded_trees`) run on the part of the graph
that such a path can reach: every hop is a straight segment, so a path of at most c * limit
kilometres never leaves the ball of that radius around its ground point. Only the satellites
inside the balls enter the search, so its cost follows what it reaches, not N (at a million
satellites, a search of a few milliseconds of light-time touches a few thousand of them).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .constants import SPEED_OF_LIGHT_KM_S
from .direction_grid import DirectionGrid


@dataclasses.dataclass(frozen=True)
class Route:
    """A path through the network at one instant."""

    nodes: tuple[int, ...]  #: route nodes from source to destination (ground g = N+g)
    hop_km: tuple[float, ...]  #: length of each hop, km (len(nodes) - 1)

    @property
    def one_way_s(self) -> float:
        return self.length_km / SPEED_OF_LIGHT_KM_S

    @property
    def length_km(self) -> float:
        return float(sum(self.hop_km))


#: Below this many satellites, bounded searches run on the whole (cached) graph: the balls
#: would not leave out enough to pay for finding them (2,800: 1.4 against 2.1 ms a step).
BALL_MIN_SATS = 20_000
#: Path lengths (km) within which `routes_best_ground_to_sats` looks first: most satellites
#: reach a station within a few laser hops (a whole-graph search at 100,000 satellites: 3 ms)
NEAREST_GROUND_KM = (3_000.0, 12_000.0)


class Network:
    """The link graph at one instant.

    Stored directed: laser links both ways, ground links only from ground to satellite. So a
    tree grown from ground points never passes through another ground point; a ground
    destination gets its incoming edges added per query.
    """

    def __init__(self, n_sats: int, isl_pairs: np.ndarray, isl_km: np.ndarray,
                 ground_pairs: np.ndarray, ground_km: np.ndarray, n_ground: int,
                 layouts: LaserLayouts | None = None, sat_km: np.ndarray | None = None,
                 site_km: np.ndarray | None = None, directions: DirectionGrid | None = None):
        """`layouts`: the owner's cache of laser-graph layouts (one per World, through its
        GeometryModel), reused while the links stay the same; None builds the layout anew.
        `sat_km` (N,3) and `site_km` (n_ground,3): positions in one frame (km), which let
        `bounded_trees` search only near its sources (without them it searches everything);
        `directions`: a DirectionGrid of `sat_km` to share (else one is made if needed)."""
        self.n_sats = n_sats
        self._sat_km = sat_km
        self._site_km = site_km
        if directions is None and sat_km is not None:
            directions = DirectionGrid(sat_km)  # cheap until a bounded search asks it
        self._directions = directions
        self.n_ground = n_ground
        self._isl_pairs = np.asarray(isl_pairs, np.int64).reshape(-1, 2)
        self._isl_km = np.asarray(isl_km, float)
        self._isl_keys = self._isl_pairs[:, 0] * n_sats + self._isl_pairs[:, 1]
        if np.any(np.diff(self._isl_keys) < 0):  # links.LinkSet comes sorted; others may not
            order = np.argsort(self._isl_keys)
            self._isl_pairs, self._isl_km = self._isl_pairs[order], self._isl_km[order]
            self._isl_keys = self._isl_keys[order]
        ground_pairs = np.asarray(ground_pairs).reshape(-1, 2)
        point, sat = ground_pairs[:, 0].astype(np.int64), ground_pairs[:, 1].astype(np.int64)
        ground_km = np.asarray(ground_km, float)
        if np.any(np.diff(point) < 0):  # ground.visible gives them sorted; others may not
            order = np.argsort(point, kind="stable")
            point, sat, ground_km = point[order], sat[order], ground_km[order]
        self._ground_point, self._ground_sat, self._ground_km = point, sat, ground_km
        self._uplink_graph: csr_matrix | None = None
        self._layouts = layouts if layouts is not None else LaserLayouts()

    def sats_seen_by(self, ground: int) -> tuple[np.ndarray, np.ndarray]:
        """Satellites ground point `ground` links to now, and their slant ranges (km)."""
        lo, hi = np.searchsorted(self._ground_point, [ground, ground + 1])
        return self._ground_sat[lo:hi], self._ground_km[lo:hi]

    def _graph(self, extra_rows=(), extra_cols=(), extra_km=(), extra_nodes: int = 0) -> csr_matrix:
        """Directed graph in km: lasers both ways, ground -> satellite, plus extra edges
        (and `extra_nodes` nodes after the ground points)."""
        a, b = self._isl_pairs[:, 0], self._isl_pairs[:, 1]
        rows = np.concatenate([a, b, self.n_sats + self._ground_point, *extra_rows])
        cols = np.concatenate([b, a, self._ground_sat, *extra_cols])
        km = np.concatenate([self._isl_km, self._isl_km, self._ground_km, *extra_km])
        size = self.n_sats + self.n_ground + extra_nodes
        return csr_matrix((km, (rows, cols)), shape=(size, size))

    def _uplink(self) -> csr_matrix:
        """`_graph()` without extra edges, with the same CSR arrays scipy's construction gives
        (duplicate-free, columns ascending in each row), put together from parts: the laser
        rows (satellites) keep their layout while the set of links stays the same, so only
        their lengths are filled in; the ground rows follow, sorted already."""
        n, size = self.n_sats, self.n_sats + self.n_ground
        ground_keys = self._ground_point * n + self._ground_sat
        if not (np.all(self._isl_pairs[:, 0] < self._isl_pairs[:, 1])
                and np.all(np.diff(self._isl_keys) > 0) and np.all(np.diff(ground_keys) > 0)):
            return self._graph()  # duplicates or unsorted ground links: let scipy sort it out
        indptr_isl, indices_isl, order = self._layouts.get(self._isl_pairs, n)
        indptr = np.empty(size + 1, np.int32)
        indptr[: n + 1] = indptr_isl
        indptr[n + 1:] = indptr_isl[-1] + np.cumsum(np.bincount(self._ground_point,
                                                                minlength=self.n_ground))
        indices = np.concatenate([indices_isl, self._ground_sat.astype(np.int32)])
        data = np.concatenate([self._isl_km, self._isl_km])
        data = np.concatenate([data.take(order), self._ground_km])
        return csr_matrix((data, indices, indptr), shape=(size, size))

    def trees_from_ground(self, grounds: np.ndarray, limit_s: float = np.inf):
        """One-way light-time (s) from each ground point in `grounds` to every satellite
        (K,N), and predecessors in route-node numbering (K,N; -9999 where unreachable)."""
        if self._uplink_graph is None:
            self._uplink_graph = self._uplink()
        dist, pred = dijkstra(self._uplink_graph, directed=True,
                              indices=self.n_sats + np.asarray(grounds, np.int64),
                              return_predecessors=True, limit=limit_s * SPEED_OF_LIGHT_KM_S)
        dist = np.atleast_2d(dist)[:, : self.n_sats] / SPEED_OF_LIGHT_KM_S
        return dist, np.atleast_2d(pred)[:, : self.n_sats]

    @property
    def bounded_search(self) -> bool:
        """True when `bounded_trees` searches only near its sources (positions known and at
        least BALL_MIN_SATS satellites); else every search costs the whole graph."""
        return self._sat_km is not None and self._site_km is not None \
            and self.n_sats >= BALL_MIN_SATS

    def bounded_trees(self, grounds: np.ndarray, limit_s: float) -> "Trees":
        """Shortest-path trees from each ground point in `grounds` to the satellites within
        `limit_s` of one-way light-time: the same distances and paths as `trees_from_ground`
        with that limit (up to ties between equally long paths), searched only inside the
        balls of radius c * limit_s around the sources (see the module docstring)."""
        grounds = np.asarray(grounds, np.int64).reshape(-1)
        reach_km = float(limit_s) * SPEED_OF_LIGHT_KM_S
        if not (self.bounded_search and np.isfinite(reach_km)):  # the whole graph, reused
            dist, pred = self.trees_from_ground(grounds, limit_s)
            return Trees(self.n_sats, grounds, np.arange(self.n_sats), dist, pred)
        near = np.zeros(self.n_sats, bool)
        for centre in self._site_km[grounds]:
            near[self._directions.near_point(centre, reach_km)] = True
        sats = np.flatnonzero(near)
        m, k = len(sats), len(grounds)
        local = np.full(self.n_sats, -1, np.int64)
        local[sats] = np.arange(m)
        a, b = local[self._isl_pairs[:, 0]], local[self._isl_pairs[:, 1]]
        inside = np.flatnonzero((a >= 0) & (b >= 0))
        a, b, isl_km = a[inside], b[inside], self._isl_km[inside]
        rows, cols, km = [a, b], [b, a], [isl_km, isl_km]
        for row, ground in enumerate(grounds):  # uplinks of the sources only
            seen, slant = self.sats_seen_by(int(ground))
            to = local[seen]
            rows.append(np.full(int((to >= 0).sum()), m + row))
            cols.append(to[to >= 0])
            km.append(slant[to >= 0])
        graph = csr_matrix((np.concatenate(km), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(m + k, m + k))
        dist, pred = dijkstra(graph, directed=True, indices=m + np.arange(k),
                              return_predecessors=True, limit=reach_km)
        return Trees(self.n_sats, grounds, sats, np.atleast_2d(dist)[:, :m] / SPEED_OF_LIGHT_KM_S,
                     np.atleast_2d(pred)[:, :m])

    def route_ground_to_sat(self, ground: int, sat: int) -> Route | None:
        dist, pred = self.trees_from_ground(np.array([ground]))
        if not np.isfinite(dist[0, sat]):
            return None
        return self.path_from_tree(pred[0], self.n_sats + ground, sat)

    def route_best_ground_to_sat(self, grounds: np.ndarray, sat: int) -> Route | None:
        """Shortest route to satellite `sat` from whichever of `grounds` is nearest (in
        light-time), or None. One search from a virtual source joined to every candidate."""
        return self.routes_best_ground_to_sats(grounds, [sat])[0]

    def routes_best_ground_to_sats(self, grounds: np.ndarray, sats) -> list[Route | None]:
        """`route_best_ground_to_sat` for each of `sats`: a tree grown from the satellite
        over the laser links (the same both ways), then the shortest of its satellites'
        ground links to one of `grounds`. (One source a search: scipy's search from many
        sources at once is several times slower on these graphs.)"""
        if self._uplink_graph is None:
            self._uplink_graph = self._uplink()
        wanted = np.zeros(self.n_ground, bool)
        wanted[np.asarray(grounds, np.int64)] = True
        linked = wanted[self._ground_point]
        point, last, down_km = (self._ground_point[linked], self._ground_sat[linked],
                                self._ground_km[linked])
        routes = []
        for sat in sats:
            if not len(point):
                routes.append(None)
                continue
            pred, best = self._nearest_ground(int(sat), last, down_km)
            if best is None:
                routes.append(None)
                continue
            nodes = [self.n_sats + int(point[best]), int(last[best])]  # ground first
            while nodes[-1] != sat:
                nodes.append(int(pred[nodes[-1]]))
            routes.append(Route(tuple(nodes), tuple(self.edge_km(a, b)
                                                    for a, b in zip(nodes, nodes[1:]))))
        return routes

    def _nearest_ground(self, sat: int, last: np.ndarray, down_km: np.ndarray):
        """(predecessors, index into `last`) of the shortest way from `sat` over the lasers to
        satellite last[i] and down its ground link of down_km[i] km; (None, None) if none.
        Searches within growing path lengths first (NEAREST_GROUND_KM, then the whole graph):
        a route of at most L km only crosses satellites within L km of `sat`, so a search
        limited to L finds it and every shorter one, and gives the same answer."""
        for limit_km in (*NEAREST_GROUND_KM, np.inf):
            # from a satellite the ground-to-satellite graph has only the laser links
            dist, pred = dijkstra(self._uplink_graph, directed=True, indices=sat,
                                  return_predecessors=True, limit=limit_km)
            total = dist[last] + down_km
            best = int(np.argmin(total))
            if np.isfinite(total[best]) and total[best] <= limit_km:
                return pred, best
        return None, None

    def route_ground_to_ground(self, source: int, target: int) -> Route | None:
        if source == target:
            raise ValueError("source and target are the same ground point")
        sats, slant = self.sats_seen_by(target)
        graph = self._graph([sats], [np.full(len(sats), self.n_sats + target)], [slant])
        dist, pred = dijkstra(graph, directed=True, indices=self.n_sats + source,
                              return_predecessors=True)
        end = self.n_sats + target
        if not np.isfinite(dist[end]):
            return None
        return self.path_from_tree(pred, self.n_sats + source, end)

    def path_from_tree(self, pred: np.ndarray, source: int, target: int) -> Route:
        """Walk a predecessor array (route-node numbering) back from `target` to `source`."""
        nodes = self.nodes_from_tree(pred, source, target)
        return Route(tuple(nodes), tuple(self.edge_km(a, b) for a, b in zip(nodes, nodes[1:])))

    @staticmethod
    def nodes_from_tree(pred: np.ndarray, source: int, target: int) -> list[int]:
        """The route nodes from `source` to `target` in a predecessor array (no hop lengths:
        the tree's distance to `target` is already their sum, added up in the same order)."""
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return nodes

    def edge_km(self, a: int, b: int) -> float:
        """Length of the link between route nodes a and b (km); KeyError when there is none."""
        if a >= self.n_sats or b >= self.n_sats:
            ground, sat = (a, b) if a >= self.n_sats else (b, a)
            sats, slant = self.sats_seen_by(ground - self.n_sats)
            hit = np.flatnonzero(sats == sat)
            if len(hit):
                return float(slant[hit[0]])
        else:
            key = min(a, b) * self.n_sats + max(a, b)
            at = np.searchsorted(self._isl_keys, key)
            if at < len(self._isl_keys) and self._isl_keys[at] == key:
                return float(self._isl_km[at])
        raise KeyError(f"no link between route nodes {a} and {b}")


@dataclasses.dataclass(frozen=True)
class Trees:
    """Shortest-path trees from K ground points over the M satellites a bounded search
    covered (`Network.bounded_trees`)."""

    n_sats: int
    grounds: np.ndarray  #: (K,) the source ground points
    sats: np.ndarray  #: (M,) satellite indices covered, ascending
    dist_s: np.ndarray  #: (K,M) one-way light-time to sats[j], s; inf beyond the limit
    #: (K,M) predecessor of sats[j]: j' < M for sats[j']; M or more for row k's source
    pred: np.ndarray

    def reached(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Satellites source `row` reaches within the limit (indices into N) and their
        light-times (s)."""
        hit = np.flatnonzero(np.isfinite(self.dist_s[row]))
        return self.sats[hit], self.dist_s[row, hit]

    def nodes(self, row: int, sat: int) -> list[int]:
        """Route nodes from source `row`'s ground point to satellite `sat` (one it reached),
        in the Network's numbering (ground g = N + g)."""
        m = len(self.sats)
        at = int(np.searchsorted(self.sats, sat))
        if at >= m or self.sats[at] != sat or not np.isfinite(self.dist_s[row, at]):
            raise KeyError(f"satellite {sat} is not reached from source {row}")
        nodes = [sat]
        while at < m:
            at = int(self.pred[row, at])
            nodes.append(int(self.sats[at]) if at < m else self.n_sats + int(self.grounds[row]))
        nodes.reverse()
        return nodes


class LaserLayouts:
    """The CSR layouts of the last few laser graphs: most steps have the same links as the
    step before, so the sorting is done once per topology. Belongs to one owner (a World's
    GeometryModel): Worlds built or stepped on different threads never share one."""

    KEEP = 4  #: layouts remembered (a few: route searches revisit nearby instants)

    def __init__(self):
        self._recent: list[tuple[np.ndarray, int, tuple]] = []  # most recent first

    def get(self, pairs: np.ndarray, n_sats: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR layout of the satellite rows of the laser graph (each link (a, b) both ways):
        indptr (N+1,), column indices, and the order that takes [lengths, lengths] into place."""
        for known, n, layout in self._recent:
            if n == n_sats and np.array_equal(known, pairs):
                return layout
        layout = _laser_layout(pairs, n_sats)
        self._recent.insert(0, (pairs.copy(), n_sats, layout))
        del self._recent[self.KEEP:]
        return layout

    def __len__(self) -> int:
        return len(self._recent)


def _laser_layout(pairs: np.ndarray, n_sats: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """See `LaserLayouts.get` (computed, not cached)."""
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n_sats + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n_sats), out=indptr[1:])
    return indptr, cols.take(order).astype(np.int32), order
