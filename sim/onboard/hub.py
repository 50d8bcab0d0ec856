"""Real Qwen3 checkpoints from the Hugging Face hub: pull, list, remove, and resolve a name.

Everything goes through ``huggingface_hub`` (its download code, its progress bars, its
partial files, its cache layout) into the standard Hugging Face cache, so a model the user
already has from another tool is not fetched twice. A model NAME is one of:

    "shipped"            the byte-level model in assets/model
    a folder path        a checkpoint folder (config.json, *.safetensors, tokenizer.json)
    a repo id            "Qwen/Qwen3-0.6B": its snapshot in the Hugging Face cache

Sizes are bytes; parameter counts and dtypes come from the safetensors headers (no weights
are read). Every failure a user can cause is a one-line ``UserError``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import re
from pathlib import Path

from sim.errors import UserError
from sim.onboard.loading import DEFAULT_MODEL_DIR, parse_config
from sim.onboard.roofline import human_count

SHIPPED = "shipped"
ARCHITECTURE = "Qwen3ForCausalLM"
INDEX_FILE = "model.safetensors.index.json"
#: What the loader reads, and nothing else (no PyTorch .bin, no ONNX, no GGUF copies).
ALLOW_PATTERNS = ["config.json", "generation_config.json", "tokenizer.json",
                  "tokenizer_config.json", "*.safetensors", "*.safetensors.index.json"]
#: "model-00002-of-00004.safetensors": the shard count is in the name.
SHARD_NAME = re.compile(r".*-(\d+)-of-(\d+)\.safetensors$")


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


# --- the cache --------------------------------------------------------------------------------

def cache_dir() -> Path:
    """The Hugging Face hub cache huggingface_hub uses (HF_HUB_CACHE / HF_HOME, default
    ~/.cache/huggingface/hub), read at call time so that tests can point it elsewhere."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _endpoint() -> str | None:
    """$HF_ENDPOINT (a mirror) read at call time, None for huggingface_hub's default: the
    library reads it once at import, before a caller (or a test) may have set it."""
    return os.environ.get("HF_ENDPOINT") or None


def _cached_repos() -> dict[str, object]:
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


def _partial_blobs(repo_path: Path) -> list[Path]:
    """Downloads huggingface_hub started and has not finished: running now, or left by an
    interrupted pull of a version that resumes them (2.x removes its partial file on error
    and keeps only finished files)."""
    return sorted((repo_path / "blobs").glob("*.incomplete"))


def _cache_entry(repo_id: str, repo) -> ModelEntry | None:
    """The list entry of a cached repo; None for a repo that is not a Qwen3 model (another
    architecture, or no config.json to tell: a shared cache holds other tools' repos)."""
    revision = _current_revision(repo)
    folder = revision.snapshot_path if revision is not None else Path(repo.repo_path)
    size = repo.size_on_disk + sum(p.stat().st_size for p in _partial_blobs(Path(repo.repo_path)))
    problem, parameters, dtype = _folder_problem(folder)
    if "not a Qwen3 checkpoint" in problem or problem == "no config.json":
        return None  # someone else's model in the shared cache: not ours to list
    partial = _partial_blobs(Path(repo.repo_path))
    if partial and not problem:
        problem = f"{len(partial)} partial download(s)"
    if problem:
        problem += f"; `run.py model pull {repo_id}` continues it"
    return ModelEntry(repo_id, "cache", folder, size, parameters, dtype, not problem, problem)


# --- checking a checkpoint folder without loading it -----------------------------------------

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
    path = folder / "config.json"
    if not path.is_file():
        raise UserError("no config.json")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise UserError("config.json is not valid JSON") from None
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


def _folder_problem(folder: Path) -> tuple[str, int | None, str | None]:
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
    problem, parameters, dtype = _folder_problem(folder)
    size = _folder_size(folder) if folder.is_dir() else 0
    return ModelEntry(name, source, folder, size, parameters, dtype, not problem, problem)


# --- list / resolve / rm ----------------------------------------------------------------------

