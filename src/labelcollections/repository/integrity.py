"""Checking that the pixels still match their recorded hashes, and rebuilding the catalog from
the stores (the stores are the truth; the catalog is only their index)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from labelcollections.catalog import Catalog, CatalogEntry, SchemaState
from labelcollections.errors import DamagedError, InputError, NotFoundError
from labelcollections.formats.collection_document import from_document
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.parsing import validate_model
from labelcollections.model.provenance import utc_now
from labelcollections.progress import Progress
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.layout import CATALOG_FILE, Layout
from labelcollections.repository.pixels import image_levels, label_levels
from labelcollections.repository.tables import table_record
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key
from labelcollections.storage.publish import remove_leftovers
from labelcollections.storage.tables import read_table, table_attributes, table_names

T = TypeVar("T")


@dataclass(frozen=True)
class VerifyProblem:
    """What ``verify`` found wrong: pixels that no longer match their recorded hash
    (``mismatch``), something that cannot be read (``unreadable``), or a catalog that does not
    index what the stores hold (``catalog``)."""

    what: str
    recorded: str | None
    actual: str
    kind: str = "mismatch"

    def describe(self) -> str:
        """One line for people."""
        if self.kind == "mismatch":
            return f"mismatch: {self.what}: recorded {self.recorded}, found {self.actual}"
        return f"{self.kind}: {self.what}: {self.actual}"


def verify(repo: RepositoryContext) -> list[VerifyProblem]:
    """Check the repository: every store is readable and indexed as it is, and every image
    and label image still hashes to its recorded hash."""
    stored: dict[str, CatalogEntry] = {}
    problems: list[VerifyProblem] = []
    for directory in repo.layout.stores():
        try:
            entry, skipped = _store_entry(repo, directory)
        except InputError as error:
            problems.append(
                VerifyProblem(repo.layout.relative(directory), None, str(error), "unreadable")
            )
            continue
        stored[entry[0].id] = entry
        problems += [VerifyProblem(what, None, why, "unreadable") for what, why in skipped]
    problems += _index_differences(repo, stored)
    references = [entry[0] for entry in stored.values()]
    labels = [label for entry in stored.values() for label, _ in entry[2]]
    names = {reference.id: reference.name for reference in references}
    hashes = {reference.id: reference.content_hash for reference in references}
    with repo.progress.task("Verifying pixels", len(references) + len(labels)) as advance:
        for reference in references:
            problems += _hash_problem(
                f"image {reference.name}", reference.content_hash, image_levels, repo, reference
            )
            advance(1)
        for label in labels:
            what = f"label image {names[label.image_id]}/{label.key}"
            problems += _hash_problem(
                what, label.provenance.content_hash, label_levels, repo, label
            )
            recorded = hashes[label.image_id]
            if label.provenance.reference_hash not in (None, recorded):
                problems.append(
                    VerifyProblem(
                        f"{what} (reference pixels)",
                        label.provenance.reference_hash,
                        str(recorded),
                    )
                )
            advance(1)
    return problems


def _hash_problem(
    what: str,
    recorded: str | None,
    levels: Callable[[RepositoryContext, T], list[Any]],
    repo: RepositoryContext,
    item: T,
) -> list[VerifyProblem]:
    """The problem with ``item``'s level-0 pixels, if any."""
    try:
        actual = content_hash(levels(repo, item)[0])
    except InputError as error:
        return [VerifyProblem(what, recorded, str(error), "unreadable")]
    return [] if actual == recorded else [VerifyProblem(what, recorded, actual)]


def _index_differences(
    repo: RepositoryContext, stored: dict[str, CatalogEntry]
) -> list[VerifyProblem]:
    """Where the catalog does not index what the stores hold (``reindex`` mends it)."""
    problems = []
    indexed = {reference.id: reference for reference, _ in repo.catalog.images()}
    for image_id in sorted(indexed.keys() - stored.keys()):
        problems.append(
            VerifyProblem(
                f"image {indexed[image_id].name}", None, "indexed, but its store is gone", "catalog"
            )
        )
    for image_id, (reference, _, labels, collections, tables) in sorted(stored.items()):
        if image_id not in indexed:
            problems.append(
                VerifyProblem(
                    f"image {reference.name}",
                    None,
                    "in a store the catalog does not index (run reindex)",
                    "catalog",
                )
            )
            continue
        with repo.catalog.reading() as reader:
            catalog_labels = {label.id for label, _ in reader.label_images(image_id)}
            catalog_collections = {(c.id, c.members) for c in reader.collections(image_id)}
            catalog_tables = {
                record.name for label_id in catalog_labels for record in reader.tables(label_id)
            }
        differences: dict[str, set[Any]] = {
            "label images": {label.id for label, _ in labels} ^ catalog_labels,
            "collections": {(c.id, c.members) for c in collections} ^ catalog_collections,
            "tables": {record.name for record in tables} ^ catalog_tables,
        }
        for part, differing in differences.items():
            if differing:
                problems.append(
                    VerifyProblem(
                        f"image {reference.name}",
                        None,
                        f"the catalog's {part} differ from the store's ({len(differing)};"
                        " run reindex)",
                        "catalog",
                    )
                )
    return problems


