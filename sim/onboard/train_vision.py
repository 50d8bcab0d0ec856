"""Train the on-board vision model (sim/onboard/vision.py) on tiles cut from the shipped imagery.

    python -m sim.onboard.train_vision --out assets/vision

Cuts `--tiles` labelled training tiles (sim/onboard/tiles.py: random centres, headings and
swaths outside the held-out longitude bands) and the fixed held-out set (HELDOUT_SEED,
HELDOUT_COUNT, wholly inside the bands), trains with AdamW on class-balanced batches (each tile
drawn with probability inversely proportional to its class's count) and random flips and
quarter turns (a scene's heading is arbitrary), then writes into `--out`:
vision.safetensors (float32 weights) and heldout.json (the held-out accuracy per class, the
confusion matrix, the command and the settings). A few minutes on two CPU cores.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sim.onboard import tiles as tiles_mod
from sim.onboard import vision
from sim.onboard.tiles import CLASSES


def augment(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """A random quarter turn and flip of a whole batch (B, 3, H, W)."""
    x = torch.rot90(x, int(rng.integers(4)), dims=(2, 3))
    return torch.flip(x, dims=(3,)) if rng.random() < 0.5 else x


def evaluate(model: torch.nn.Module, tiles: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy overall and per class, with counts and the confusion matrix (rows: truth)."""
    predicted = vision.predict(model, tiles).argmax(axis=1)
    confusion = np.zeros((len(CLASSES), len(CLASSES)), int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {}
    for index, name in enumerate(CLASSES):
        count = int(confusion[index].sum())
        per_class[name] = {"tiles": count, "accuracy":
                           round(confusion[index, index] / count, 4) if count else None}
    return {"accuracy": round(float((predicted == labels).mean()), 4), "per_class": per_class,
            "confusion": confusion.tolist()}


def train(model, tiles, labels, epochs: int, batch: int, lr: float, seed: int) -> list[float]:
    """Class-balanced AdamW training with a cosine learning rate; the mean loss per epoch."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(labels, minlength=len(CLASSES)).astype(float)
    weights = 1.0 / np.maximum(counts[labels], 1.0)
    weights /= weights.sum()
    steps_per_epoch = len(tiles) // batch
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * steps_per_epoch)
    x_all, y_all = vision.prepare(tiles), torch.from_numpy(labels)
    losses = []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for _ in range(steps_per_epoch):
            pick = torch.from_numpy(rng.choice(len(tiles), batch, p=weights))
            loss = F.cross_entropy(model(augment(x_all[pick], rng)), y_all[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        losses.append(round(total / steps_per_epoch, 4))
        print(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}", file=sys.stderr)
    model.eval()
    return losses


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=vision.VISION_DIR)
    ap.add_argument("--tiles", type=int, default=8000, help="training tiles")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    train_x, train_y = tiles_mod.make_tiles(args.seed, args.tiles, heldout=False)
    held_x, held_y = tiles_mod.make_tiles(tiles_mod.HELDOUT_SEED, tiles_mod.HELDOUT_COUNT,
                                          heldout=True)
    cut_s = time.perf_counter() - started
    model = vision.TileNet()
    losses = train(model, train_x, train_y, args.epochs, args.batch, args.lr, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    vision.save(model, args.out)
    record = {
        "command": "python -m sim.onboard.train_vision " + " ".join(argv or sys.argv[1:]),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "classes": list(CLASSES), "heldout_bands_deg": tiles_mod.HELDOUT_BANDS,
        "heldout_seed": tiles_mod.HELDOUT_SEED, "heldout_count": tiles_mod.HELDOUT_COUNT,
        "training_tiles_per_class": {c: int((train_y == i).sum()) for i, c in enumerate(CLASSES)},
        "parameters": vision.parameter_count(model), "flops_per_tile": vision.forward_flops(model),
        "loss_per_epoch": losses, "train": evaluate(model, train_x, train_y),
        "heldout": evaluate(model, held_x, held_y),
        "seconds": {"cutting_tiles": round(cut_s, 1),
                    "total": round(time.perf_counter() - started, 1)},
        "torch": torch.__version__,
    }
    (args.out / vision.HELDOUT_FILE).write_text(json.dumps(record, indent=2) + "\n",
                                                encoding="utf-8")
    print(json.dumps(record["heldout"]["per_class"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
