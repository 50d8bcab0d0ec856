"""`run.py model pull`: a Qwen3 checkpoint from the Hugging Face hub into its cache, through
``huggingface_hub``'s own download code (its progress bars, its partial files), config.json
first so that another architecture is refused before any weights; hub failures become one
UserError line.
"""
from __future__ import annotations

import contextlib
import errno
from pathlib import Path

from sim.errors import UserError
from sim.onboard.checkpoint import SHIPPED, ModelEntry, check_qwen3_config, folder_entry
from sim.onboard.hub_cache import cache_dir, hub_endpoint
from sim.onboard.loading import read_config

#: What the loader reads, and nothing else (no PyTorch .bin, no ONNX, no GGUF copies).
ALLOW_PATTERNS = ["config.json", "generation_config.json", "tokenizer.json",
                  "tokenizer_config.json", "*.safetensors", "*.safetensors.index.json"]


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
        where = {"cache_dir": cache_dir(), "endpoint": hub_endpoint()}
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
        check_qwen3_config(read_config(config_path.parent, "config.json"), "config.json")
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
