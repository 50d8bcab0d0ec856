"""Real data-parallel training of the onboard model: K replicas, one per satellite of a job.

Beside sim/training/'s *model* of a training job, this really trains: K copies of one
Qwen3ForCausalLM (the same initial weights), each on its own shard of a byte corpus. One step:

1. every replica computes the loss and gradients of a batch drawn from its shard;
2. the replicas' flattened gradients (``parameters_to_vector`` over ``.grad``) are all-reduced
   by a real ring: split into K chunks, K-1 reduce-scatter rounds (replica r sends chunk
   (r - round) mod K to replica r+1, which adds it to its own), then K-1 all-gather rounds
   (the reduced chunks travel once more round the ring), then divided by K;
3. every replica clips the averaged gradient and applies the same AdamW step (as train.py
   does), so the replicas stay bit-identical (``check_identical``).

The replicas run one after another in this process: the compute time of a step is the sum of
the replicas' (what K satellites would do side by side), and the all-reduce time is the time to
run the ring's additions and copies here, not light-time over a laser link (that is the job
model's business). ``RealTrainingRun`` runs N steps, optionally on a low-priority daemon thread,
and exposes its loss curve thread-safely.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils import parameters_to_vector

from sim.commands import MAX_REPLICAS, MIN_REPLICAS  # declared once, with the command
from sim.errors import UserError
from sim.priority import lower_thread_priority
from sim.onboard.trained import Checkpoint, weights_of
from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.optim import (apply_gradient, loss_and_grad, lr_at,  # noqa: F401
                              new_optimizer, sample_batch)  # (re-exported: tests import them here)

EXCERPT_PATH = Path(__file__).resolve().parents[2] / "assets" / "training" / "shakespeare-excerpt.txt"
SHARD_MODES = ("contiguous", "interleaved")
INTERLEAVE_BLOCK = 4096  # bytes: interleaved shards deal blocks, not single bytes (keeps text)


# --- the ring all-reduce ----------------------------------------------------------------------

def ring_all_reduce(vectors: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[int]]:
    """Average K equal-length 1-D tensors the way a ring all-reduce does; returns (each
    replica's averaged vector, bytes each replica sent). The inputs are not modified.

    Chunks are ``tensor_split`` into K near-equal parts (the length need not divide by K).
    In every round all sends are snapshotted before any receive is applied, as on a real ring
    where the rounds are simultaneous. Each replica sends 2(K-1) chunks: about 2(K-1)/K x S
    bytes for a vector of S bytes."""
    k = len(vectors)
    if k < MIN_REPLICAS:
        raise UserError(f"--replicas: expected at least {MIN_REPLICAS} replicas, got {k}")
    size = vectors[0].numel()
    if any(v.dim() != 1 or v.numel() != size for v in vectors):
        raise ValueError("ring_all_reduce: the vectors must be 1-D and of equal length")
    buffers = [v.detach().clone() for v in vectors]
    chunks = [list(torch.tensor_split(b, k)) for b in buffers]  # views into each buffer
    sent = [0] * k
    for rnd in range(k - 1):  # reduce-scatter: after it, replica r owns chunk (r + 1) mod k
        _ring_round(chunks, sent, lambda r: (r - rnd) % k, add=True)
    for rnd in range(k - 1):  # all-gather: the owned (reduced) chunks go round once
        _ring_round(chunks, sent, lambda r: (r + 1 - rnd) % k, add=False)
    for b in buffers:
        b.div_(k)
    return buffers, sent


def _ring_round(chunks: list[list[torch.Tensor]], sent: list[int], which, add: bool) -> None:
    """One simultaneous round: every replica r sends its chunk ``which(r)`` to r+1, which adds
    it (reduce-scatter) or overwrites its copy with it (all-gather). ``sent`` counts bytes."""
    k = len(chunks)
    payloads = [(r, which(r), chunks[r][which(r)].clone()) for r in range(k)]
    for r, c, payload in payloads:
        dst = chunks[(r + 1) % k][c]
        if add:
            dst.add_(payload)
        else:
            dst.copy_(payload)
        sent[r] += payload.numel() * payload.element_size()


# --- data -------------------------------------------------------------------------------------

def read_corpus(path: Path = EXCERPT_PATH) -> np.ndarray:
    """The corpus as byte ids (int64), as train.py feeds the shipped model."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read the training text: {error.strerror}") from None
    return np.frombuffer(raw, dtype=np.uint8).astype(np.int64)


