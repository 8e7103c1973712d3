"""Write aside, then publish: how every write keeps the previous state intact.

On a file system, new data is written under a hidden staging name next to its destination and
moved into place with one rename, so a failed or killed write leaves nothing half-visible.

Object stores (``s3://`` and other fsspec URLs) have no rename. There a group is written under
its final key, where no reader looks yet, and the step after publishes it: a label image or a
table is listed in its parent's ``labels`` or ``tables`` attributes (one PUT replaces that
object whole), an image store is indexed in the catalog. What sits at a key nobody published
is a leftover of an interrupted write: callers check what is published first, and the write
replaces the leftover (one writer per image at a time on object stores).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeAlias

import fsspec

from labelcollections.storage.locations import is_url

STAGING_PREFIX = ".staging-"
Location: TypeAlias = str | Path
"""A local path, or the URL of a location on object storage."""


@contextmanager
def staged_directory(destination: Location, replace: bool = False) -> Iterator[Location]:
    """Yield a fresh directory that becomes ``destination`` when the block ends without error.

    The destination must not exist (published data is never rewritten), unless ``replace`` is
    given for a copy made for others (an export): the old one is then moved aside and deleted
    only once the new one is in place. At a URL the group is written in place (see above).
    """
    if is_url(str(destination)):
        with _in_place(str(destination)) as location:
            yield location
        return
    destination = Path(destination)
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


@contextmanager
def _in_place(destination: str) -> Iterator[str]:
    """Write at ``destination`` on object storage: a leftover there is removed first, and what
    the block wrote is removed if it fails."""
    filesystem, key = fsspec.core.url_to_fs(destination)
    if filesystem.exists(key):
        filesystem.rm(key, recursive=True)
    try:
        yield destination
    except BaseException:
        with suppress(FileNotFoundError):
            filesystem.rm(key, recursive=True)
        raise


def remove_location(location: Location) -> None:
    """Delete a folder or a prefix of objects with everything below it, if it is there."""
    if is_url(str(location)):
        filesystem, key = fsspec.core.url_to_fs(str(location))
        if filesystem.exists(key):
            filesystem.rm(key, recursive=True)
    else:
        shutil.rmtree(location, ignore_errors=True)


def location_exists(location: Location) -> bool:
    """Whether a file, folder or prefix of objects is there."""
    if is_url(str(location)):
        filesystem, key = fsspec.core.url_to_fs(str(location))
        return bool(filesystem.exists(key))
    return Path(location).exists()


def aside(path: Path) -> Path:
    """A hidden sibling name for ``path`` that no one else uses."""
    return path.parent / f"{STAGING_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"


def write_json_atomic(path: Location, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON in one rename (readers see old or new, never half)."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_text_atomic(path: Location, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename, or at a URL in one PUT."""
    if is_url(str(path)):
        filesystem, key = fsspec.core.url_to_fs(str(path))
        filesystem.pipe_file(key, text.encode("utf-8"))
        return
    path = Path(path)
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
