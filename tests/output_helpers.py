"""Shared by the output tests (tests/test_output_*.py): what a folder holds, a full disk, and a
World factory that must not run."""
import errno
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLD = b"the file that was there before"


def only(folder: pathlib.Path) -> list[str]:
    """Every name in `folder`, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def never_built(*args, **kwargs):
    raise AssertionError("the World must not be built for a bad output path")
