"""The laser graph of one instant, for routing a job's ring edges (and a checkpoint's
broadcast tree, sim/deploy.py): shortest light-time routes and the rate a link has left."""
from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: Share of a link's capacity a ring edge still gets when inference traffic fills the link:
#: an assumption (training packets queue behind inference but are not starved), so that a
#: full link slows the collective instead of stopping it.
MIN_SHARE = 0.01


def residual_gbps(capacity_gbps: float, load_gbps: np.ndarray) -> np.ndarray:
    """What each link has left for training or a checkpoint after the inference load on it,
    Gbps, never below MIN_SHARE of its capacity (see MIN_SHARE)."""
    return np.maximum(capacity_gbps - np.asarray(load_gbps, float), MIN_SHARE * capacity_gbps)


class NoLaserPath(Exception):
    def __init__(self, a: int, b: int):
        super().__init__(f"no laser path between satellites {a} and {b}")
        self.a, self.b = a, b


class LaserGraph:
    """Laser links of one instant, for routing ring edges (links: sorted pairs i < j)."""

    def __init__(self, pairs: np.ndarray, length_km: np.ndarray, n_sats: int):
        pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
        keys = pairs[:, 0] * n_sats + pairs[:, 1]
        order = np.argsort(keys, kind="stable")
        self.pairs, self.keys = pairs[order], keys[order]
        self.length_km = np.asarray(length_km, float)[order]
        self.order = order  #: link index here -> index in the pairs given
        self.n_sats = n_sats
        self._csr: csr_matrix | None = None

    def link_index(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Index of the link between a[i] and b[i], -1 where there is none."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        keys = np.minimum(a, b) * self.n_sats + np.maximum(a, b)
        at = np.searchsorted(self.keys, keys)
        at_c = np.minimum(at, max(len(self.keys) - 1, 0))
        found = (at < len(self.keys)) & (self.keys[at_c] == keys) if len(self.keys) else \
            np.zeros(len(keys), bool)
        return np.where(found, at_c, -1)

    def has_links(self, keys: np.ndarray) -> bool:
        """True when every link key (low * N + high) is up in this graph."""
        at = np.searchsorted(self.keys, keys)
        return bool(np.all(at < len(self.keys)) and
                    np.all(self.keys[np.minimum(at, len(self.keys) - 1)] == keys))

    def route(self, src: np.ndarray, dst: np.ndarray) -> list[np.ndarray]:
        """Link indices of the shortest light-time route of each edge src[i] -> dst[i];
        NoLaserPath when some edge has none. A direct link is always the shortest (a straight
        line), so the graph search runs only for edges between non-neighbours."""
        direct = self.link_index(src, dst)
        routes = [np.array([i]) for i in direct]
        far = np.flatnonzero(direct < 0)
        if not len(far):
            return routes
        sources = np.unique(src[far])
        _, pred = dijkstra(self._graph(), directed=False, indices=sources,
                           return_predecessors=True)
        row_of = {int(s): r for r, s in enumerate(sources)}
        for e in far:
            a, b = int(src[e]), int(dst[e])
            nodes = self._walk(pred[row_of[a]], a, b)
            if nodes is None:
                raise NoLaserPath(a, b)
            routes[e] = self.link_index(np.array(nodes[1:]), np.array(nodes[:-1]))
        return routes

    def nearest_routes(self, sources: np.ndarray, targets: np.ndarray
                       ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """The shortest light-time route to each target from whichever of `sources` is
        nearest: (node sequence source ... target per target, None where no source reaches
        it). One multi-source search, so the routes form a tree: a broadcast from the
        sources needs each link once."""
        _, pred, _ = dijkstra(self._graph(), directed=False, indices=np.asarray(sources),
                              return_predecessors=True, min_only=True)
        source_set = set(int(s) for s in sources)
        paths: list[np.ndarray | None] = []
        for b in np.asarray(targets, np.int64):
            nodes = [int(b)]
            while nodes[-1] not in source_set:
                back = int(pred[nodes[-1]])
                if back < 0:
                    break
                nodes.append(back)
            paths.append(np.array(nodes[::-1]) if nodes[-1] in source_set else None)
        return pred, paths

    @staticmethod
    def _walk(pred_row: np.ndarray, a: int, b: int) -> list[int] | None:
        """Nodes b ... a back along a predecessor row (None: b is not reached from a)."""
        nodes = [b]
        while nodes[-1] != a:
            back = int(pred_row[nodes[-1]])
            if back < 0:
                return None
            nodes.append(back)
        return nodes

    def _graph(self) -> csr_matrix:
        if self._csr is None:
            n = self.n_sats
            self._csr = csr_matrix((self.length_km, (self.pairs[:, 0], self.pairs[:, 1])),
                                   shape=(n, n))
        return self._csr

