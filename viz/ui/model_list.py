"""The model picker's list, kept off the frame.

Listing the models scans the Hugging Face cache and reads every checkpoint's safetensors
headers (run.py's model_catalog): tens of milliseconds to seconds on a large cache, far too
long for a frame. `ModelList` keeps the last list for the frame to read at once and scans on a
low-priority worker thread: at start, when the picker opens, and every REFRESH_S while it
stays open (so that a model pulled meanwhile in a terminal appears).
"""
from __future__ import annotations

import math
import threading
import time

from sim.priority import lower_thread_priority

#: The list before the first scan has finished: the shipped model, always there.
SHIPPED_ONLY = (("shipped byte-level model", ""),)
#: Seconds between scans while the picker is open.
REFRESH_S = 5.0


class ModelList:
    """(label, checkpoint folder) rows for the picker. `scan()` runs only on the worker thread
    ("model-list"), one at a time; it reports its own failures (Session.model_choices posts a
    message and returns the shipped model). `choices()` never waits for it."""

    def __init__(self, scan, refresh_s: float = REFRESH_S, clock=time.monotonic):
        self._scan = scan
        self.refresh_s = refresh_s
        self._clock = clock
        self._choices: tuple[tuple[str, str], ...] = SHIPPED_ONLY
        self._thread: threading.Thread | None = None
        self._started_at = -math.inf  #: clock() when the last scan started
        self.scans = 0  #: finished scans (tests, and `choices` callers that want to know)

    def choices(self) -> list[tuple[str, str]]:
        """The latest list (the shipped model alone until the first scan ends): at once."""
        return list(self._choices)

    @property
    def scanning(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def refresh(self) -> bool:
        """Start a scan on the worker thread; False (nothing started) while one runs."""
        if self.scanning:
            return False
        self._started_at = self._clock()
        self._thread = threading.Thread(target=self._run, name="model-list", daemon=True)
        self._thread.start()
        return True

    def tick(self, picker_open: bool) -> None:
        """Called each frame: rescan every `refresh_s` while the picker is open."""
        if picker_open and self._clock() - self._started_at >= self.refresh_s:
            self.refresh()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a running scan (tests; never on the frame)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        lower_thread_priority()  # the frame on the main thread goes first
        try:
            rows = tuple((str(label), str(path)) for label, path in self._scan())
        except Exception:  # noqa: BLE001 (the scan reports its own errors; keep the old list)
            rows = None
        if rows:
            self._choices = rows  # one reference swap: the frame reads the old or the new list
        self.scans += 1
