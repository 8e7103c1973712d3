"""Finding images, label images and collections by what users type.

Label images and collections follow the grammar of :mod:`labelcollections.model.references`;
images are named by their name or id.
"""

from __future__ import annotations

from labelcollections.errors import NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.references import choose_collection, choose_label
from labelcollections.repository.context import RepositoryContext


def image(repo: RepositoryContext, name_or_id: str) -> ReferenceImage:
    """A reference image by name or id."""
    found = repo.catalog.image(name_or_id)
    if found is None:
        raise NotFoundError(name_or_id, "image", f"an image of the repository at {repo.root}")
    return found


def image_names(repo: RepositoryContext) -> dict[str, str]:
    """Image names by image id."""
    return {candidate.id: candidate.name for candidate, _ in repo.catalog.images()}


def label_image(
    repo: RepositoryContext, reference: str, image_name: str | None = None
) -> LabelImage:
    """A label image by ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``
    (among the label images of ``image_name`` only, if given)."""
    image_id = image(repo, image_name).id if image_name is not None else None
    names = image_names(repo)
    label, _ = choose_label(
        reference,
        ((label, names[label.image_id], None) for label, _ in repo.catalog.label_images(image_id)),
        "<id>, <name>@<version> or <image>/<name>@<version> of a label image in the repository",
    )
    return label


def collection(
    repo: RepositoryContext, reference: str, image_name: str | None = None
) -> LabelCollection:
    """A collection by ``<id>``, ``<name>`` or ``<image>/<name>`` (among the collections of
    ``image_name`` only, if given)."""
    image_id = image(repo, image_name).id if image_name else None
    names = image_names(repo)
    return choose_collection(
        reference,
        ((c, names[c.image_id]) for c in repo.catalog.collections(image_id)),
        "<id>, <name> or <image>/<name> of a collection in the repository",
    )
