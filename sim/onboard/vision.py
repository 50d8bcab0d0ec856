"""The on-board vision model: a small CNN that says what lies under a captured scene.

Input: a (TILE_PX, TILE_PX, 3) uint8 RGB tile (sim/scene.py); output: one of `CLASSES` with a
confidence (its softmax probability). Weights: assets/vision/vision.safetensors (float32,
trained by sim/onboard/train_vision.py; how, and the held-out accuracy per class, in
assets/vision/TRAINING.md and heldout.json).

    conv 3x3 stride 2, 3 -> 12, ReLU          64 -> 32 px
    conv 3x3, 12 -> 24, ReLU, max-pool 2      32 -> 16
    conv 3x3, 24 -> 48, ReLU, max-pool 2      16 -> 8
    conv 3x3, 48 -> 64, ReLU, max-pool 2       8 -> 4
    global average pool, linear 64 -> 6

`forward_flops` counts what the roofline needs: 2 FLOPs per multiply-add of every convolution
and of the linear layer (as the language model's 2 x parameters per token); ReLU, pooling and
the softmax (under 1% of them) are left out.

`classify` runs on the calling thread. The live sim runs it off the frame through the onboard
worker (`OnboardWorker.submit_task`, sim/onboard/worker.py); the command line calls it directly.
"""
from __future__ import annotations

import functools
import json
import pathlib

import numpy as np
import torch
from torch import nn

from sim.onboard.tiles import CLASSES
from sim.scene import TILE_PX
from sim.stations import ASSETS

VISION_DIR = ASSETS / "vision"
WEIGHTS_FILE = "vision.safetensors"
HELDOUT_FILE = "heldout.json"
#: Fixed input scaling: pixel / 255, centred and spread to about unit variance.
PIXEL_MEAN, PIXEL_STD = 0.35, 0.25


class TileNet(nn.Module):
    """The CNN above. Takes (B, 3, H, W) floats already scaled by `prepare`."""

    def __init__(self, widths: tuple[int, ...] = (12, 24, 48, 64), classes: int = len(CLASSES)):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, stride=2, padding=1), nn.ReLU()]
        for before, after in zip(widths, widths[1:]):
            layers += [nn.Conv2d(before, after, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def prepare(tiles: np.ndarray) -> torch.Tensor:
    """(K, H, W, 3) uint8 tiles (or one (H, W, 3)) -> (K, 3, H, W) float32 model input."""
    array = np.asarray(tiles)
    if array.ndim == 3:
        array = array[None]
    x = torch.from_numpy(np.array(array, dtype=np.float32)).permute(0, 3, 1, 2)
    return (x / 255.0 - PIXEL_MEAN) / PIXEL_STD


def forward_flops(model: nn.Module, size: int = TILE_PX) -> int:
    """FLOPs of one tile's forward pass: 2 x multiply-adds of the convolutions and linears."""
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] \
                * module.kernel_size[1]
            total += 2 * output.numel() * per_output
        elif isinstance(module, nn.Linear):
            total += 2 * output.numel() * module.in_features

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size))
    finally:
        for hook in hooks:
            hook.remove()
    return total


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def save(model: TileNet, folder: pathlib.Path) -> pathlib.Path:
    from safetensors.torch import save_file

    path = pathlib.Path(folder) / WEIGHTS_FILE
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


@functools.cache
def load(folder: pathlib.Path = VISION_DIR) -> TileNet:
    """The trained model in `folder` (default: the shipped one), in eval mode; loaded once."""
    from safetensors.torch import load_file

    model = TileNet()
    model.load_state_dict(load_file(str(pathlib.Path(folder) / WEIGHTS_FILE)))
    model.eval()
    return model


@functools.cache
def tile_flops(folder: pathlib.Path = VISION_DIR) -> int:
    """`forward_flops` of the model in `folder` for one TILE_PX tile, counted once."""
    return forward_flops(load(folder), TILE_PX)


def heldout_record(folder: pathlib.Path = VISION_DIR) -> dict:
    """The training run's record of held-out accuracy (assets/vision/heldout.json)."""
    return json.loads((pathlib.Path(folder) / HELDOUT_FILE).read_text(encoding="utf-8"))


def predict(model: nn.Module, tiles: np.ndarray, batch: int = 256) -> np.ndarray:
    """Class probabilities (K, len(CLASSES)) of tiles (K, H, W, 3) uint8."""
    out = []
    with torch.no_grad():
        for start in range(0, len(tiles), batch):
            out.append(torch.softmax(model(prepare(tiles[start:start + batch])), dim=1))
    return torch.cat(out).numpy()


def classify(tile: np.ndarray, model: nn.Module | None = None) -> tuple[str, float, dict]:
    """(label, confidence, {class: probability}) of one (H, W, 3) uint8 tile."""
    probs = predict(model if model is not None else load(), np.asarray(tile)[None])[0]
    best = int(np.argmax(probs))
    return CLASSES[best], float(probs[best]), {c: float(p) for c, p in zip(CLASSES, probs)}
