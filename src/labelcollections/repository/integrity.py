"""Checking that the pixels still match their recorded hashes, and rebuilding the catalog from
the stores (the stores are the truth; the catalog is only their index)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelcollections.catalog import Catalog, CatalogEntry, SchemaState
from labelcollections.errors import DamagedError, InputError, NotFoundError
from labelcollections.formats.collection_document import from_document
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.parsing import validate_model
from labelcollections.model.plates import Plate
from labelcollections.model.provenance import utc_now
from labelcollections.progress import Progress
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.layout import CATALOG_FILE, Layout
from labelcollections.repository.tables import table_record
from labelcollections.storage.locations import read_json
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key, stored_hash
from labelcollections.storage.publish import Location, remove_leftovers
from labelcollections.storage.split import Runner
from labelcollections.storage.tables import read_table, table_attributes, table_names

StoredEntries = dict[str, tuple[Location, CatalogEntry]]
"""What the stores hold, by image id: where each store is, and its catalog entry."""


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


def verify(repo: RepositoryContext, runner: Runner | None = None) -> list[VerifyProblem]:
    """Check the repository: every store is readable and indexed as it is, and every image
    and label image still hashes to its recorded hash; ``runner`` computes the hashes (here,
    one after another, by default)."""
    stored, problems = _read_stores(repo)
    problems += _index_differences(repo, {key: entry for key, (_, entry) in stored.items()})
    checks: list[tuple[str, str | None]] = []
    arrays: list[tuple[str, str]] = []
    for location, (reference, _, labels, _, _) in stored.values():
        checks.append((f"image {reference.name}", reference.content_hash))
        arrays.append((reference.source or str(location), reference.levels[0].path))
        for label, path in labels:
            what = f"label image {reference.name}/{label.key}"
            checks.append((what, label.provenance.content_hash))
            arrays.append((str(location), join_key("labels", path, label.levels[0].path)))
            if label.provenance.reference_hash not in (None, reference.content_hash):
                problems.append(
                    VerifyProblem(
                        f"{what} (reference pixels)",
                        label.provenance.reference_hash,
                        str(reference.content_hash),
                    )
                )
    with repo.progress.task("Verifying pixels", len(arrays)) as advance:
        found = (runner or _here)(checked_hash, arrays)
        advance(len(arrays))
    for (what, recorded), (actual, unreadable) in zip(checks, found, strict=True):
        if unreadable is not None:
            problems.append(VerifyProblem(what, recorded, unreadable, "unreadable"))
        elif actual != recorded:
            problems.append(VerifyProblem(what, recorded, str(actual)))
    return problems


def checked_hash(location: str, key: str) -> tuple[str | None, str | None]:
    """``(content hash, None)`` of an array, or ``(None, why)`` when it cannot be read (a
    function of plain arguments, so it runs anywhere: a thread, a Dask worker)."""
    try:
        return stored_hash(location, key), None
    except InputError as error:
        return None, str(error)


def _here(function: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> list[Any]:
    return [function(*item) for item in items]


def _read_stores(repo: RepositoryContext) -> tuple[StoredEntries, list[VerifyProblem]]:
    """Every store's catalog entry, and what could not be read as problems."""
    stored: StoredEntries = {}
    problems: list[VerifyProblem] = []
    for location in repo.layout.stores():
        try:
            found = _store_entry(repo, location)
        except InputError as error:
            problems.append(
                VerifyProblem(repo.layout.relative(location), None, str(error), "unreadable")
            )
            continue
        if found is not None:
            entry, skipped = found
            stored[entry[0].id] = (location, entry)
            problems += [VerifyProblem(what, None, why, "unreadable") for what, why in skipped]
    return stored, problems


def _plates(repo: RepositoryContext, notes: list[str]) -> list[Plate]:
    """The plate records of the repository; one that cannot be read is left out with a note."""
    plates = []
    for path in sorted(repo.layout.plates_dir.glob("*.json")):
        try:
            document = read_json(str(path))
            record = document.get("plate") if isinstance(document, dict) else None
            plates.append(validate_model(Plate, record, str(path), "plate"))
        except InputError as error:
            notes.append(f"left out {repo.layout.relative(path)}: {error}")
    return plates


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
    if repo.layout.store_url is None:
        remove_leftovers(repo.layout.images_dir)
    stored, problems = _read_stores(repo)
    notes = [f"left out {problem.what}: {problem.actual}" for problem in problems]
    entries = [entry for _, entry in stored.values()]
    indexed = {label.id for entry in entries for label, _ in entry[2]}
    entries = [_without_missing_labels(entry, indexed, notes) for entry in entries]
    repo.catalog.rebuild(entries, _plates(repo, notes))
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
    repo: RepositoryContext, directory: Location
) -> tuple[CatalogEntry, list[tuple[str, str]]] | None:
    """What an image store holds, as the catalog indexes it, and the label groups and tables
    left out because they cannot be read (``(what, why)``); None for the leftover of an
    interrupted write on object storage (a store not published yet has no image record)."""
    store = ImageStore.open(str(directory))
    if repo.layout.store_url is not None and "image" not in store.ours:
        return None
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