def make_shards(data: np.ndarray, k: int, seq_len: int, mode: str = "contiguous",
                block: int = INTERLEAVE_BLOCK) -> list[np.ndarray]:
    """Split byte ids into k shards: contiguous slices, or ``block``-byte blocks dealt round
    the replicas (interleaved). UserError if a shard cannot hold one window of seq_len+1."""
    if not MIN_REPLICAS <= k <= MAX_REPLICAS:
        raise UserError(f"--replicas: expected {MIN_REPLICAS}..{MAX_REPLICAS}, got {k}")
    if mode not in SHARD_MODES:
        raise UserError(f"shard mode: expected one of {', '.join(SHARD_MODES)}, got {mode!r}")
    if mode == "contiguous":
        shards = np.array_split(data, k)
    else:
        blocks = [data[i:i + block] for i in range(0, len(data), block)]
        shards = [np.concatenate(blocks[r::k]) if blocks[r::k] else data[:0] for r in range(k)]
    for r, shard in enumerate(shards):
        if len(shard) < seq_len + 2:
            raise UserError(f"--replicas: shard {r} of the training text has {len(shard)} bytes, "
                            f"fewer than one window of {seq_len + 1} (empty shard: use fewer "
                            "replicas or a longer text)")
    return shards


# --- the trainer ------------------------------------------------------------------------------

