"""Collections: their documents beside the image, membership, and the OMERO id they got."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelcollections import __version__
from labelcollections.catalog import CatalogWriter
from labelcollections.errors import InputError
from labelcollections.formats.collection_document import document_paths, to_document
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import check_display_name, new_id, unique_slug
from labelcollections.model.provenance import Provenance, utc_now
from labelcollections.model.vocabulary import Method
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.references import collection, image, label_image
from labelcollections.storage.ome_zarr_store import ImageStore


def collections(repo: RepositoryContext, image_name: str | None = None) -> list[LabelCollection]:
    """Every collection, or those of one image."""
    image_id = image(repo, image_name).id if image_name else None
    return repo.catalog.collections(image_id)


def add_to_collection(
    repo: RepositoryContext, label_reference: str, collection_name: str
) -> LabelCollection:
    """Make an existing label image a member of another collection of the same image."""
    label = label_image(repo, label_reference)
    reference = image(repo, label.image_id)
    with repo.catalog.writing(reference.name) as writer:
        target = collection_or_new(
            reference,
            collection_name,
            Provenance(method=Method.MANUAL, software="labelcollections"),
            writer.collections(reference.id),
        )
        if target.image_id != label.image_id:
            raise InputError(collection_name, "collection", "label images of one reference image")
        updated = target.with_member(label.id)
        save_collection(writer, repo.store(reference, writable=True), updated, reference)
    return updated


def set_omero_collection_id(
    repo: RepositoryContext, collection_id: str, omero_id: int
) -> LabelCollection:
    """Record the OMERO id a collection got when it was pushed, so pushes stay updates."""
    reference = image(repo, collection(repo, collection_id).image_id)
    with repo.catalog.writing(reference.name) as writer:
        current = collection(repo, collection_id)
        updated = current.model_copy(update={"omero_collection_id": omero_id})
        if updated != current:
            save_collection(writer, repo.store(reference, writable=True), updated, reference)
    return updated


def save_collection(
    writer: CatalogWriter, store: ImageStore, item: LabelCollection, reference: ReferenceImage
) -> None:
    """Write a collection's document from the label images indexed now, and index it (inside
    the image's write transaction, so concurrent writers never lose each other's members)."""
    write_collection(store, item, reference, writer.label_images(reference.id))
    writer.put_collection(item)


def collection_document(repo: RepositoryContext, item: LabelCollection) -> dict[str, Any]:
    """The collection's RFC-8 document, exactly as the repository writes it beside the image."""
    reference = image(repo, item.image_id)
    stored = repo.catalog.label_images(reference.id)
    return document_of(item, reference, stored)


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


def document_file(store: ImageStore, item: LabelCollection) -> str:
    """The file name (without ``.json``) of a collection's document in ``store``."""
    files = store.collection_names()
    for name in files:
        ome = store.collection_document(name).get("ome", {})
        if isinstance(ome, dict) and ome.get("id") == item.id:
            return name
    return unique_slug(item.name, frozenset(files))


def collection_or_new(
    reference: ReferenceImage,
    name: str,
    provenance: Provenance,
    existing: Sequence[LabelCollection] = (),
) -> LabelCollection:
    """The collection of ``reference`` named ``name`` among ``existing``, or a new empty one
    made by ``provenance``'s author."""
    for known in existing:
        if known.name == name:
            return known
    check_display_name(name, "collection name")
    return LabelCollection(
        id=new_id(),
        name=name,
        image_id=reference.id,
        provenance=Provenance(
            method=Method.MANUAL,
            software="labelcollections",
            software_version=__version__,
            author=provenance.author,
            created=utc_now(),
        ),
    )
