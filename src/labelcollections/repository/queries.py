"""Queries over the catalog: label images by provenance, type, class, …, and lineage."""

from __future__ import annotations

from typing import Any

from labelcollections.catalog import FindPage, LabelImageFilter
from labelcollections.model.images import LabelImage
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.references import label_image


def find(
    repo: RepositoryContext, query: LabelImageFilter | None = None, **conditions: Any
) -> list[LabelImage]:
    """Label images matching every condition (see :class:`LabelImageFilter`)."""
    return repo.catalog.find(query or LabelImageFilter(**conditions)).labels


def find_page(
    repo: RepositoryContext,
    query: LabelImageFilter | None = None,
    *,
    limit: int | None,
    cursor: str | None = None,
    exact_total: bool = False,
    **conditions: Any,
) -> FindPage:
    """One page of :func:`find`: at most ``limit`` label images (all without) after ``cursor``
    (the previous page's ``next_cursor``), with the number of matches in all: exact up to
    ``TOTAL_CAP`` (10,000), beyond which ``total_exact`` is False unless ``exact_total``
    asks to count every match."""
    return repo.catalog.find(query or LabelImageFilter(**conditions), limit, cursor, exact_total)


def lineage(repo: RepositoryContext, label_reference: str) -> list[LabelImage]:
    """Ancestors, the label image itself and its descendants along ``derived_from``."""
    return repo.catalog.lineage(label_image(repo, label_reference).id)
