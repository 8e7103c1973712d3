"""Checking that the pixels still match their recorded hashes, and rebuilding the catalog from
the stores (the stores are the truth; the catalog is only their index)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labelcollections.catalog import Catalog, CatalogEntry, SchemaState
from labelcollections.errors import NotFoundError
from labelcollections.formats.collection_document import from_document
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.progress import Progress
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.images import images
from labelcollections.repository.labels import label_images
from labelcollections.repository.layout import Layout
from labelcollections.repository.pixels import image_levels, label_levels
from labelcollections.repository.tables import table_record
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key
from labelcollections.storage.publish import remove_leftovers
from labelcollections.storage.tables import read_table, table_attributes, table_names


@dataclass(frozen=True)
class VerifyProblem:
    """A recorded hash that the pixels no longer match."""

    what: str
    recorded: str | None
    actual: str


def verify(repo: RepositoryContext) -> list[VerifyProblem]:
    """Re-hash every image and label image and report what no longer matches."""
    problems = []
    references = images(repo)
    labels = label_images(repo)
    names = {reference.id: reference.name for reference in references}
    hashes = {reference.id: reference.content_hash for reference in references}
    with repo.progress.task("Verifying pixels", len(references) + len(labels)) as advance:
        for reference in references:
            actual = content_hash(image_levels(repo, reference)[0])
            if actual != reference.content_hash:
                problems.append(
                    VerifyProblem(f"image {reference.name}", reference.content_hash, actual)
                )
            advance(1)
        for label in labels:
            what = f"label image {names[label.image_id]}/{label.key}"
            actual = content_hash(label_levels(repo, label)[0])
            if actual != label.provenance.content_hash:
                problems.append(VerifyProblem(what, label.provenance.content_hash, actual))
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


def reindex(repo: RepositoryContext) -> None:
    """Rebuild the catalog from the stores, dropping leftovers of interrupted writes.

    The stores are read while the whole catalog is held, so no writer publishes between the
    reading and the indexing.
    """
    remove_leftovers(repo.layout.images_dir)
    repo.catalog.rebuild(_store_entries(repo))


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
