"""The Hugging Face hub cache as this app sees it: where it is, which Qwen3 repos it holds,
and each one's list entry (its current snapshot checked, partial downloads counted).

Everything goes through ``huggingface_hub`` (its cache layout, its scan), so a model the user
already has from another tool is found and not fetched twice. Sizes are bytes.
"""
from __future__ import annotations

import os
from pathlib import Path

from sim.onboard.checkpoint import ModelEntry, folder_problem


def cache_dir() -> Path:
    """The Hugging Face hub cache huggingface_hub uses (HF_HUB_CACHE / HF_HOME, default
    ~/.cache/huggingface/hub), read at call time so that tests can point it elsewhere."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def hub_endpoint() -> str | None:
    """$HF_ENDPOINT (a mirror) read at call time, None for huggingface_hub's default: the
    library reads it once at import, before a caller (or a test) may have set it."""
    return os.environ.get("HF_ENDPOINT") or None


def cached_repos() -> dict[str, object]:
    """repo id -> huggingface_hub CachedRepoInfo, for the model repos in the cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.utils import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir())
    except CacheNotFound:
        return {}
    return {repo.repo_id: repo for repo in info.repos if repo.repo_type == "model"}


def _current_revision(repo):
    """The snapshot `main` points to, else the most recently modified one (None if none)."""
    refs = getattr(repo, "refs", {}) or {}
    if "main" in refs:
        return refs["main"]
    revisions = sorted(repo.revisions, key=lambda r: r.last_modified)
    return revisions[-1] if revisions else None


def partial_blobs(repo_path: Path) -> list[Path]:
    """Downloads huggingface_hub started and has not finished: running now, or left by an
    interrupted pull of a version that resumes them (2.x removes its partial file on error
    and keeps only finished files)."""
    return sorted((repo_path / "blobs").glob("*.incomplete"))


def cache_entry(repo_id: str, repo) -> ModelEntry | None:
    """The list entry of a cached repo; None for a repo that is not a Qwen3 model (another
    architecture, or no config.json to tell: a shared cache holds other tools' repos)."""
    revision = _current_revision(repo)
    folder = revision.snapshot_path if revision is not None else Path(repo.repo_path)
    partial = partial_blobs(Path(repo.repo_path))
    size = repo.size_on_disk + sum(p.stat().st_size for p in partial)
    problem, parameters, dtype = folder_problem(folder)
    if "not a Qwen3 checkpoint" in problem or problem == "no config.json":
        return None  # someone else's model in the shared cache: not ours to list
    if partial and not problem:
        problem = f"{len(partial)} partial download(s)"
    if problem:
        problem += f"; `run.py model pull {repo_id}` continues it"
    return ModelEntry(repo_id, "cache", folder, size, parameters, dtype, not problem, problem)
