"""References to label images as users type them: an id, ``name@version`` or a unique name.

Every home of label images (the repository, OMERO) resolves references through
:func:`choose_label`, so the same words name the same label image everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.images import LabelImage

T = TypeVar("T")


def choose_label(
    reference: str, candidates: Iterable[tuple[LabelImage, T]], expected: str
) -> tuple[LabelImage, T]:
    """The one candidate ``reference`` names; ``expected`` says where it was looked for.

    An id or ``name@version`` wins over a bare name; several matches are an error that lists
    them.
    """
    matches = [
        (label, extra)
        for label, extra in candidates
        if reference in (label.id, label.key, label.name)
    ]
    exact = [match for match in matches if reference in (match[0].id, match[0].key)]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(reference, "label image", expected)
    keys = ", ".join(sorted(label.key for label, _ in matches))
    raise InputError(reference, "label image", f"one label image, not several ({keys})")
