"""Checking that the pixels still match their recorded hashes, and rebuilding the catalog from
the stores (the stores are the truth; the catalog is only their index)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelcollections.catalog import Catalog, CatalogEntry, SchemaState
from labelcollections.errors import NotFoundError
from labelcollections.formats.collection_document import from_document
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate
from labelcollections.progress import Progress
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.images import images
from labelcollections.repository.labels import label_images
from labelcollections.repository.layout import Layout
from labelcollections.repository.tables import table_record
from labelcollections.storage.locations import read_json
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key, stored_hash
from labelcollections.storage.publish import remove_leftovers
from labelcollections.storage.split import Runner
from labelcollections.storage.tables import read_table, table_attributes, table_names


@dataclass(frozen=True)
class VerifyProblem:
    """A recorded hash that the pixels no longer match."""

    what: str
    recorded: str | None
    actual: str


def _here(function: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> list[Any]:
    return [function(*item) for item in items]


def verify(repo: RepositoryContext, runner: Runner | None = None) -> list[VerifyProblem]:
    """Re-hash every image and label image and report what no longer matches; ``runner``
    computes the hashes (here, one after another, by default)."""
    references = images(repo)
    labels = label_images(repo)
    names = {reference.id: reference.name for reference in references}
    by_id = {reference.id: reference for reference in references}
    checks: list[tuple[str, str | None]] = []
    arrays: list[tuple[Any, ...]] = []
    for reference in references:
        checks.append((f"image {reference.name}", reference.content_hash))
        location = reference.source or str(repo.store_location(reference))
        arrays.append((location, reference.levels[0].path))
    for label in labels:
        checks.append(
            (f"label image {names[label.image_id]}/{label.key}", label.provenance.content_hash)
        )
        store = str(repo.store_location(by_id[label.image_id]))
        arrays.append((store, join_key("labels", repo.label_path(label), label.levels[0].path)))
    with repo.progress.task("Verifying pixels", len(arrays)) as advance:
        found = (runner or _here)(stored_hash, arrays)
        advance(len(arrays))
    problems = [
        VerifyProblem(what, recorded, actual)
        for (what, recorded), actual in zip(checks, found, strict=True)
        if actual != recorded
    ]
    for label in labels:
        recorded = by_id[label.image_id].content_hash
        if label.provenance.reference_hash not in (None, recorded):
            problems.append(
                VerifyProblem(
                    f"label image {names[label.image_id]}/{label.key} (reference pixels)",
                    label.provenance.reference_hash,
                    str(recorded),
                )
            )
    return problems


def reindex(repo: RepositoryContext) -> None:
    """Rebuild the catalog from the stores, dropping leftovers of interrupted writes.

    The stores are read while the whole catalog is held, so no writer publishes between the
    reading and the indexing.
    """
    if repo.layout.store_url is None:
        remove_leftovers(repo.layout.images_dir)
    plates = [
        Plate.model_validate(read_json(str(path))["plate"])
        for path in sorted(repo.layout.plates_dir.glob("*.json"))
    ]
    repo.catalog.rebuild(_store_entries(repo), plates)


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


def _store_entries(repo: RepositoryContext) -> Iterator[CatalogEntry]:
    """What each image store holds, as the catalog indexes it."""
    for directory in repo.layout.stores():
        store = ImageStore.open(str(directory))
        if "image" not in store.ours:
            continue  # a leftover of an interrupted write on object storage
        reference = ReferenceImage.model_validate(store.ours["image"])
        labels = []
        for path in store.label_paths():
            ours = store.group_attributes(join_key("labels", path)).get(OUR_KEY, {})
            labels.append((LabelImage.model_validate(ours["label_image"]), path))
        collections = [
            from_document(store.collection_document(c), str(directory)).collection
            for c in store.collection_names()
        ]
        tables = [
            table_record(name, table_attributes(store, name), read_table(store, name))
            for name in table_names(store)
        ]
        yield reference, repo.layout.relative(directory), labels, collections, tables