def list_models(extra_folders: list[Path] = ()) -> list[ModelEntry]:
    """The shipped model, every Qwen3 model repo in the cache (usable or not, by name), and
    the given folders."""
    entries = [folder_entry(SHIPPED, DEFAULT_MODEL_DIR, SHIPPED)]
    for repo_id, repo in sorted(_cached_repos().items()):
        entry = _cache_entry(repo_id, repo)
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
    repo = _cached_repos().get(name)
    if repo is None:
        raise UserError(f"{what}: not a folder, and not in the Hugging Face cache "
                        f"({cache_dir()}); get it with `run.py model pull {name}`")
    entry = _cache_entry(name, repo)
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

    repo = _cached_repos().get(name)
    if repo is None:
        raise UserError(f"model rm {name}: not in the Hugging Face cache ({cache_dir()}); "
                        "`run.py model list` shows what is there")
    if _cache_entry(name, repo) is None:  # other tools' repos are theirs to remove
        raise UserError(f"model rm {name}: not a Qwen3 checkpoint (`run.py model list` shows "
                        "the ones this app uses); huggingface_hub's `hf cache` removes others")
    # A listed repo has a snapshot with a Qwen3 config.json, so there is a revision to name.
    partial = sum(p.stat().st_size for p in _partial_blobs(Path(repo.repo_path)))
    strategy = scan_cache_dir(cache_dir()).delete_revisions(
        *(r.commit_hash for r in repo.revisions))
    strategy.execute()  # every revision: the strategy removes the repo folder itself
    if Path(repo.repo_path).exists():  # partial blobs an older huggingface_hub left behind
        import shutil

        shutil.rmtree(repo.repo_path, ignore_errors=True)
    return Path(repo.repo_path), strategy.expected_freed_size + partial


# --- pull -------------------------------------------------------------------------------------

def _network_errors() -> tuple[type[BaseException], ...]:
    """Connection and timeout exceptions of the HTTP client huggingface_hub uses (httpx2 in
    2.x, httpx in 1.x, requests before), whichever is installed."""
    from huggingface_hub.utils import LocalEntryNotFoundError, OfflineModeIsEnabled

    types: list[type[BaseException]] = [LocalEntryNotFoundError, OfflineModeIsEnabled]
    for module, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                          ("requests", ("ConnectionError", "Timeout"))):
        with contextlib.suppress(ImportError):
            imported = __import__(module)
            types += [getattr(imported, n) for n in names if hasattr(imported, n)]
    return tuple(types)


@contextlib.contextmanager
def _quiet_retries():
    """huggingface_hub retries a failed connection with back-off (about 20 s in all) and logs
    two lines per retry: kept out of the terminal, so a failure ends as our one line. Its
    progress bars are not logging and stay."""
    import logging

    http_logger = logging.getLogger("huggingface_hub.utils._http")
    level = http_logger.level
    http_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        http_logger.setLevel(level)


