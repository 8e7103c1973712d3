"""References as users type them, one grammar in every home of label collections.

* a label image: ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``;
* a collection: ``<id>``, ``<name>`` or ``<image>/<name>``.

A reference is compared with the forms of every candidate as a whole, so display names may
hold any character (``/`` and ``@`` included); a reference that fits several objects is an
error listing them in their qualified form, the one that always tells them apart (the first
:data:`SHOWN_CANDIDATES` of them in the order of that form, and how many more there are).

Image names and versions hold neither ``/`` nor ``@`` (``model.names.NAME_PATTERN``), so a
reference can be each form in one way only: a version follows the *last* ``@``, an image name
precedes the *first* ``/``. :func:`label_forms` and :func:`collection_forms` give those
readings, for a catalog to look each one up by index instead of comparing every candidate;
:func:`choose` turns what was found (:class:`Matches`) into the one object or the error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.images import LabelImage

T = TypeVar("T")

SHOWN_CANDIDATES = 10
"""How many candidates an ambiguous reference's error lists; it counts the others."""


@dataclass(frozen=True)
class LabelForms:
    """The readings of a label image reference: the label image with this ``id``, those with
    this ``key`` (name, version) and the one with this ``qualified`` (image name, name,
    version); a reading the reference cannot be is None."""

    id: str
    key: tuple[str, str] | None
    qualified: tuple[str, str, str] | None


@dataclass(frozen=True)
class CollectionForms:
    """The readings of a collection reference: the collection with this id, those with this
    name (both the reference itself) and the one with this ``qualified`` (image name, name)."""

    reference: str
    qualified: tuple[str, str] | None


@dataclass(frozen=True)
class Matches(Generic[T]):
    """What a reference names: how many objects (``count``), the qualified references of the
    first :data:`SHOWN_CANDIDATES` in the order of those references, and the object itself
    when it is the only one (None otherwise: the others are never built)."""

    count: int
    first: tuple[str, ...]
    only: T | None = None


def label_forms(reference: str) -> LabelForms:
    """Every way ``reference`` can name a label image."""
    name, at, version = reference.rpartition("@")
    if not (at and name and version):
        return LabelForms(reference, None, None)
    image, slash, label_name = name.partition("/")
    qualified = (image, label_name, version) if slash and image and label_name else None
    return LabelForms(reference, (name, version), qualified)


def collection_forms(reference: str) -> CollectionForms:
    """Every way ``reference`` can name a collection."""
    image, slash, name = reference.partition("/")
    return CollectionForms(reference, (image, name) if slash and image and name else None)


def label_reference(label: LabelImage, image_name: str) -> str:
    """The qualified reference of a label image: ``<image>/<name>@<version>``."""
    return f"{image_name}/{label.key}"


def choose(reference: str, matches: Matches[T], what: str, expected: str) -> T:
    """The object ``reference`` names, if it names exactly one ``what`` (``expected`` says
    where it was looked for); else the error that says it names none, or which it names."""
    if matches.only is not None:
        return matches.only
    if not matches.count:
        raise NotFoundError(reference, what, expected)
    listed = " or ".join(matches.first)
    more = matches.count - len(matches.first)
    if more > 0:
        listed += f" (and {more:,} more)"
    raise InputError(reference, what, f"a reference to one {what}; give one of {listed}")


def choose_label(
    reference: str, candidates: Iterable[tuple[LabelImage, str, T]], expected: str
) -> tuple[LabelImage, T]:
    """The one ``(label image, image name, extra)`` candidate that ``reference`` names, as
    ``(label image, extra)``, comparing the forms of each; ``expected`` says where it was
    looked for."""
    found = [
        (label_reference(label, image), (label, extra))
        for label, image, extra in candidates
        if reference in (label.id, label.key, label_reference(label, image))
    ]
    first = tuple(sorted(qualified for qualified, _ in found)[:SHOWN_CANDIDATES])
    only = found[0][1] if len(found) == 1 else None
    return choose(reference, Matches(len(found), first, only), "label image", expected)
