"""The worker thread: streaming, figures, per-satellite queues, a responsive caller."""

import queue
import time

import pytest

from sim.onboard.loading import load_model
from sim.onboard.sampling import SamplingParams
from sim.onboard.worker import (DoneEvent, ErrorEvent, InferenceRequest, OnboardWorker,
                                TokenEvent)


@pytest.fixture
def worker(make_model_dir):
    # chat-style tokenizer: text streams token by token (the play-style byte model streams
    # whole words, and a random model writes few spaces)
    w = OnboardWorker(load_model(make_model_dir("w", chat=True, max_position_embeddings=512)))
    yield w
    w.close()


def drain(q, timeout=30.0):
    """All events of one request, in order, up to its Done/Error event."""
    out = []
    while True:
        ev = q.get(timeout=timeout)
        out.append((time.perf_counter(), ev))
        if isinstance(ev, (DoneEvent, ErrorEvent)):
            return out


def test_streams_tokens_and_records_figures(worker):
    req = InferenceRequest(7, "What news?", "Kashi", "Xingshi-07",
                           SamplingParams(48, temperature=1.0, seed=3), hardware_tops=744.0)
    t_submit = time.perf_counter()
    handle = worker.submit(req)
    assert time.perf_counter() - t_submit < 0.05  # submit never waits for the model
    assert handle.request.request_id == 1  # numbered by this worker, from 1
    events = drain(handle.events)
    done = events[-1][1]
    assert isinstance(done, DoneEvent), done
    tokens = [ev for _, ev in events if isinstance(ev, TokenEvent)]
    assert tokens, "no streamed text"
    assert "".join(t.text for t in tokens) == done.reply
    assert all(ev.request_id == 1 and ev.satellite_id == 7 for _, ev in events)
    f = done.figures
    assert f.prompt_tokens > 0 and 1 <= f.generated_tokens <= 48
    assert 0 < f.time_to_first_token_s <= f.measured_s
    assert f.tokens_per_s > 0 and f.queued_s >= 0
    assert f.flops == pytest.approx(worker.model.flops_per_token
                                    * (f.prompt_tokens + f.generated_tokens))
    assert f.hardware_tops == 744.0 and f.hardware_s == pytest.approx(f.flops / 744e12)


def test_first_token_arrives_before_generation_ends(worker):
    """The caller (the frame loop) gets text while the worker is still generating."""
    worker.use_cache = False  # slower, so the gap is wide
    req = InferenceRequest("s", "Speak", params=SamplingParams(90, temperature=1.0, seed=5))
    handle = worker.submit(req)
    events = drain(handle.events)
    first = next(t for t, ev in events if isinstance(ev, TokenEvent))
    done_at, done = events[-1]
    assert isinstance(done, DoneEvent) and done.figures.generated_tokens > 10
    assert first < done_at
    first_ev = next(ev for _, ev in events if isinstance(ev, TokenEvent))
    assert first_ev.time_s < done.figures.measured_s


def test_per_satellite_queues_round_robin(worker):
    sink = queue.Queue()
    p = SamplingParams(12, temperature=1.0, seed=1)
    a1 = worker.submit(InferenceRequest("A", "one", params=p), sink)
    a2 = worker.submit(InferenceRequest("A", "two", params=p), sink)
    b1 = worker.submit(InferenceRequest("B", "three", params=p), sink)
    done = []
    while len(done) < 3:
        ev = sink.get(timeout=30)
        if isinstance(ev, (DoneEvent, ErrorEvent)):
            done.append(ev.request_id)
    # A's first request may already have started; B does not wait behind A's second one
    assert done == [a1.request.request_id, b1.request.request_id, a2.request.request_id]
    assert worker.queue_length("A") == 0


def test_bad_prompt_is_an_error_event_and_worker_survives(worker):
    bad = worker.submit(InferenceRequest(1, "   "))
    ev = bad.wait(timeout=30)
    assert isinstance(ev, ErrorEvent) and "empty prompt" in ev.message
    ok = worker.submit(InferenceRequest(1, "Hello", params=SamplingParams(5, seed=0)))
    assert isinstance(ok.wait(timeout=30), DoneEvent)


#: Sampling that runs to the context's end: with seed 2 the tiny chat model of `worker` writes
#: no end token for 353 tokens (asserted below), so only a cancel ends it early.
LONG = SamplingParams(400, temperature=1.0, seed=2)


def test_long_request_runs_to_its_limit(worker):
    """The premise of the cancel tests: uncancelled, LONG runs to the context's end."""
    reply = worker.model.generate("Long", params=LONG)
    assert reply.stop_reason == "max_tokens" and reply.generated_tokens == 353


def test_cancel_stops_a_running_request(worker):
    worker.use_cache = False  # ~1 s for the whole reply: the cancel lands long before its end
    handle = worker.submit(InferenceRequest(2, "Long", params=LONG))
    assert isinstance(handle.events.get(timeout=30), TokenEvent)  # generating now
    handle.cancel()
    done = handle.wait(timeout=30)
    assert isinstance(done, DoneEvent)
    assert done.figures.stop_reason == "cancelled" and done.figures.generated_tokens < 353


def test_cancel_skips_a_queued_request(worker):
    worker.use_cache = False
    running = worker.submit(InferenceRequest("A", "Long", params=LONG))
    assert isinstance(running.events.get(timeout=30), TokenEvent)  # generating now
    queued = worker.submit(InferenceRequest("A", "Next", params=LONG))  # behind `running`
    queued.cancel()
    running.cancel()
    assert running.wait(timeout=30).figures.stop_reason == "cancelled"
    event = queued.wait(timeout=30)
    assert isinstance(event, ErrorEvent) and event.message == "cancelled before it started"


def test_request_ids_are_per_worker(worker):
    """Each worker numbers the requests it is given from 1; an id set by the caller stays."""
    other = OnboardWorker(worker.model)
    try:
        short = SamplingParams(2, seed=0)
        mine = [worker.submit(InferenceRequest(1, "Hi", params=short)) for _ in range(3)]
        theirs = other.submit(InferenceRequest(1, "Hi", params=short))
        given = worker.submit(InferenceRequest(1, "Hi", params=short, request_id=77))
        assert [h.request.request_id for h in mine] == [1, 2, 3]
        assert theirs.request.request_id == 1 and given.request.request_id == 77
        assert isinstance(given.wait(timeout=30), DoneEvent)
    finally:
        other.close()
