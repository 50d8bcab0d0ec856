"""The model picker's list is scanned on a worker thread, never on the frame: the frame reads
the last list at once, a scan runs at start, when the picker opens and every few seconds while
it is open, one at a time."""
import threading
import time

from viz.ui.model_list import SHIPPED_ONLY, ModelList

TINY = [("shipped", ""), ("tiny (1.8M parameters, BF16)", "/models/tiny")]


class SlowCatalog:
    """A scan that blocks until released, and counts the threads it ran on."""

    def __init__(self, rows=TINY):
        self.rows = rows
        self.release = threading.Event()
        self.calls = []

    def __call__(self):
        self.calls.append(threading.current_thread().name)
        assert self.release.wait(10)
        return self.rows


def test_the_frame_reads_the_list_at_once_while_the_scan_runs_on_a_thread():
    scan = SlowCatalog()
    models = ModelList(scan)
    assert models.refresh()
    started = time.perf_counter()
    assert models.choices() == list(SHIPPED_ONLY)  # not waiting for the blocked scan
    assert time.perf_counter() - started < 0.05
    assert models.scanning and not models.refresh()  # one scan at a time
    scan.release.set()
    models.join(10)
    assert models.choices() == TINY and models.scans == 1
    assert scan.calls == ["model-list"]  # the scan never ran on the caller's thread


def test_while_open_it_rescans_every_few_seconds_and_not_when_closed():
    now = [100.0]
    scan = SlowCatalog()
    scan.release.set()
    models = ModelList(scan, refresh_s=5.0, clock=lambda: now[0])
    models.refresh()
    models.join(10)
    expected_calls = []
    for at, picker_open in ((101.0, True), (104.0, True), (105.5, True), (109.0, True),
                            (130.0, False), (131.0, True)):
        now[0] = at
        models.tick(picker_open)
        models.join(10)
        expected_calls.append(len(scan.calls))
    # open: a scan each 5 s (at 105.5, then 131 as 109 was too soon); closed: none
    assert expected_calls == [1, 1, 2, 2, 2, 3]


def test_a_failed_scan_keeps_the_last_list():
    rows = iter([TINY, RuntimeError("cache vanished")])

    def scan():
        row = next(rows)
        if isinstance(row, Exception):
            raise row
        return row

    models = ModelList(scan)
    for _ in range(2):
        models.refresh()
        models.join(10)
    assert models.choices() == TINY and models.scans == 2


def test_the_ask_panel_starts_the_scan_and_does_not_wait_for_it():
    from viz.ui.ask import AskPanel

    scan = SlowCatalog()

    class Session:
        model_choices = scan

    started = time.perf_counter()
    panel = AskPanel(Session(), remember_rect=lambda name: None)
    assert time.perf_counter() - started < 0.5 and panel.models.scanning
    assert panel.models.choices() == list(SHIPPED_ONLY)
    scan.release.set()
    panel.models.join(10)
    assert panel.models.choices() == TINY
