"""References as users type them, one grammar in every home of label collections.

* a label image: ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``;
* a collection: ``<id>``, ``<name>`` or ``<image>/<name>``.

A reference is compared with the forms of every candidate as a whole, so display names may
hold any character (``/`` and ``@`` included); a reference that fits several objects is an
error listing each of them in its qualified form, the one that always tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage

T = TypeVar("T")


def label_reference(label: LabelImage, image_name: str) -> str:
    """The qualified reference of a label image: ``<image>/<name>@<version>``."""
    return f"{image_name}/{label.key}"


def collection_reference(collection: LabelCollection, image_name: str) -> str:
    """The qualified reference of a collection: ``<image>/<name>``."""
    return f"{image_name}/{collection.name}"


def choose_label(
    reference: str, candidates: Iterable[tuple[LabelImage, str, T]], expected: str
) -> tuple[LabelImage, T]:
    """The one ``(label image, image name, extra)`` candidate that ``reference`` names, as
    ``(label image, extra)``; ``expected`` says where it was looked for."""
    return _choose(
        reference,
        (
            (
                (label.id, label.key, label_reference(label, image)),
                label_reference(label, image),
                (label, extra),
            )
            for label, image, extra in candidates
        ),
        "label image",
        expected,
    )


def choose_collection(
    reference: str, candidates: Iterable[tuple[LabelCollection, str]], expected: str
) -> LabelCollection:
    """The one ``(collection, image name)`` candidate that ``reference`` names."""
    return _choose(
        reference,
        (
            ((c.id, c.name, collection_reference(c, image)), collection_reference(c, image), c)
            for c, image in candidates
        ),
        "collection",
        expected,
    )


def _choose(
    reference: str,
    candidates: Iterable[tuple[tuple[str, ...], str, T]],
    what: str,
    expected: str,
) -> T:
    matches = [(qualified, value) for forms, qualified, value in candidates if reference in forms]
    if len(matches) == 1:
        return matches[0][1]
    if not matches:
        raise NotFoundError(reference, what, expected)
    names = " or ".join(sorted(qualified for qualified, _ in matches))
    raise InputError(reference, what, f"a reference to one {what}; give one of {names}")
