"""The pixels of images and label images, level by level, as lazily read Zarr arrays."""

from __future__ import annotations

from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.references import image
from labelcollections.storage.ome_zarr_store import ImageStore, ZarrArray, join_key


def image_levels(repo: RepositoryContext, reference: ReferenceImage) -> list[ZarrArray]:
    """The reference pixels, level by level (read from the source if registered)."""
    store = ImageStore.open(reference.source) if reference.source else repo.store(reference)
    return [store.array(level.path) for level in reference.levels]


def label_levels(repo: RepositoryContext, label: LabelImage) -> list[ZarrArray]:
    """The label pixels, level by level."""
    store = repo.store(image(repo, label.image_id))
    path = repo.label_path(label)
    return [store.array(join_key("labels", path, level.path)) for level in label.levels]