@contextlib.contextmanager
def hub_errors(name: str):
    """huggingface_hub's exceptions as one-line UserErrors; Ctrl-C says how to continue."""
    # huggingface_hub.utils has exported these since before 0.24 (the floor in pyproject).
    from huggingface_hub import utils as hf

    # 2.x names a file missing on the hub RemoteEntryNotFoundError; older versions raise
    # the plain EntryNotFoundError (which LocalEntryNotFoundError, "offline", subclasses:
    # the network clause comes first).
    remote_entry_missing = getattr(hf, "RemoteEntryNotFoundError", hf.EntryNotFoundError)
    try:
        yield
    except hf.GatedRepoError:
        raise UserError(f"model pull {name}: the repo is gated: accept its terms on "
                        "huggingface.co and log in (`hf auth login`), then pull again") from None
    except hf.RepositoryNotFoundError:
        raise UserError(f"model pull {name}: no such repo on the Hugging Face hub (or it is "
                        "private); expected a repo id such as Qwen/Qwen3-0.6B") from None
    except hf.RevisionNotFoundError:
        raise UserError(f"model pull {name}: the repo has no main revision") from None
    except hf.HFValidationError:
        raise UserError(f"model pull {name}: not a valid repo id (expected OWNER/NAME, "
                        "e.g. Qwen/Qwen3-0.6B)") from None
    except _network_errors() as exc:
        raise UserError(f"model pull {name}: cannot reach the Hugging Face hub "
                        f"({type(exc).__name__}); check the network (HF_HUB_OFFLINE, "
                        "HF_ENDPOINT) and pull again: files already downloaded are kept") from None
    except remote_entry_missing:
        raise UserError(f"model pull {name}: the repo has no config.json "
                        "(not a model checkpoint)") from None
    except hf.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise UserError(f"model pull {name}: the hub answered HTTP {status}; "
                        "try again later") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise UserError(f"model pull {name}: disk full in {cache_dir()}; free space and "
                            "pull again: files already downloaded are kept") from None
        raise UserError(f"model pull {name}: cannot write to {cache_dir()}: "
                        f"{exc.strerror or exc}") from None
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM as run.py's Terminated
        raise type(stop)(f"interrupted: {name} is not complete in {cache_dir()} (and not "
                         f"used until it is); `run.py model pull {name}` continues it") from None


def pull_model(name: str, announce=lambda line: None) -> ModelEntry:
    """Download a Qwen3 checkpoint into the Hugging Face cache: config.json alone first (a repo
    that is not a Qwen3ForCausalLM is refused before any weights), then the files the loader
    needs, all of the commit config.json came from. Files already in the cache are not fetched
    again, so an interrupted pull continues where it stopped. `announce(line)` hears what is
    about to be fetched."""
    if name == SHIPPED or Path(name).is_dir():
        raise UserError(f"model pull {name}: expected a Hugging Face repo id such as "
                        "Qwen/Qwen3-0.6B (the shipped model and folders need no pull)")
    with hub_errors(name), _quiet_retries():
        where = {"cache_dir": cache_dir(), "endpoint": _endpoint()}
        folder = _pull_config(name, where)
        files = _files_to_pull(name, folder.name, where)
        announce(f"{len(files)} files: " + ", ".join(files))
        _pull_files(name, folder.name, files, where)
    entry = folder_entry(name, folder, "cache")
    if not entry.usable:
        raise UserError(f"model pull {name}: downloaded, but not usable: {entry.problem}")
    return entry


def _pull_config(name: str, where: dict) -> Path:
    """Fetch config.json of `main` alone and check it; returns the snapshot folder
    (.../snapshots/COMMIT), named after the commit every other file is then taken from."""
    from huggingface_hub import hf_hub_download

    config_path = Path(hf_hub_download(name, "config.json", **where))
    try:
        raw = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"model pull {name}: its config.json is not valid JSON") from None
    try:
        check_qwen3_config(raw, "config.json")
    except UserError as why:
        raise UserError(f"model pull {name}: {why}") from None
    return config_path.parent


def _files_to_pull(name: str, commit: str, where: dict) -> list[str]:
    """The repo's files at `commit` that the loader reads (ALLOW_PATTERNS, top level only:
    copies in sub-folders, ONNX and the like, are not for us)."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils import filter_repo_objects

    info = HfApi(endpoint=where["endpoint"]).model_info(name, revision=commit)
    names = [s.rfilename for s in info.siblings or () if "/" not in s.rfilename]
    return sorted(filter_repo_objects(names, allow_patterns=ALLOW_PATTERNS))


def _pull_files(name: str, commit: str, files: list[str], where: dict) -> None:
    """One file after the other on this thread, each with huggingface_hub's own byte progress
    bar. Not snapshot_download: its thread pool waits for every running file to finish
    before Ctrl-C gets through (measured: 20 s for a 13 MB file on a slow link; minutes for a
    real shard), while here Ctrl-C stops at once and huggingface_hub drops the partial file."""
    from huggingface_hub import hf_hub_download

    for filename in files:
        hf_hub_download(name, filename, revision=commit, **where)


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
