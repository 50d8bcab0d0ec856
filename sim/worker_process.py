"""The simulation in a child process: the window's process never waits for it, nor for its GIL.

A thread (sim/runner.py) is not enough for big constellations: SGP4 over a SatrecArray, the
routing searches and large numpy copies hold the GIL for up to hundreds of milliseconds, and
the window's thread then stalls (measured at 100,000 satellites: a 5 ms timer on the main
thread saw gaps of 170 ms at the 99th percentile, 330 ms at worst, while a thread stepped).
A `SimProcess` builds the World in a child process (spawned: the parent holds GL and threads)
and runs it there with a SimRunner; each new Snapshot crosses over in shared memory:

- the child pickles the Snapshot with protocol 5, the numpy arrays out of band, and copies
  their bytes into one new shared-memory file (SHM_DIR); the pipe carries only the small rest
  and the file's name;
- the parent maps the file, removes its name and rebuilds the Snapshot on the mapping without
  copying (read-only arrays viewing it), in a receiver thread that does little else; the
  memory is freed when the last array viewing it goes.

Satellite names (a million strings) go once, not with every Snapshot.

It has the SimRunner's surface (sim.interface.SimWorld plus published, run_free,
take_errors, steps, refresh_hz, free_running), so the app's Session holds either. Wall
instants (`Published.wall_s`) are the child's time.perf_counter: CLOCK_MONOTONIC on Linux,
the same clock in both processes.
"""
from __future__ import annotations

import concurrent.futures
import io
import itertools
import mmap
import multiprocessing
import os
import pathlib
import pickle
import threading

from .errors import UserError
from .runner import Hosted, Published, describe_error

#: Where the blocks live: Linux's shared-memory file system (RAM). Each block is a file
#: written by the child, mapped and at once removed by the parent; its memory goes when the
#: last array viewing it does.
SHM_DIR = pathlib.Path("/dev/shm")
BLOCK_PREFIX = "orbitviz-"
#: Seconds between the receiver's looks for blocks that no Snapshot views any more.
RELEASE_EVERY_S = 0.25


def available() -> bool:
    """True where the sim can run in a child process (Linux's /dev/shm is there)."""
    return SHM_DIR.is_dir() and os.access(SHM_DIR, os.W_OK)


# --- the child ----------------------------------------------------------------------------------

def _child_main(conn, factory, args, options: dict, max_rate_hz: float) -> None:
    """The child process: build the World, run it on a SimRunner, answer requests and send
    each new Snapshot until told to close (or the parent goes)."""
    from .runner import SimRunner

    try:
        world = factory(args, **options)
    except Exception as error:  # noqa: BLE001 (the parent says it in one line)
        conn.send(("failed", describe_error(error)))
        return
    runner = SimRunner(world, max_rate_hz=max_rate_hz)
    conn.send(("ready", world.title))
    _Child(conn, runner).serve()


class _Child:
    """The child's main loop: requests in, Snapshots and late errors out."""

    def __init__(self, conn, runner):
        self.conn, self.runner = conn, runner
        self.sent = None  #: the last Published sent
        self.names: tuple = ()  #: the satellite names the parent has
        self.blocks = 0  #: shared-memory blocks written
        self.send_lock = threading.Lock()  #: a model load answers from its own thread

    def serve(self) -> None:
        try:
            while True:
                if self.conn.poll(0.005):
                    request = self.conn.recv()
                    if request[0] == "close":
                        break
                    if request[0] == "load_model":  # seconds of torch: not in this loop
                        threading.Thread(target=self._answer, args=request, daemon=True,
                                         name="model-load").start()
                    else:
                        self._answer(*request)
                with self.send_lock:
                    self._send_new()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            pass  # the parent went away
        finally:
            self.runner.close()

    def _answer(self, kind: str, request_id: int, *payload) -> None:
        try:
            answer = ("result", request_id, True, self._handle(kind, *payload))
        except Exception as error:  # noqa: BLE001 (handed to the parent)
            answer = ("result", request_id, False, (isinstance(error, UserError),
                                                    describe_error(error)))
        with self.send_lock:
            self._send_new()  # the Snapshot a command made goes before its answer
            self.conn.send(answer)

    def _handle(self, kind: str, *payload):
        runner = self.runner
        if kind == "apply":
            runner.apply(payload[0])
        elif kind == "advance":
            runner.advance(payload[0])
        elif kind == "run_free":
            runner.run_free()
        elif kind == "finish_round_trips":
            runner.finish_round_trips()
        elif kind == "finish_real_training":
            runner.finish_real_training()
        elif kind == "load_model":
            runner.load_model()
            return True
        elif kind == "timeline":
            return runner.timeline()
        elif kind == "find_satellite":
            return runner.find_satellite(payload[0])
        else:
            raise ValueError(f"unknown request {kind!r}")
        return None

    def _send_new(self) -> None:
        errors = self.runner.take_errors()
        if errors:
            self.conn.send(("errors", errors))
        published = self.runner.published
        if published is self.sent:
            return
        self.sent = published
        snapshot = published.snapshot
        if snapshot.sat_names is not self.names:
            self.names = snapshot.sat_names
            self.conn.send(("names", self.names))
        self.blocks += 1
        name = f"{BLOCK_PREFIX}{os.getpid()}-{self.blocks}"
        meta, spans = _to_shared(snapshot, self.names, name)  # the parent maps and removes it
        runner = self.runner
        self.conn.send(("snapshot", meta, name, spans, published.wall_s, published.rate,
                        published.step_s, runner.steps, runner.refresh_hz,
                        runner.free_running, runner.model_loaded))


