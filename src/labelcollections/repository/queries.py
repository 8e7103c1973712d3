"""Queries over the catalog: label images by provenance, type, class, …, and lineage."""

from __future__ import annotations

from typing import Any

from labelcollections.catalog import LabelImageFilter
from labelcollections.model.images import LabelImage
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.references import label_image


def find(
    repo: RepositoryContext, query: LabelImageFilter | None = None, **conditions: Any
) -> list[LabelImage]:
    """Label images matching every condition (see :class:`LabelImageFilter`)."""
    return repo.catalog.find(query or LabelImageFilter(**conditions))


def lineage(repo: RepositoryContext, label_reference: str) -> list[LabelImage]:
    """Ancestors, the label image itself and its descendants along ``derived_from``."""
    return repo.catalog.lineage(label_image(repo, label_reference).id)
