"""Per-group change counters for Snapshots (see snapshot.VERSION_GROUPS)."""
from __future__ import annotations

import numpy as np

from .snapshot import VERSION_GROUPS


class VersionTracker:
    """Bumps a group's counter when a fingerprint of its content changes.

    Fingerprints are cheap: the caller passes what identifies the content (an array it just
    computed, or a tuple), compared by value with the previous one.
    """

    def __init__(self):
        self.counters = {group: 0 for group in VERSION_GROUPS}
        self._last: dict[str, object] = {}

    def touch(self, group: str, fingerprint: object = None) -> None:
        """Record the group's current content; bump its counter if it differs (None: always)."""
        previous = self._last.get(group, _UNSET)
        if fingerprint is None or previous is _UNSET or not _same(previous, fingerprint):
            self.counters[group] += 1
        self._last[group] = fingerprint

    def snapshot(self) -> dict[str, int]:
        return dict(self.counters)


_UNSET = object()


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b
