"""Collection documents beside the image: ``collections/<slug>.json``, written from what the
catalog indexes, so a document always lists the members the catalog knows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from labelcollections.catalog import CatalogWriter
from labelcollections.formats.collection_document import document_paths, to_document
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import unique_slug
from labelcollections.storage.ome_zarr_store import ImageStore


def save_collection(
    writer: CatalogWriter, store: ImageStore, item: LabelCollection, reference: ReferenceImage
) -> None:
    """Write a collection's document from the label images indexed now, and index it (inside
    the image's write transaction, so concurrent writers never lose each other's members)."""
    write_collection(store, item, reference, writer.label_images(reference.id))
    writer.put_collection(item)


def document_of(
    item: LabelCollection,
    reference: ReferenceImage,
    stored: Sequence[tuple[LabelImage, str]],
) -> dict[str, Any]:
    """A collection's document; ``stored`` pairs the image's label images with their paths
    below ``labels/``."""
    labels = [label for label, _ in stored]
    return to_document(item, reference, labels, document_paths(reference.id, stored))


def write_collection(
    store: ImageStore,
    item: LabelCollection,
    reference: ReferenceImage,
    stored: Sequence[tuple[LabelImage, str]],
) -> None:
    """Write a collection's document into the image's store, at ``collections/<slug>.json``
    where the slug is that of its name (or the file it already has)."""
    store.write_collection_document(
        document_file(store, item), document_of(item, reference, stored)
    )


def reconcile_documents(
    store: ImageStore,
    reference: ReferenceImage,
    collections: Sequence[LabelCollection],
    stored: Sequence[tuple[LabelImage, str]],
) -> None:
    """Make the store's collection documents say what ``collections`` say: documents of
    collections that are not among them go, the others are rewritten where they differ."""
    wanted = {item.id: item for item in collections}
    for name in store.collection_names():
        document = store.collection_document(name)
        ome = document.get("ome", {}) if isinstance(document, dict) else {}
        identifier = ome.get("id") if isinstance(ome, dict) else None
        item = wanted.pop(identifier, None) if isinstance(identifier, str) else None
        expected = document_of(item, reference, stored) if item is not None else None
        if expected is None:
            store.remove_collection_document(name)
        elif document != json.loads(json.dumps(expected)):
            store.write_collection_document(name, expected)
    for item in wanted.values():
        write_collection(store, item, reference, stored)


def document_file(store: ImageStore, item: LabelCollection) -> str:
    """The file name (without ``.json``) of a collection's document in ``store``."""
    files = store.collection_names()
    for name in files:
        ome = store.collection_document(name).get("ome", {})
        if isinstance(ome, dict) and ome.get("id") == item.id:
            return name
    return unique_slug(item.name, frozenset(files))
