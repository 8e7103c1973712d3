"""Write aside, then publish: how every write keeps the previous state intact.

New data is written under a hidden staging name next to its destination and moved into place
with one rename, so a failed or killed write leaves nothing half-visible.

A staging entry is locked (``flock``) for as long as its writer uses it. Concurrent writers
stage side by side, and :func:`remove_leftovers` removes only entries whose writer is gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

STAGING_PREFIX = ".staging-"


def _lock(descriptor: int) -> bool:
    """Take the staging lock on an open entry; False when another process holds it."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class StagedDirectory:
    """A directory written aside that becomes ``destination`` on :meth:`publish`.

    Writing (slow) and publishing (one rename) are separate steps, so that a caller can publish
    while holding a lock that only the rename needs. The destination must not exist when
    publishing (published data is never rewritten), unless ``replace`` is given for a copy made
    for others (an export): the old one is then moved aside and deleted only once the new one
    is in place.
    """

    def __init__(self, destination: Path, replace: bool = False) -> None:
        if destination.exists() and not replace:
            raise FileExistsError(destination)
        self.replace = replace
        self._made = [folder for folder in destination.parents if not folder.exists()]
        destination.parent.mkdir(parents=True, exist_ok=True)
        self.destination = destination
        self.path = aside(destination)
        self.path.mkdir()
        self._descriptor: int | None = os.open(self.path, os.O_RDONLY)
        _lock(self._descriptor)

    def publish(self) -> None:
        previous = None
        if self.destination.exists():
            if not self.replace:
                raise FileExistsError(self.destination)
            previous = aside(self.destination)
            self.destination.rename(previous)
        self.path.rename(self.destination)
        self._release()
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def discard(self) -> None:
        """Remove what was written unless it was published, with the folders made for it that
        stayed empty (safe to call in any state)."""
        if self._descriptor is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._release()
            for folder in self._made:
                with suppress(OSError):
                    folder.rmdir()

    def _release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


@contextmanager
def staged_directory(destination: Path, replace: bool = False) -> Iterator[Path]:
    """Yield a fresh directory that becomes ``destination`` when the block ends without error.

    The destination must not exist (published data is never rewritten), unless ``replace`` is
    given for a copy made for others (an export): the old one is then moved aside and deleted
    only once the new one is in place.
    """
    staged = StagedDirectory(destination, replace)
    try:
        yield staged.path
        staged.publish()
    finally:
        staged.discard()


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
        _lock(handle.fileno())
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(temporary, path)


def remove_leftovers(root: Path) -> list[Path]:
    """Delete staging entries that a killed write left below ``root``; return what was removed.

    Entries still locked by a running writer are left alone.
    """
    removed = []
    for leftover in sorted(root.rglob(f"{STAGING_PREFIX}*")):
        with suppress(FileNotFoundError):
            descriptor = os.open(leftover, os.O_RDONLY)
            try:
                if not _lock(descriptor):
                    continue
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
            finally:
                os.close(descriptor)
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
