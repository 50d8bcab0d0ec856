"""Real data-parallel training: the ring all-reduce, replicas against one process, the loss."""

from __future__ import annotations

import copy
import os
import threading

import numpy as np
import pytest
import torch

from sim.errors import UserError
from sim.onboard.dataparallel import (EXCERPT_PATH, DataParallelTrainer, RealTrainingRun,
                                      apply_gradient, loss_and_grad, make_shards, new_optimizer,
                                      read_corpus, ring_all_reduce)
from sim.priority import BACKGROUND_NICE
from sim.onboard.qwen3 import Qwen3Config
from sim.onboard.train import lr_at

from .conftest import TINY

SEQ = 32


def tiny_trainer(k: int, data: np.ndarray | None = None, **kw) -> DataParallelTrainer:
    data = read_corpus()[:40_000] if data is None else data
    kw = {"batch": 2, "seq_len": SEQ, "total_steps": 20, **kw}
    return DataParallelTrainer(Qwen3Config(**TINY), make_shards(data, k, SEQ), **kw)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("length", [1, 7, 101, 1000])
def test_ring_all_reduce_is_the_mean(k, length):
    gen = torch.Generator().manual_seed(k * 1000 + length)
    vectors = [torch.randn(length, generator=gen) for _ in range(k)]
    kept = [v.clone() for v in vectors]
    averaged, sent = ring_all_reduce(vectors)
    mean = torch.stack(vectors).mean(0)
    for v in averaged:
        torch.testing.assert_close(v, mean, rtol=1e-6, atol=1e-6)
        assert torch.equal(v, averaged[0])  # the all-gather hands everyone the same bits
    assert all(torch.equal(a, b) for a, b in zip(vectors, kept))  # inputs untouched
    # each replica sends 2(K-1) chunks of about S/K values: 2(K-1)/K x S bytes
    chunk_max = -(-length // k) * 4
    for s in sent:
        assert s <= 2 * (k - 1) * chunk_max
    assert sum(sent) == 2 * (k - 1) * length * 4


def test_replicas_equal_one_process_averaging_the_same_gradients():
    k, steps = 3, 4
    trainer = tiny_trainer(k)
    reference = copy.deepcopy(trainer.replicas[0])
    ref_opt = new_optimizer(reference, trainer.lr)
    for step in range(steps):
        batches = trainer.next_batches()
        trainer.step(batches)
        assert trainer.check_identical()
        # one process: the per-shard gradients computed one by one, averaged by torch.mean
        grads = [loss_and_grad(reference, b)[1] for b in batches]
        lr = lr_at(step, trainer.total_steps, trainer.lr, warmup=max(1, trainer.total_steps // 10))
        apply_gradient(reference, ref_opt, torch.stack(grads).mean(0), lr)
    for name, p in reference.named_parameters():
        torch.testing.assert_close(dict(trainer.replicas[1].named_parameters())[name], p,
                                   rtol=1e-4, atol=1e-5)
    assert trainer.steps_done == steps


def test_loss_goes_down():
    trainer = tiny_trainer(2, lr=1e-2, batch=4)
    run = RealTrainingRun(trainer, 20, check=True)
    records = run.run()
    curve = run.loss_curve()
    assert len(curve) == 20 and len(records) == 20
    assert np.mean(curve[-5:]) < np.mean(curve[:5]) - 0.3
    r = records[0]
    assert len(r.losses) == 2 and r.compute_s > 0 and r.allreduce_s > 0
    assert r.bytes_sent == [r.gradient_bytes] * 2  # 2(K-1)/K x S = S for K = 2


def test_background_run_exposes_its_curve():
    nice = []
    run = RealTrainingRun(tiny_trainer(2), 3, on_step=lambda r: nice.append(
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        if hasattr(os, "getpriority") else BACKGROUND_NICE))
    run.start()
    run.join(60)
    assert not run.running and run.error is None
    assert len(run.loss_curve()) == 3
    assert min(nice) >= BACKGROUND_NICE  # the training thread runs niced


def test_interleaved_shards_cover_the_text():
    data = np.arange(10_000) % 251
    shards = make_shards(data, 3, SEQ, mode="interleaved", block=1000)
    assert sum(len(s) for s in shards) == len(data)
    assert shards[1][0] == data[1000]


@pytest.mark.parametrize("k", [0, 1, 17])
def test_bad_replica_count(k):
    with pytest.raises(UserError, match="--replicas"):
        make_shards(read_corpus()[:10_000], k, SEQ)
    if k < 2:
        with pytest.raises(UserError, match="--replicas"):
            ring_all_reduce([torch.zeros(3)] * k)


def test_empty_shard_is_refused():
    with pytest.raises(UserError, match="shard 2 .*empty shard"):
        make_shards(np.zeros(100, dtype=np.int64), 4, SEQ, mode="interleaved", block=50)
    with pytest.raises(UserError, match="empty shard"):
        DataParallelTrainer(Qwen3Config(**TINY), [np.zeros(1000, np.int64), np.zeros(0, np.int64)],
                            seq_len=SEQ)
    with pytest.raises(UserError, match="--real-steps"):
        RealTrainingRun(tiny_trainer(2), 0)


def test_excerpt_is_shipped_text():
    data = EXCERPT_PATH.read_bytes()
    assert 300_000 < len(data) < 500_000
    assert b"Twelfth Night".upper() in data.upper()