@dataclass
class RealStep:
    """The figures of one real data-parallel step."""

    index: int  #: 1-based
    losses: list[float]  #: each replica's batch loss, nats per byte
    mean_loss: float
    compute_s: float  #: wall time of all replicas' forward + backward, s (run one after another)
    replica_compute_s: list[float]  #: each replica's share of compute_s, s
    allreduce_s: float  #: wall time of the ring all-reduce, s
    optimizer_s: float  #: wall time of the K optimizer steps, s
    bytes_sent: list[int]  #: bytes each replica sent in the all-reduce
    gradient_bytes: int  #: the flattened gradient, bytes (float32)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class DataParallelTrainer:
    """K replicas of one model, each with its own shard, optimizer and batch generator."""

    config: Qwen3Config
    shards: list[np.ndarray]
    batch: int = 4  #: windows per replica per step
    seq_len: int = 128  #: bytes per window
    lr: float = 3e-3
    total_steps: int = 100  #: for the learning-rate schedule (warm-up, cosine decay)
    seed: int = 1337
    replicas: list[Qwen3ForCausalLM] = field(init=False)
    optimizers: list[torch.optim.AdamW] = field(init=False)
    rngs: list[np.random.Generator] = field(init=False)  #: each replica's batch sampler
    steps_done: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        k = len(self.shards)
        if not MIN_REPLICAS <= k <= MAX_REPLICAS:
            raise UserError(f"--replicas: expected {MIN_REPLICAS}..{MAX_REPLICAS}, got {k}")
        for r, shard in enumerate(self.shards):
            if len(shard) < self.seq_len + 2:
                raise UserError(f"--replicas: shard {r} has {len(shard)} bytes, fewer than one "
                                f"window of {self.seq_len + 1} (empty shard)")
        torch.manual_seed(self.seed)
        first = Qwen3ForCausalLM(self.config)
        first.init_weights(self.seed)
        # deepcopy keeps the tied head tied, and every replica starts from the same weights
        self.replicas = [first] + [copy.deepcopy(first) for _ in range(k - 1)]
        self.optimizers = [new_optimizer(m, self.lr) for m in self.replicas]
        self.rngs = [np.random.default_rng(self.seed + 1 + r) for r in range(k)]

    @property
    def k(self) -> int:
        return len(self.replicas)

    def next_batches(self) -> list[torch.Tensor]:
        """One (B, T+1) batch per replica, each from its own shard."""
        return [sample_batch(s, self.batch, self.seq_len, g) for s, g in zip(self.shards, self.rngs)]

    def step(self, batches: list[torch.Tensor] | None = None) -> RealStep:
        """One data-parallel step (batches: one per replica; default: drawn from the shards)."""
        batches = self.next_batches() if batches is None else batches
        losses, grads, times = [], [], []
        for model, chunk in zip(self.replicas, batches):
            t0 = time.perf_counter()
            loss, grad = loss_and_grad(model, chunk)
            times.append(time.perf_counter() - t0)
            losses.append(loss)
            grads.append(grad)
        t0 = time.perf_counter()
        averaged, sent = ring_all_reduce(grads)
        allreduce_s = time.perf_counter() - t0
        lr = lr_at(self.steps_done, self.total_steps, self.lr, warmup=max(1, self.total_steps // 10))
        t0 = time.perf_counter()
        for model, opt, grad in zip(self.replicas, self.optimizers, averaged):
            apply_gradient(model, opt, grad, lr)
        optimizer_s = time.perf_counter() - t0
        self.steps_done += 1
        return RealStep(self.steps_done, losses, sum(losses) / len(losses), sum(times), times,
                        allreduce_s, optimizer_s, sent, grads[0].numel() * grads[0].element_size())

    def check_identical(self) -> bool:
        """True when every replica's weights equal replica 0's bit for bit (O(K x parameters))."""
        first = parameters_to_vector(self.replicas[0].parameters())
        return all(torch.equal(first, parameters_to_vector(m.parameters()))
                   for m in self.replicas[1:])


# --- a run of N steps, in the foreground or on a background thread ---------------------------

class RealTrainingRun:
    """N real data-parallel steps; the loss curve and step figures readable from any thread.

    ``start()`` runs on a daemon thread at lower CPU priority (the window keeps its frame
    rate); ``run()`` runs in the calling thread. ``stop()`` asks a background run to end after
    its current step."""

    def __init__(self, trainer: DataParallelTrainer, steps: int, check: bool = False,
                 on_step=None):
        if steps < 1:
            raise UserError(f"--real-steps: expected at least 1, got {steps}")
        self.trainer = trainer
        self.steps = steps
        self.check = check  # assert the replicas identical after every step (debug, tests)
        self.on_step = on_step  # called with each RealStep, in the training thread
        self._lock = threading.Lock()
        self._records: list[RealStep] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        #: (step, weights) after the newest finished step: a private copy, so that a deploy
        #: reads whole weights while the next step updates the replicas
        self._latest: tuple[int, dict] | None = None

    def run(self) -> list[RealStep]:
        """Run the steps here; returns their figures."""
        for _ in range(self.steps):
            if self._stop.is_set():
                break
            record = self.trainer.step()
            if self.check and not self.trainer.check_identical():
                raise AssertionError(f"replicas differ after step {record.index}")
            weights = weights_of(self.trainer.replicas[0],
                                 self.trainer.config.tie_word_embeddings)
            with self._lock:
                self._records.append(record)
                self._latest = (record.index, weights)
            if self.on_step is not None:
                self.on_step(record)
        return self.records()

    def start(self) -> None:
        """Run on a daemon thread at a lower CPU priority."""
        def work():
            lower_thread_priority()
            try:
                self.run()
            except BaseException as error:  # noqa: BLE001 (kept for the caller to report)
                self.error = error

        self._thread = threading.Thread(target=work, name="real-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def steps_done(self) -> int:
        with self._lock:
            return len(self._records)

    def loss_curve(self) -> list[float]:
        """Mean loss (nats per byte) of every finished step so far: a copy."""
        with self._lock:
            return [r.mean_loss for r in self._records]

    def checkpoint(self, version: int) -> Checkpoint | None:
        """The weights after the newest finished step as checkpoint `version` (None before
        the first step has finished)."""
        with self._lock:
            latest = self._latest
        if latest is None:
            return None
        return Checkpoint(version, latest[0], self.trainer.config, latest[1])

    def records(self) -> list[RealStep]:
        with self._lock:
            return list(self._records)


def fresh_run(steps: int, replicas: int, batch: int = 4, seq_len: int = 256,
              on_step=None) -> RealTrainingRun:
    """`steps` real steps of a fresh model of the shipped architecture (assets/model's
    config) as `replicas` replicas, each on its own contiguous shard of the training excerpt,
    `batch` windows of `seq_len` bytes per replica per step; not started."""
    from sim.onboard.loading import DEFAULT_MODEL_DIR, load_config

    config = load_config(DEFAULT_MODEL_DIR)
    shards = make_shards(read_corpus(), replicas, seq_len)
    trainer = DataParallelTrainer(config, shards, batch=batch, seq_len=seq_len,
                                  total_steps=steps)
    return RealTrainingRun(trainer, steps, on_step=on_step)
