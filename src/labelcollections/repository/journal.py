"""Intent records: whatever instant a writer dies, its change is visible everywhere or nowhere.

A change of an image is published in several files (the label group and the ``labels`` list,
collection documents, tables) and then indexed, in the image's write transaction. The commit of
that transaction is the point of no return. Before its first file write, a writer records its
intent in ``<repo>/journal/`` and holds a lock on the record; once the transaction commits, the
record goes. A record whose writer is gone (its lock is free) means the writer died between
the two: the next command that opens the repository rolls the image back to what the catalog
committed, taking the image's write lock first:

- an image the catalog does not know is removed with its store;
- label groups, tables and collection documents of the store that the catalog does not know
  are withdrawn; collection documents are rewritten from the catalog's collections.

A writer that fails with an error (rather than dying) rolls back the same way at once.
``reindex`` remains for catalogs lost or damaged otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from labelcollections.catalog import CatalogWriter
from labelcollections.model.images import ReferenceImage
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.documents import reconcile_documents
from labelcollections.storage.locations import is_url
from labelcollections.storage.ome_zarr_store import ImageStore
from labelcollections.storage.publish import aside, location_exists, remove_leftovers, withdraw
from labelcollections.storage.tables import withdraw_tables

JOURNAL_DIR = "journal"


@dataclass(frozen=True)
class Intent:
    """A change about to be published: of the image with this id and name, new or not."""

    image_id: str
    image_name: str
    new_image: bool = False


@contextmanager
def publishing(repo: RepositoryContext, intent: Intent) -> Iterator[CatalogWriter]:
    """The image's write transaction, with ``intent`` on record until it commits."""
    record = _record(repo, intent)
    try:
        try:
            with repo.catalog.writing(intent.image_name) as writer:
                yield writer
        except BaseException:
            roll_back(repo, intent)
            raise
    finally:
        record.unlink(missing_ok=True)
        _release(record)


def recover(repo: RepositoryContext) -> list[Intent]:
    """Roll back the changes of writers that died while publishing; return their intents."""
    folder = repo.root / JOURNAL_DIR
    recovered = []
    records = sorted(folder.glob("[!.]*.json")) if folder.is_dir() else []
    for path in records:
        with suppress(FileNotFoundError):
            descriptor = os.open(path, os.O_RDONLY)
            try:
                if not _try_lock(descriptor) or os.fstat(descriptor).st_nlink == 0:
                    continue  # its writer is alive, or another process recovered it
                intent = Intent(**json.loads(path.read_text(encoding="utf-8")))
                roll_back(repo, intent)
                path.unlink(missing_ok=True)
                recovered.append(intent)
            finally:
                os.close(descriptor)
    return recovered


def roll_back(repo: RepositoryContext, intent: Intent) -> None:
    """Make the image's store show what the catalog committed, and nothing else."""
    destination = repo.layout.store_path(intent.image_name)
    with repo.catalog.writing(intent.image_name) as writer:
        reference = writer.image(intent.image_id)
        if reference is None:
            if intent.new_image and _holds_image(str(destination), intent.image_id):
                withdraw(destination)
            return
        if location_exists(destination):
            _reconcile_store(writer, ImageStore.open(str(destination), writable=True), reference)


def _reconcile_store(writer: CatalogWriter, store: ImageStore, reference: ReferenceImage) -> None:
    labels = writer.label_images(reference.id)
    if not is_url(store.location):
        remove_leftovers(Path(store.location))
    store.withdraw_label_groups(keep={path for _, path in labels})
    tables = {record.name for label, _ in labels for record in writer.tables(label.id)}
    withdraw_tables(store, keep=tables)
    reconcile_documents(store, reference, writer.collections(reference.id), labels)


def _holds_image(store: str, image_id: str) -> bool:
    """Whether ``store`` is the store of the image ``image_id`` (never another one's)."""
    try:
        return bool(ImageStore.open(store).ours.get("image", {}).get("id") == image_id)
    except Exception:  # no store there, or none that can be read
        return False


# -- the records -------------------------------------------------------------------------------

_held: dict[Path, int] = {}
"""The lock of each record this process holds (the descriptor keeps the lock)."""


def _record(repo: RepositoryContext, intent: Intent) -> Path:
    """Write the intent and lock it before it appears under its name, so that no other
    process ever finds it unlocked while this one lives."""
    folder = repo.root / JOURNAL_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.json"
    temporary = aside(path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    os.write(descriptor, json.dumps(asdict(intent)).encode())
    os.fsync(descriptor)
    os.rename(temporary, path)
    _held[path] = descriptor
    return path


def _release(path: Path) -> None:
    descriptor = _held.pop(path, None)
    if descriptor is not None:
        os.close(descriptor)


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
