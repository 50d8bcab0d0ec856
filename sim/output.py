"""Output files the safe way: check the path before any expensive work, write beside it under
a hidden temporary name, verify, and only then move the result into place.

    path = check_output_path("--out", args.out, (".csv",))      # before building the World
    with atomic_output(path, verify=check_csv) as temp:         # temp: a pathlib.Path
        write(temp)
    # here `path` holds the complete, verified file; on any error (disk full, Ctrl-C, SIGTERM
    # raised as KeyboardInterrupt) the temporary file is gone and what was at `path` before is
    # untouched.

Pure standard library: used by sim/export.py and by viz/ (PNG screenshots, videos).
"""
from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import tempfile
from typing import Callable, Iterator

from .errors import UserError

#: Prefix of every temporary output file: hidden, and easy to find in tests.
TEMP_PREFIX = "."
TEMP_MARK = ".tmp-"


class OutputError(UserError, OSError):
    """An output file could not be written (disk full, no permission, the result did not
    verify). A UserError for the command line (one line, exit 2) and an OSError for callers
    such as the app's screenshot key that already handle file-system errors."""


def folder_of(path: pathlib.Path) -> pathlib.Path:
    return path.parent if str(path.parent) else pathlib.Path(".")


def check_output_path(flag: str, text, suffixes: tuple[str, ...] = ()) -> pathlib.Path:
    """The output path named by `flag` if a file can be written there: the right suffix, not
    a folder, its folder exists and is writable, an existing file there is writable.
    UserError naming the flag otherwise. Call it before doing expensive work."""
    path = pathlib.Path(text).expanduser()
    if path.is_dir():
        raise UserError(f"{flag}: {text} is a folder; give a file name")
    if suffixes and path.suffix.lower() not in suffixes:
        raise UserError(f"{flag}: expected a {' or '.join(suffixes)} file name, "
                        f"got {str(text)!r}")
    folder = folder_of(path)
    if not folder.exists():
        raise UserError(f"{flag}: cannot write {text}: folder {folder} does not exist")
    if not folder.is_dir():
        raise UserError(f"{flag}: cannot write {text}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists()
                                                    and not os.access(path, os.W_OK)):
        raise UserError(f"{flag}: cannot write {text}: permission denied")
    return path


def temp_path_beside(path: pathlib.Path) -> pathlib.Path:
    """A new, empty, hidden file in `path`'s folder with the same suffix (ffmpeg and Pillow
    choose the format by suffix). UserError when the folder cannot take it."""
    folder = folder_of(path)
    try:
        handle, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}{TEMP_MARK}",
                                        suffix=path.suffix, dir=folder)
    except OSError as error:
        raise OutputError(f"{path}: cannot write there: {describe(error)}") from None
    os.close(handle)
    # mkstemp makes it private (0600); the result should have the mode a plain write gives.
    with contextlib.suppress(OSError):
        os.chmod(temp, path.stat().st_mode & 0o777 if path.is_file() else 0o666 & ~_umask())
    return pathlib.Path(temp)


def _umask() -> int:
    """The process's umask (read without changing it where /proc allows)."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def describe(error: OSError) -> str:
    """A short reason for an OSError ('No space left on device (disk full)')."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (disk full)"
    return reason


def remove_quietly(path: pathlib.Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def commit(temp: pathlib.Path, path: pathlib.Path) -> None:
    """Move the finished `temp` over `path` (atomic on one file system)."""
    try:
        os.replace(temp, path)
    except OSError as error:
        remove_quietly(temp)
        raise OutputError(f"{path}: cannot write: {describe(error)}") from None


@contextlib.contextmanager
def atomic_output(path, verify: Callable[[pathlib.Path], None] | None = None
                  ) -> Iterator[pathlib.Path]:
    """Yield a temporary path beside `path`; when the block ends without an error, run
    `verify(temp)` (it raises if the file is not complete) and move temp onto `path`. Any
    error removes temp and leaves `path` as it was; an OSError (disk full, ...) becomes a
    one-line UserError."""
    path = pathlib.Path(path)
    temp = temp_path_beside(path)
    try:
        yield temp
        if verify is not None:
            verify(temp)
    except OutputError:
        remove_quietly(temp)
        raise
    except OSError as error:
        remove_quietly(temp)
        raise OutputError(f"{path}: cannot write: {describe(error)}; "
                          "nothing was changed there") from None
    except UserError as error:  # from `verify`: the file written is not complete
        remove_quietly(temp)
        raise OutputError(f"{path}: not written: {error}; nothing was changed there") from None
    except BaseException:
        remove_quietly(temp)
        raise
    commit(temp, path)


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", newline: str | None = "",
                 verify: Callable[[pathlib.Path], None] | None = None):
    """`atomic_output` as an open text stream (UTF-8). The stream is flushed and synced to
    disk before the move, so a full disk shows up here, not later."""
    with atomic_output(path, verify) as temp:
        with open(temp, mode, newline=newline, encoding="utf-8") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
