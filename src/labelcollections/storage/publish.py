"""Write aside, then publish: how every write keeps the previous state intact.

New data is written under a hidden staging name next to its destination and moved into place
with one rename, so a failed or killed write leaves nothing half-visible.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STAGING_PREFIX = ".staging-"


@contextmanager
def staged_directory(destination: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a fresh directory that becomes ``destination`` when the block ends without error.

    The destination must not exist (published data is never rewritten), unless ``replace`` is
    given for a copy made for others (an export): the old one is then moved aside and deleted
    only once the new one is in place.
    """
    if destination.exists() and not replace:
        raise FileExistsError(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = aside(destination)
    staging.mkdir()
    try:
        yield staging
        if destination.exists():
            previous = aside(destination)
            destination.rename(previous)
            staging.rename(destination)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def aside(path: Path) -> Path:
    """A hidden sibling name for ``path`` that no one else uses."""
    return path.parent / f"{STAGING_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON in one rename (readers see old or new, never half)."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = aside(path)
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def remove_leftovers(root: Path) -> list[Path]:
    """Delete staging entries a killed write left below ``root``; return what was removed."""
    removed = []
    for leftover in sorted(root.rglob(f"{STAGING_PREFIX}*")):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


@contextmanager
def staged_file(path: Path) -> Iterator[Path]:
    """Yield a hidden path beside ``path`` to write; it becomes ``path`` (which must not exist
    yet) when the block ends without error, and is removed otherwise."""
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f"{STAGING_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        yield staging
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
