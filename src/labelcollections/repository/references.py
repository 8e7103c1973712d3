"""Finding images, label images and collections by what users type (names, ids, references)."""

from __future__ import annotations

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.references import choose_label
from labelcollections.repository.context import RepositoryContext


def image(repo: RepositoryContext, name_or_id: str) -> ReferenceImage:
    """A reference image by name or id."""
    for candidate, _ in repo.catalog.images():
        if name_or_id in (candidate.name, candidate.id):
            return candidate
    raise NotFoundError(name_or_id, "image", f"an image of the repository at {repo.root}")


def label_image(
    repo: RepositoryContext, reference: str, image_name: str | None = None
) -> LabelImage:
    """Find a label image by id, ``name@version``, ``image/name@version`` or a unique name."""
    if "/" in reference and image_name is None:
        image_name, reference = reference.split("/", 1)
    image_id = image(repo, image_name).id if image_name is not None else None
    label, _ = choose_label(
        reference,
        repo.catalog.label_images(image_id),
        "an id or name@version in the repository",
    )
    return label


def collection(
    repo: RepositoryContext, name: str, image_name: str | None = None
) -> LabelCollection:
    """A collection by name or id (``image_name`` tells which image's when names repeat)."""
    image_id = image(repo, image_name).id if image_name else None
    matches = [c for c in repo.catalog.collections(image_id) if name in (c.name, c.id)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(name, "collection", "an existing collection name or id")
    raise InputError(name, "collection", "a name used by one image only (give the image)")
