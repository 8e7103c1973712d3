"""Finding images, label images and collections by what users type.

Label images and collections follow the grammar of :mod:`labelcollections.model.references`,
looked up by the catalog's indexes (``catalog.lookups``); images are named by their name or id.
"""

from __future__ import annotations

from labelcollections.errors import NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.references import choose
from labelcollections.repository.context import RepositoryContext


def image(repo: RepositoryContext, name_or_id: str) -> ReferenceImage:
    """A reference image by name or id."""
    found = repo.catalog.image(name_or_id)
    if found is None:
        raise NotFoundError(name_or_id, "image", f"an image of the repository at {repo.root}")
    return found


def label_image(
    repo: RepositoryContext, reference: str, image_name: str | None = None
) -> LabelImage:
    """A label image by ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``
    (among the label images of ``image_name`` only, if given)."""
    image_id = image(repo, image_name).id if image_name is not None else None
    return choose(
        reference,
        repo.catalog.label_matches(reference, image_id),
        "label image",
        "<id>, <name>@<version> or <image>/<name>@<version> of a label image in the repository",
    )


def collection(
    repo: RepositoryContext, reference: str, image_name: str | None = None
) -> LabelCollection:
    """A collection by ``<id>``, ``<name>`` or ``<image>/<name>`` (among the collections of
    ``image_name`` only, if given)."""
    image_id = image(repo, image_name).id if image_name else None
    return choose(
        reference,
        repo.catalog.collection_matches(reference, image_id),
        "collection",
        "<id>, <name> or <image>/<name> of a collection in the repository",
    )
