"""Real Qwen3 checkpoints from the Hugging Face hub: pull, list, remove, and resolve a name.

A model NAME is one of:

    "shipped"            the byte-level model in assets/model
    a folder path        a checkpoint folder (config.json, *.safetensors, tokenizer.json)
    a repo id            "Qwen/Qwen3-0.6B": its snapshot in the Hugging Face cache

This module lists, resolves and removes; the work beside it: checking a folder
(checkpoint.py), reading the cache (hub_cache.py) and pulling (hub_pull.py), whose names stay
importable from here. Sizes are bytes; parameter counts and dtypes come from the safetensors
headers (no weights are read). Every failure a user can cause is a one-line ``UserError``.
"""
from __future__ import annotations

from pathlib import Path

from sim.errors import UserError
from sim.onboard.checkpoint import (ARCHITECTURE, DEFAULT_MODEL_DIR, INDEX_FILE, SHIPPED,  # noqa: F401
                                    ModelEntry, check_qwen3_config, folder_entry,
                                    safetensors_summary)
from sim.onboard.hub_cache import cache_dir, cache_entry, cached_repos, partial_blobs
from sim.onboard.hub_pull import ALLOW_PATTERNS, hub_errors, pull_model  # noqa: F401
from sim.onboard.roofline import human_count


def list_models(extra_folders: list[Path] = ()) -> list[ModelEntry]:
    """The shipped model, every Qwen3 model repo in the cache (usable or not, by name), and
    the given folders."""
    entries = [folder_entry(SHIPPED, DEFAULT_MODEL_DIR, SHIPPED)]
    for repo_id, repo in sorted(cached_repos().items()):
        entry = cache_entry(repo_id, repo)
        if entry is not None:
            entries.append(entry)
    for folder in extra_folders:
        if not Path(folder).is_dir():
            raise UserError(f"--model-dir {folder}: no such folder")
        entries.append(folder_entry(str(folder), Path(folder)))
    return entries


def picker_choices() -> list[tuple[str, str]]:
    """(label, checkpoint folder) of every usable model, for the app's model picker; the
    shipped model's folder is "" (the World's default)."""
    choices = []
    for entry in list_models():
        if not entry.usable:
            continue
        label = f"{entry.name} ({human_count(entry.parameters)} parameters, {entry.dtype})"
        choices.append((label, "" if entry.source == SHIPPED else str(entry.folder)))
    return choices


def resolve_model(name: str, what: str = "") -> Path:
    """The checkpoint folder of a model NAME ("shipped", a folder path, or a repo id in the
    cache). UserError naming `run.py model pull NAME` when the repo is not (fully) there;
    its message starts with `what` (default: "--model NAME", the flag that named it)."""
    what = what or f"--model {name}"
    if name == SHIPPED:
        return DEFAULT_MODEL_DIR
    if Path(name).is_dir():
        return Path(name)
    repo = cached_repos().get(name)
    if repo is None:
        raise UserError(f"{what}: not a folder, and not in the Hugging Face cache "
                        f"({cache_dir()}); get it with `run.py model pull {name}`")
    entry = cache_entry(name, repo)
    if entry is None:
        raise UserError(f"{what}: the cached repo has no Qwen3 config.json; "
                        f"`run.py model pull {name}` fetches a Qwen3 checkpoint")
    if not entry.usable:
        raise UserError(f"{what}: not usable in the cache: {entry.problem}")
    return entry.folder


def remove_model(name: str) -> tuple[Path, int]:
    """Delete a repo from the cache (every revision, huggingface_hub's delete strategy).
    Returns (its cache folder, bytes freed)."""
    if name == SHIPPED:
        raise UserError("model rm shipped: the shipped model is part of the app and is not removed")
    from huggingface_hub import scan_cache_dir

    repo = cached_repos().get(name)
    if repo is None:
        raise UserError(f"model rm {name}: not in the Hugging Face cache ({cache_dir()}); "
                        "`run.py model list` shows what is there")
    if cache_entry(name, repo) is None:  # other tools' repos are theirs to remove
        raise UserError(f"model rm {name}: not a Qwen3 checkpoint (`run.py model list` shows "
                        "the ones this app uses); huggingface_hub's `hf cache` removes others")
    # A listed repo has a snapshot with a Qwen3 config.json, so there is a revision to name.
    partial = sum(p.stat().st_size for p in partial_blobs(Path(repo.repo_path)))
    strategy = scan_cache_dir(cache_dir()).delete_revisions(
        *(r.commit_hash for r in repo.revisions))
    strategy.execute()  # every revision: the strategy removes the repo folder itself
    if Path(repo.repo_path).exists():  # partial blobs an older huggingface_hub left behind
        import shutil

        shutil.rmtree(repo.repo_path, ignore_errors=True)
    return Path(repo.repo_path), strategy.expected_freed_size + partial


def human_bytes(n: int) -> str:
    """1234567 -> '1.2 MB' (decimal units, as huggingface_hub prints them)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


__all__ = ["ALLOW_PATTERNS", "ModelEntry", "SHIPPED", "cache_dir", "check_qwen3_config",
           "folder_entry", "human_bytes", "human_count", "list_models", "pull_model",
           "remove_model", "resolve_model", "safetensors_summary", "hub_errors"]
