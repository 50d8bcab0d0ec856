"""The onboard inference worker: generation runs on its own thread, never on the frame.

Requests queue per satellite (FIFO); a satellite serves one request at a time, so load shows as
queueing. One compute thread serves all satellites, taking them round-robin: this machine has
2 cores, and torch releases the GIL while it computes, so the sim and the window keep running.

Each request streams events into a ``queue.Queue`` (its own, or a shared ``sink``):
``TokenEvent`` for each new piece of text, then exactly one ``DoneEvent`` (reply + figures) or
``ErrorEvent``. Every event carries the request and satellite ids.

Other on-board work (the vision model classifying a captured scene, sim/onboard/vision.py) goes
through the same queues as a ``TaskRequest``: a function run on the worker thread in the
satellite's turn, answered by one ``TaskDoneEvent`` (its result and wall seconds) or
``ErrorEvent``.
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable

from sim.errors import UserError
from sim.onboard.engine import OnboardModel, Reply
from sim.onboard.loading import DEFAULT_MODEL_DIR
from sim.onboard.roofline import ModelShape, OnboardEstimate, estimate
from sim.onboard.sampling import SamplingParams
from sim.priority import lower_thread_priority


#: Models built from deployed checkpoints the worker keeps (each a few MB for the shipped size).
KEEP_DEPLOYED_MODELS = 4


@dataclass(frozen=True)
class InferenceRequest:
    """A prompt for one satellite. ``hardware_tops``: the satellite's stated capacity (from the
    scenario), used to report what that hardware would need for the same FLOPs.
    ``hardware``: the satellite's HardwareProfile (sim.scenario), for the roofline estimate of
    the time on board; None: no estimate.
    ``request_id``: 0 lets the worker number it (1, 2, ... per worker) when it is submitted.
    ``checkpoint``: the weights the satellite holds, when a trained checkpoint reached it."""

    satellite_id: int | str
    prompt: str
    station_name: str = ""
    satellite_name: str = ""
    params: SamplingParams = SamplingParams()
    hardware_tops: float | None = None
    request_id: int = 0
    hardware: object = None
    #: a deployed checkpoint (sim/onboard/trained.py) to answer with instead of the
    #: worker's own model; None: the worker's model
    checkpoint: object = None


@dataclass(frozen=True)
class TaskRequest:
    """Other work for one satellite's turn on the worker: ``run()`` is called on the worker
    thread and its result comes back in a ``TaskDoneEvent``. ``request_id``: as for
    InferenceRequest."""

    satellite_id: int | str
    run: Callable[[], Any]
    request_id: int = 0


@dataclass(frozen=True)
class TaskDoneEvent:
    request_id: int
    satellite_id: int | str
    result: Any
    measured_s: float  #: wall seconds ``run()`` took here


@dataclass(frozen=True)
class InferenceFigures:
    """What one request cost. Wall-clock seconds on this machine; ``measured_s`` is what the
    "measured" timing uses for the inference phase, ``onboard`` (the roofline estimate on the
    satellite's hardware profile, None without one) what the "onboard" timing uses;
    ``hardware_s`` (FLOPs at the stated peak only) is shown when there is no profile."""

    prompt_tokens: int
    generated_tokens: int
    queued_s: float  # submitted -> generation started (waiting behind this satellite's queue)
    time_to_first_token_s: float
    measured_s: float  # inference time measured here (prefill + all tokens)
    tokens_per_s: float
    flops: float  # ~2 x parameters per token, prompt and generated tokens
    hardware_tops: float | None
    hardware_s: float | None  # flops / (TOPS x 1e12): ideal time at the stated rate, 1 op = 1 FLOP
    stop_reason: str
    truncated_tokens: int
    notice: str
    onboard: OnboardEstimate | None = None  # the roofline time on the satellite's hardware

    @property
    def onboard_s(self) -> float | None:
        """Estimated seconds on board (prefill + decode), None without a hardware profile."""
        return self.onboard.total_s if self.onboard is not None else None

    @staticmethod
    def from_reply(reply: Reply, queued_s: float, tops: float | None,
                   shape: ModelShape | None = None, hardware=None) -> "InferenceFigures":
        hw = reply.flops / (tops * 1e12) if tops else None
        onboard = (estimate(shape, hardware, reply.prompt_tokens, reply.generated_tokens)
                   if shape is not None and hardware is not None else None)
        return InferenceFigures(reply.prompt_tokens, reply.generated_tokens, queued_s,
                                reply.time_to_first_token_s, reply.inference_s,
                                reply.tokens_per_s, reply.flops, tops, hw, reply.stop_reason,
                                reply.truncated_tokens, reply.notice, onboard)


def model_shape(model: OnboardModel) -> ModelShape:
    """The roofline's view of a loaded model: parameter counts and KV-cache layout."""
    config = model.config
    name = "the shipped model" if model.path == DEFAULT_MODEL_DIR else \
        (model.path.name if model.path is not None else "the onboard model")
    return ModelShape(name, params=model.num_parameters,
                      matmul_params=round(model.flops_per_token / 2),
                      n_layers=config.num_hidden_layers, n_kv_heads=config.num_key_value_heads,
                      head_dim=config.head_dim)


@dataclass(frozen=True)
class TokenEvent:
    request_id: int
    satellite_id: int | str
    text: str  # the new piece of the reply
    time_s: float  # seconds since the request started generating


@dataclass(frozen=True)
class DoneEvent:
    request_id: int
    satellite_id: int | str
    reply: str
    figures: InferenceFigures


@dataclass(frozen=True)
class ErrorEvent:
    request_id: int
    satellite_id: int | str
    message: str  # a UserError's message (bad prompt), or what went wrong


class RequestHandle:
    """What ``submit`` returns: the request's event queue, cancellation and a blocking wait."""

    def __init__(self, request: InferenceRequest, events: queue.Queue):
        self.request = request
        self.events = events
        self.submitted = time.perf_counter()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop generating after the current token (or skip the request if still queued)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> DoneEvent | ErrorEvent:
        """Block until the request finishes (drains its TokenEvents); only for a handle with
        its own queue, and for scripts and tests: the frame loop polls ``events`` instead."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            event = self.events.get(timeout=left)
            if isinstance(event, (DoneEvent, TaskDoneEvent, ErrorEvent)):
                return event


class OnboardWorker:
    """One background thread serving per-satellite request queues with one ``OnboardModel``."""

    def __init__(self, model: OnboardModel, use_cache: bool = True):
        self.model = model
        self.shape = model_shape(model)  # for the roofline estimate of each request
        self.use_cache = use_cache
        self._queues: OrderedDict[int | str, deque[RequestHandle]] = OrderedDict()
        self._busy: int | str | None = None
        self._cv = threading.Condition()
        self._stopping = False
        self._ids = itertools.count(1)  # this worker's request numbers (under _cv)
        #: checkpoint -> (OnboardModel, ModelShape) built from it, the newest few (on the
        #: worker's thread only)
        self._deployed: OrderedDict = OrderedDict()
        self._thread = threading.Thread(target=self._run, name="onboard-model", daemon=True)
        self._thread.start()

    def _model_for(self, checkpoint) -> tuple[OnboardModel, ModelShape]:
        """The model that answers a request: the worker's own, or one built from the
        deployed checkpoint the satellite holds (built once, the newest few kept)."""
        if checkpoint is None:
            return self.model, self.shape
        if checkpoint not in self._deployed:
            from sim.onboard.trained import onboard_model

            model = onboard_model(checkpoint)
            self._deployed[checkpoint] = (model, model_shape(model))
            while len(self._deployed) > KEEP_DEPLOYED_MODELS:
                self._deployed.popitem(last=False)
        return self._deployed[checkpoint]

    def submit(self, request: InferenceRequest | TaskRequest,
               sink: queue.Queue | None = None) -> RequestHandle:
        """Queue a request behind that satellite's earlier ones; returns at once. A request
        without an id gets this worker's next one (see ``handle.request.request_id``)."""
        with self._cv:
            if self._stopping:
                raise RuntimeError("the onboard worker is stopped")
            if not request.request_id:
                request = dataclasses.replace(request, request_id=next(self._ids))
            handle = RequestHandle(request, sink if sink is not None else queue.Queue())
            self._queues.setdefault(request.satellite_id, deque()).append(handle)
            self._cv.notify()
        return handle

    def queue_length(self, satellite_id: int | str) -> int:
        """Requests waiting for this satellite, plus one if it is generating now."""
        with self._cv:
            waiting = len(self._queues.get(satellite_id, ()))
            return waiting + (1 if self._busy == satellite_id else 0)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything and stop the thread."""
        with self._cv:
            self._stopping = True
            for q in self._queues.values():
                for h in q:
                    h.cancel()
            self._cv.notify()
        self._thread.join(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _next(self) -> RequestHandle | None:
        """Round-robin: the head request of the satellite that has waited longest for a turn."""
        with self._cv:
            while not self._stopping and not self._queues:
                self._cv.wait()
            if self._stopping:
                return None
            sat, q = next(iter(self._queues.items()))
            handle = q.popleft()
            del self._queues[sat]
            if q:  # its remaining requests go to the back of the line
                self._queues[sat] = q
            self._busy = sat
            return handle

    def _run(self) -> None:
        # Below the window's frame: on a machine without a GPU the scene is rasterised on the
        # same cores (at equal priority a generating model stretched frames 3-4x).
        lower_thread_priority()
        while (handle := self._next()) is not None:
            try:
                self._serve(handle)
            finally:
                with self._cv:
                    self._busy = None

    def _serve(self, handle: RequestHandle) -> None:
        req = handle.request
        put = handle.events.put
        if handle.cancelled:
            put(ErrorEvent(req.request_id, req.satellite_id, "cancelled before it started"))
            return
        if isinstance(req, TaskRequest):
            self._serve_task(req, put)
            return
        start = time.perf_counter()
        queued = start - handle.submitted
        try:
            model, shape = self._model_for(req.checkpoint)
            reply = model.generate(
                req.prompt, req.station_name, req.satellite_name, req.params,
                use_cache=self.use_cache, cancelled=lambda: handle.cancelled or self._stopping,
                on_text=lambda piece: put(TokenEvent(req.request_id, req.satellite_id, piece,
                                                     time.perf_counter() - start)))
        except UserError as exc:
            put(ErrorEvent(req.request_id, req.satellite_id, str(exc)))
            return
        except Exception as exc:  # keep the app up: report it on the request, not as a crash
            put(ErrorEvent(req.request_id, req.satellite_id, f"inference failed: {exc!r}"))
            return
        figures = InferenceFigures.from_reply(reply, queued, req.hardware_tops, shape,
                                              req.hardware)
        put(DoneEvent(req.request_id, req.satellite_id, reply.text, figures))

    @staticmethod
    def _serve_task(req: TaskRequest, put) -> None:
        start = time.perf_counter()
        try:
            result = req.run()
        except Exception as exc:  # reported on the request, as for a failed generation
            put(ErrorEvent(req.request_id, req.satellite_id, f"task failed: {exc!r}"))
            return
        put(TaskDoneEvent(req.request_id, req.satellite_id, result, time.perf_counter() - start))
