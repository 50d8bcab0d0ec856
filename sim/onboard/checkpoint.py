"""Checking a Qwen3 checkpoint folder without loading it: its config.json (through the
loader's reader, sim/onboard/loading.py), tokenizer, weight files and their safetensors
headers (parameter count and dtype, no weights read), and the list entry that says so.

Sizes are bytes. Every problem is one short line (a `ModelEntry.problem`, or a UserError).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from pathlib import Path

from sim.errors import UserError
from sim.onboard.loading import DEFAULT_MODEL_DIR, parse_config, read_config

#: The model NAME of the byte-level model shipped in assets/model (DEFAULT_MODEL_DIR).
SHIPPED = "shipped"
ARCHITECTURE = "Qwen3ForCausalLM"
INDEX_FILE = "model.safetensors.index.json"
#: "model-00002-of-00004.safetensors": the shard count is in the name.
SHARD_NAME = re.compile(r".*-(\d+)-of-(\d+)\.safetensors$")

__all__ = ["ARCHITECTURE", "DEFAULT_MODEL_DIR", "INDEX_FILE", "ModelEntry", "SHIPPED",
           "check_qwen3_config", "folder_entry", "folder_problem", "safetensors_summary"]


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One model `run.py model list` shows. `usable` False means `problem` says why."""
    name: str            # "shipped", a repo id, or a folder path
    source: str          # "shipped" | "cache" | "folder"
    folder: Path         # the checkpoint folder (a cache snapshot for "cache")
    size_bytes: int      # on disk (blobs, counted once; partial downloads included)
    parameters: int | None
    dtype: str | None    # of the weights as stored, e.g. "BF16"; "mixed" if several
    usable: bool
    problem: str = ""

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "folder": str(self.folder)}


def check_qwen3_config(raw: object, where: str) -> None:
    """UserError unless `raw` (a parsed config.json) is a Qwen3ForCausalLM this loader serves."""
    if not isinstance(raw, dict):
        raise UserError(f"{where}: expected a JSON object")
    architectures = raw.get("architectures") or []
    if raw.get("model_type") != "qwen3" or (architectures and ARCHITECTURE not in architectures):
        found = ", ".join(architectures) if architectures else raw.get("model_type", "unknown")
        raise UserError(f"{where}: not a Qwen3 checkpoint (found {found}; expected "
                        f"model_type qwen3, architectures {ARCHITECTURE})")
    parse_config(raw, Path(where))  # the features this implementation refuses (sliding window ...)


def _read_config(folder: Path) -> dict:
    """The folder's config.json through the loader's reader, checked as a Qwen3 config;
    UserError "no config.json" (a listing tells other tools' repos by it) or the problem."""
    if not (folder / "config.json").is_file():
        raise UserError("no config.json")
    raw = read_config(folder, "config.json")
    check_qwen3_config(raw, "config.json")
    return raw


def _expected_weight_files(folder: Path, present: list[Path]) -> set[str]:
    """Weight files the checkpoint needs: the index's shards, else the shard count in the
    names ("-00001-of-00004"), else the files there are."""
    index = folder / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            return set(weight_map.values())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise UserError(f"{INDEX_FILE} is not a valid safetensors index") from None
    expected = {p.name for p in present}
    for p in present:
        match = SHARD_NAME.match(p.name)
        if match:
            total = int(match.group(2))
            width = len(match.group(1))
            stem = p.name[: match.start(1)]
            expected |= {f"{stem}{i:0{width}d}-of-{match.group(2)}.safetensors"
                         for i in range(1, total + 1)}
    return expected


def safetensors_summary(files: list[Path]) -> tuple[int, str]:
    """(parameter count, dtype) from the headers of safetensors files: shapes only, no weights.
    safetensors checks the header against the file size, so a truncated file fails here."""
    from safetensors import safe_open

    count, dtypes = 0, set()
    for f in files:
        try:
            with safe_open(str(f), framework="numpy") as sf:
                for key in sf.keys():
                    tensor = sf.get_slice(key)
                    shape = tensor.get_shape()
                    n = 1
                    for dim in shape:
                        n *= dim
                    count += n
                    dtypes.add(tensor.get_dtype())
        except Exception as exc:  # safetensors raises its own error types, or OSError
            raise UserError(f"{f.name} is unreadable or incomplete ({exc})") from None
    return count, (dtypes.pop() if len(dtypes) == 1 else "mixed")


def folder_problem(folder: Path) -> tuple[str, int | None, str | None]:
    """("", parameters, dtype) for a usable checkpoint folder, else (why not, None, None)."""
    try:
        _read_config(folder)
        if not (folder / "tokenizer.json").is_file():
            raise UserError("no tokenizer.json")
        # A cache snapshot holds symlinks: a dangling one is a file whose blob is gone.
        present = [p for p in sorted(folder.glob("*.safetensors")) if p.is_file()]
        missing = sorted(_expected_weight_files(folder, present) - {p.name for p in present})
        if missing:
            raise UserError(f"missing weight file {missing[0]}"
                            + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
        if not present:
            raise UserError("no *.safetensors weights")
        parameters, dtype = safetensors_summary(present)
    except UserError as why:
        return str(why), None, None
    return "", parameters, dtype


def _folder_size(folder: Path) -> int:
    """Bytes on disk of the files in a folder (links followed, each file once)."""
    seen, total = set(), 0
    for p in folder.iterdir():
        with contextlib.suppress(OSError):
            st = p.stat()
            if p.is_file() and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def folder_entry(name: str, folder: Path, source: str = "folder") -> ModelEntry:
    """The list entry of a checkpoint folder on disk."""
    problem, parameters, dtype = folder_problem(folder)
    size = _folder_size(folder) if folder.is_dir() else 0
    return ModelEntry(name, source, folder, size, parameters, dtype, not problem, problem)