class _NamesPickler(pickle.Pickler):
    """Pickles a Snapshot without its satellite names (the parent has them)."""

    def __init__(self, file, names, buffers: list):
        super().__init__(file, protocol=5, buffer_callback=buffers.append)
        self.names = names

    def persistent_id(self, obj):
        return "sat_names" if obj is self.names else None


def _to_shared(snapshot, names, block_name: str) -> tuple[bytes, list]:
    """Write the Snapshot's array bytes into a new shared-memory file `block_name` (in
    SHM_DIR); returns (the pickle without them, [(offset, length)] per array)."""
    buffers: list = []
    out = io.BytesIO()
    _NamesPickler(out, names, buffers).dump(snapshot)
    raws = [b.raw() for b in buffers]
    spans, offset = [], 0
    for raw in raws:
        spans.append((offset, raw.nbytes))
        offset += (raw.nbytes + 63) // 64 * 64  # each array on its own cache line
    # write(), not a mapping: the kernel fills the file's fresh pages without a page fault
    # per page, and lets go of Python's lock meanwhile (171 MB at a million satellites: 57
    # against 100 ms, and the sim's thread steps on).
    fd = os.open(SHM_DIR / block_name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        written = 0
        for raw, (start, length) in zip(raws, spans):
            _write_all(fd, bytes(start - written))  # up to the array's cache line
            _write_all(fd, raw.cast("B"))
            written = start + length
        if written == 0:
            _write_all(fd, b"\0")  # mmap cannot map an empty file
    finally:
        os.close(fd)
    return out.getvalue(), spans


def _write_all(fd: int, data) -> None:
    """os.write until every byte of `data` is in the file (a write may take fewer)."""
    view = memoryview(data)
    while len(view):
        view = view[os.write(fd, view):]


# --- the parent ---------------------------------------------------------------------------------

class _NamesUnpickler(pickle.Unpickler):
    def __init__(self, file, names, buffers):
        super().__init__(file, buffers=buffers)
        self.names = names

    def persistent_load(self, pid):
        if pid != "sat_names":
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self.names


def _from_shared(meta: bytes, name: str, spans: list, names):
    """(the Snapshot rebuilt on the mapped block `name`, the block): the file is removed at
    once; the mapping lives as long as the block object or an array of the Snapshot does
    (read-only arrays viewing it)."""
    path = SHM_DIR / name
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        block = mmap.mmap(fd, size, prot=mmap.PROT_READ)
    finally:
        os.close(fd)
        path.unlink()
    view = memoryview(block)
    buffers = [view[start:start + length] for start, length in spans]
    return _NamesUnpickler(io.BytesIO(meta), names, buffers).load(), block


class _Unmapper:
    """Holds the parent's blocks and unmaps each on the receiver's thread once no array
    views it any more. Unmapping a block frees its pages, 35 ms for a million satellites'
    171 MB; left to the last array's owner, that was the frame's thread, a hitch per Snapshot.
    (Python lets go of its lock meanwhile, so the frame's thread goes on.)"""

    def __init__(self):
        self.blocks: list[mmap.mmap] = []

    def hold(self, block: mmap.mmap) -> None:
        self.blocks.append(block)

    def release(self) -> None:
        """Unmap every held block that no array views any more."""
        kept = []
        for block in self.blocks:
            try:
                block.close()
            except BufferError:  # still viewed: a Snapshot holds it
                kept.append(block)
        self.blocks = kept


class SimProcess(Hosted):
    """A World built and stepped in a child process (module docstring). `factory(args,
    **options)` builds it there (it must be importable by name: run.py's world_from_args)."""

    where = "process"  #: where the World steps (as SimRunner.where)

    def __init__(self, factory, args, options: dict | None = None, max_rate_hz: float = 60.0,
                 apply_wait_s: float = 0.1, start_timeout_s: float = 600.0):
        super().__init__()
        self.apply_wait_s = apply_wait_s
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(target=_child_main, name="orbitviz-sim", daemon=True,
                                        args=(child_conn, factory, args, dict(options or {}),
                                              max_rate_hz))
        self._process.start()
        child_conn.close()
        self._send_lock = threading.Lock()
        self._ids = itertools.count()
        self._futures: dict[int, concurrent.futures.Future] = {}
        self._names: tuple = ()
        self._published: Published | None = None
        self._unmapper = _Unmapper()
        self._first = threading.Event()
        self._timeline = None
        self.steps = 0
        self.refresh_hz = 0.0
        self.free_running = False
        self.model_loaded = False
        self.title = self._wait_ready(start_timeout_s)
        self._receiver = threading.Thread(target=self._receive, name="sim-receiver",
                                          daemon=True)
        self._receiver.start()
        if not self._first.wait(start_timeout_s):
            raise UserError("the simulation process sent no state")

    def _wait_ready(self, timeout_s: float) -> str:
        if not self._conn.poll(timeout_s):
            self._process.kill()
            raise UserError(f"the simulation process did not start in {timeout_s:.0f} s")
        try:
            kind, text = self._conn.recv()
        except EOFError:
            raise UserError(f"the simulation process exited ({self._process.exitcode}) while "
                            f"building the scenario") from None
        if kind == "failed":
            self._process.join(timeout=10)
            raise UserError(text)
        return text

    # --- receiving ----------------------------------------------------------------------------------
    def _receive(self) -> None:
        try:
            while True:
                if self._conn.poll(RELEASE_EVERY_S):
                    message = self._conn.recv()
                    getattr(self, f"_on_{message[0]}")(*message[1:])
                self._unmapper.release()
        except (EOFError, OSError):
            self.post_error("the simulation process stopped")
            for future in list(self._futures.values()):
                if not future.done():
                    future.set_exception(UserError("the simulation process stopped"))

    def _on_names(self, names: tuple) -> None:
        self._names = names

    def _on_errors(self, errors: list) -> None:
        for error in errors:
            self.post_error(error)

    def _on_result(self, request_id: int, ok: bool, value) -> None:
        future = self._futures.pop(request_id, None)
        if future is None:
            return
        if ok:
            future.set_result(value)
        else:
            user, text = value
            future.set_exception(UserError(text) if user else RuntimeError(text))

    def _on_snapshot(self, meta, name, spans, wall_s, rate, step_s, steps, refresh_hz,
                     free_running, model_loaded) -> None:
        snapshot, block = _from_shared(meta, name, spans, self._names)
        self._unmapper.hold(block)
        self._published = Published(snapshot, wall_s, rate, step_s)  # one store
        self.steps, self.refresh_hz = steps, refresh_hz
        self.free_running, self.model_loaded = free_running, model_loaded
        self._first.set()

    # --- the runner's surface -------------------------------------------------------------------
    def _request(self, kind: str, *payload) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        request_id = next(self._ids)
        self._futures[request_id] = future
        with self._send_lock:
            self._conn.send((kind, request_id, *payload))
        return future

    def _call(self, kind: str, *payload, timeout: float | None = None):
        return self._request(kind, *payload).result(timeout=timeout)

    def apply(self, command):
        future = self._request("apply", command)
        try:
            future.result(timeout=self.apply_wait_s)
        except concurrent.futures.TimeoutError:
            future.add_done_callback(self._report_late)
        return self.snapshot()

    def advance(self, dt_wall_s: float):
        self._call("advance", float(dt_wall_s))
        return self.snapshot()

    def run_free(self) -> None:
        if not self.free_running:
            self._call("run_free")

    def finish_round_trips(self):
        self._call("finish_round_trips")
        return self.snapshot()

    def finish_real_training(self):
        self._call("finish_real_training")
        return self.snapshot()

    def load_model(self) -> None:
        self.model_loaded = self._call("load_model")

    def timeline(self):
        """The scenario's [[timeline]]: asked once (the scenario never changes), since the
        panel asks every frame and the child may be in the middle of a long step."""
        if self._timeline is None:
            self._timeline = self._call("timeline")
        return self._timeline

    def find_satellite(self, query: str) -> int:
        return self._call("find_satellite", query)

    def close(self) -> None:
        try:
            with self._send_lock:
                self._conn.send(("close",))
        except (OSError, BrokenPipeError):
            pass
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        self._receiver.join(timeout=5)
        # blocks written but never mapped (the child stopped mid-way): remove their files
        for leftover in SHM_DIR.glob(f"{BLOCK_PREFIX}{self._process.pid}-*"):
            leftover.unlink(missing_ok=True)