def reindex(repo: RepositoryContext) -> list[str]:
    """Rebuild the catalog from the stores, dropping leftovers of interrupted writes; return
    notes on what could not be read and was left out.

    The stores are read while the whole catalog is held, so no writer publishes between the
    reading and the indexing.
    """
    remove_leftovers(repo.layout.images_dir)
    notes: list[str] = []
    entries = []
    for directory in repo.layout.stores():
        try:
            entry, skipped = _store_entry(repo, directory)
        except InputError as error:
            notes.append(f"left out {repo.layout.relative(directory)}: {error}")
            continue
        entries.append(entry)
        notes += [f"left out {what}: {why}" for what, why in skipped]
    indexed = {label.id for entry in entries for label, _ in entry[2]}
    entries = [_without_missing_labels(entry, indexed, notes) for entry in entries]
    repo.catalog.rebuild(entries)
    return notes


def _without_missing_labels(
    entry: CatalogEntry, indexed: set[str], notes: list[str]
) -> CatalogEntry:
    """The entry without collection members and tables that name label images left out."""
    reference, path, labels, collections, tables = entry
    kept_collections = []
    for collection in collections:
        missing = [member for member in collection.members if member not in indexed]
        if missing:
            notes.append(
                f"collection {reference.name}/{collection.name}: left out members "
                f"{', '.join(missing)} (their label images were left out)"
            )
            collection = collection.model_copy(
                update={"members": tuple(m for m in collection.members if m in indexed)}
            )
        kept_collections.append(collection)
    kept_tables = []
    for table in tables:
        named = {table.label_image_id}
        if table.correspondence is not None:
            named |= {table.correspondence.a_id, table.correspondence.b_id}
        if named <= indexed:
            kept_tables.append(table)
        else:
            notes.append(f"left out table {path}/tables/{table.name}: its label image was left out")
    return reference, path, labels, kept_collections, kept_tables


def rebuild_catalog(path: str | Path, progress: Progress | None = None) -> list[str]:
    """``reindex`` whatever state the catalog is in: a catalog file that cannot be read is
    moved aside (``catalog.sqlite.damaged-<time>``) and a new catalog made; return the notes."""
    layout = Layout(Path(path).expanduser().resolve())
    if not layout.marker.is_file():
        raise NotFoundError(str(layout.root), "repository", "a folder made by 'init'")
    recorded = layout.recorded()
    url = layout.catalog_url(recorded)
    try:
        Catalog(url, owner=recorded.get("id")).close()
    except DamagedError:
        damaged = layout.root / CATALOG_FILE
        if damaged.is_file() and url.startswith("sqlite"):
            damaged.rename(damaged.with_name(f"{CATALOG_FILE}.damaged-{utc_now():%Y%m%dT%H%M%S}"))
        Catalog.upgrade(url, owner=recorded.get("id"))
    repo = RepositoryContext(layout.root, progress)
    try:
        return reindex(repo)
    finally:
        repo.close()


def upgrade_catalog(path: str | Path, progress: Progress | None = None) -> SchemaState:
    """Bring a repository's catalog to the current schema; return its state before.

    A catalog that is missing, empty or made before schema versions is rebuilt from the stores.
    """
    layout = Layout(Path(path).expanduser().resolve())
    if not layout.marker.is_file():
        raise NotFoundError(str(layout.root), "repository", "a folder made by 'init'")
    recorded = layout.recorded()
    before = Catalog.upgrade(layout.catalog_url(recorded), owner=recorded.get("id"))
    if before in (SchemaState.EMPTY, SchemaState.UNVERSIONED):
        repo = RepositoryContext(layout.root, progress)
        try:
            reindex(repo)
        finally:
            repo.close()
    return before


def _store_entry(
    repo: RepositoryContext, directory: Path
) -> tuple[CatalogEntry, list[tuple[str, str]]]:
    """What an image store holds, as the catalog indexes it, and the label groups and tables
    left out because they cannot be read (``(what, why)``)."""
    store = ImageStore.open(str(directory))
    reference = validate_model(
        ReferenceImage, store.ours.get("image"), str(directory), f"{OUR_KEY}.image"
    )
    skipped: list[tuple[str, str]] = []
    labels = []
    for path in store.label_paths():
        where = join_key("labels", path)
        try:
            record = store.group_attributes(where).get(OUR_KEY, {}).get("label_image")
            label = validate_model(LabelImage, record, str(directory), f"{where}.{OUR_KEY}")
        except InputError as error:
            skipped.append((f"{repo.layout.relative(directory)}/{where}", str(error)))
            continue
        labels.append((label, path))
    collections = [
        from_document(store.collection_document(c), str(directory)).collection
        for c in store.collection_names()
    ]
    tables = []
    for name in table_names(store):
        try:
            tables.append(
                table_record(name, table_attributes(store, name), read_table(store, name))
            )
        except InputError as error:
            skipped.append((f"{repo.layout.relative(directory)}/tables/{name}", str(error)))
    entry = (reference, repo.layout.relative(directory), labels, collections, tables)
    return entry, skipped
