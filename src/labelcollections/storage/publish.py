"""Write aside, then publish: how every write keeps the previous state intact.

New data is written under a hidden staging name next to its destination and moved into place
with one rename, so a failed or killed write leaves nothing half-visible.

A staging entry is locked (``flock``) for as long as its writer uses it. Concurrent writers
stage side by side, and :func:`remove_leftovers` removes only entries whose writer is gone.

Object stores (``s3://`` and other fsspec URLs) have no rename (:class:`StagedObjects`). There
a group is written under its final key, where no reader looks yet, and the step after
publishes it: a label image or a table is listed in its parent's ``labels`` or ``tables``
attributes (one PUT replaces that object whole), an image store is indexed in the catalog.
What sits at a key nobody published is a leftover of an interrupted write: callers check what
is published first, and the next write of the same group replaces it (writers of one image
take turns on object stores).
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
from typing import Any, TypeAlias

import fsspec

from labelcollections.storage.locations import is_url

STAGING_PREFIX = ".staging-"
Location: TypeAlias = str | Path
"""A local path, or the URL of a location on object storage."""


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


class StagedObjects:
    """A group written in place on object storage, at its final key; its caller's next step
    (listing it, indexing it) publishes it. A leftover at the key is removed first; what was
    written is removed again on :meth:`discard` unless it was published."""

    def __init__(self, destination: str) -> None:
        self.destination = destination
        self.path = destination
        self._filesystem, self._key = fsspec.core.url_to_fs(destination)
        if self._filesystem.exists(self._key):
            self._filesystem.rm(self._key, recursive=True)
        self._published = False

    def publish(self) -> None:
        self._published = True

    def discard(self) -> None:
        if not self._published:
            with suppress(FileNotFoundError):
                self._filesystem.rm(self._key, recursive=True)
            self._published = True


def stage(destination: Location, replace: bool = False) -> StagedDirectory | StagedObjects:
    """A new group written aside for ``destination``: a staged directory on a file system, in
    place on object storage (``replace`` as :class:`StagedDirectory` takes it)."""
    if is_url(str(destination)):
        return StagedObjects(str(destination))
    return StagedDirectory(Path(destination), replace)


def remove_location(location: Location) -> None:
    """Delete a folder or a prefix of objects with everything below it, if it is there."""
    if is_url(str(location)):
        filesystem, key = fsspec.core.url_to_fs(str(location))
        if filesystem.exists(key):
            filesystem.rm(key, recursive=True)
    else:
        shutil.rmtree(location, ignore_errors=True)


def withdraw(location: Location) -> None:
    """Take away a published folder or file, if it is there: renamed aside first on a file
    system, so no reader sees it half deleted; its objects deleted on object storage."""
    if is_url(str(location)):
        remove_location(location)
        return
    path = Path(location)
    if not path.exists():
        return
    doomed = aside(path)
    path.rename(doomed)
    if doomed.is_dir():
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        doomed.unlink(missing_ok=True)


def location_exists(location: Location) -> bool:
    """Whether a file, folder or prefix of objects is there."""
    if is_url(str(location)):
        filesystem, key = fsspec.core.url_to_fs(str(location))
        return bool(filesystem.exists(key))
    return Path(location).exists()


@contextmanager
def staged_directory(destination: Location, replace: bool = False) -> Iterator[Location]:
    """Yield a fresh directory that becomes ``destination`` when the block ends without error.

    The destination must not exist (published data is never rewritten), unless ``replace`` is
    given for a copy made for others (an export): the old one is then moved aside and deleted
    only once the new one is in place. At a URL the group is written in place.
    """
    staged = stage(destination, replace)
    try:
        yield staged.path
        staged.publish()
    finally:
        staged.discard()


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
