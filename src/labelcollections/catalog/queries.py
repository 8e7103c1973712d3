"""The catalog's queries: ``find`` with its filters and pages, and lineage.

Every query is one SQL statement (plus a count for ``find``) that both catalogs run with their
indexes: ``find`` pages by key (the last row's image name, name and version, kept in an opaque
cursor), never by offset, so page 1,000 costs what page 1 costs.

The total of a page is exact up to :data:`TOTAL_CAP` matches; beyond, it says "more than
``TOTAL_CAP``". A page is one walk of an index in listing order that stops after the page, but
an exact count visits every match: a quarter of a million matches take a second or more to
count where the page takes milliseconds. ``exact_total`` asks for the count of all matches.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    literal_column,
    select,
    tuple_,
    union,
)
from sqlalchemy.engine import Connection

from labelcollections.catalog.tables import (
    class_entry,
    collections,
    images,
    instance_summaries,
    label_class_names,
    label_images,
    listable,
    memberships,
)
from labelcollections.errors import InputError
from labelcollections.model.images import LabelImage
from labelcollections.model.plates import well_path
from labelcollections.model.provenance import parse_software

MAX_LINEAGE_DEPTH = 10_000
TOTAL_CAP = 10_000
"""``find`` counts matches up to this many unless asked for the exact total."""
ORDER = (label_images.c.image_name, label_images.c.name, label_images.c.version)
"""How ``find`` lists label images: by image name, then name, then version (unique)."""
CLASS_ORDER = (
    label_class_names.c.image_name,
    label_class_names.c.label_name,
    label_class_names.c.version,
)
"""The same key in ``label_class_names``."""
LISTING_KEY_FILTERS = frozenset({"class_name", "image", "name", "version"})
"""The filters that ``label_class_names`` can check by itself."""


@dataclass(frozen=True)
class LabelImageFilter:
    """What ``find`` matches; every given field must match (AND), text is case-insensitive."""

    method: str | None = None
    software: str | None = None
    author: str | None = None
    label_type: str | None = None
    version: str | None = None
    class_name: str | None = None
    image: str | None = None
    plate: str | None = None
    well: str | None = None
    collection: str | None = None
    name: str | None = None
    derived_from: str | None = None
    model_sha256: str | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    min_mean_area: float | None = None
    max_mean_area: float | None = None


@dataclass(frozen=True)
class FindPage:
    """One page of ``find``: its label images, how many match in all, and the cursor of the
    next page (None on the last).

    ``total_exact`` is False when counting stopped at :data:`TOTAL_CAP`: then more than
    ``total`` label images match.
    """

    labels: list[LabelImage]
    total: int
    next_cursor: str | None
    total_exact: bool = True

    @property
    def shown_total(self) -> str:
        """The total as people read it: ``12,345``, or ``10,000+`` when counting stopped."""
        return f"{self.total:,}" + ("" if self.total_exact else "+")


def fold(text: str | None) -> str | None:
    """The case-folded copy of text that case-insensitive filters compare (``*_folded``)."""
    return None if text is None else text.casefold()


def matching(query: LabelImageFilter, *columns: ColumnElement[Any]) -> Select[Any]:
    """``columns`` of the label images matching ``query``.

    A class filter with other filters than the listing key checks the class list
    (``class_names``) of the label images that the other filters leave, inside their index on
    PostgreSQL (``tables._filter_index``), in the table rows on SQLite: either costs less than
    a probe of the ten-million-row class index per candidate. A class alone, or with
    filters on the listing key (image, name, version), joins ``label_class_names`` on that
    key: it follows the class name in the class index, so either table may lead the join, and
    the class index alone yields the class's label images in listing order (the page orders by
    the class table's copy of the key, which SQLite then needs not sort).
    """
    statement = select(*columns).select_from(label_images).where(*filter_conditions(query))
    if not query.class_name:
        return statement
    folded = query.class_name.casefold()
    if not joins_class_names(query):
        entry = class_entry(folded)
        return statement.where(label_images.c.class_names.contains(entry, autoescape=True))
    names = label_class_names.c
    same_label = and_(*(named == column for named, column in zip(CLASS_ORDER, ORDER, strict=True)))
    return statement.join(label_class_names, same_label).where(names.name_folded == folded)


def joins_class_names(query: LabelImageFilter) -> bool:
    """Whether the class filter of ``query`` joins ``label_class_names`` (see
    :func:`matching`): it is alone or with filters on the listing key only, or it names a
    class the class lists cannot hold."""
    if not query.class_name:
        return False
    return _within_listing_key(query) or not listable(query.class_name.casefold())


def _within_listing_key(query: LabelImageFilter) -> bool:
    """Whether ``query`` filters on the listing key (image, name, version) and class only."""
    given = {field.name for field in fields(query) if getattr(query, field.name) is not None}
    return given <= LISTING_KEY_FILTERS


def _counted(query: LabelImageFilter) -> Select[Any]:
    """A row per match of ``query``, to count.

    A class filter whose only other filters are on the listing key (image, name, version)
    counts rows of the class index alone: it holds that key, and every row has its label
    image.
    """
    if not (query.class_name and _within_listing_key(query)):
        return matching(query, literal_column("1").label("found"))
    names = label_class_names.c
    key = zip(CLASS_ORDER, (query.image, query.name, query.version), strict=True)
    return select(literal_column("1").label("found")).where(
        names.name_folded == fold(query.class_name),
        *(column == value for column, value in key if value),
    )


def filter_conditions(query: LabelImageFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``label_images`` that ``query`` asks for (all but the class,
    which :func:`matching` joins)."""
    c = label_images.c
    conditions: list[ColumnElement[bool]] = []
    equal = [
        (c.method, query.method),
        (c.label_type, query.label_type),
        (c.version, query.version),
        (c.name, query.name),
        (c.derived_from, query.derived_from),
        (c.image_name, query.image),
    ]
    conditions.extend(column == value for column, value in equal if value)
    if query.software:
        name, version = parse_software(query.software)
        conditions.append(c.software_folded == fold(name))
        if version:
            conditions.append(c.software_version == version)
    if query.author:
        conditions.append(c.author_folded == fold(query.author))
    if query.model_sha256:
        conditions.append(c.model_sha256_folded == fold(query.model_sha256))
    if query.plate or query.well:
        fields = select(images.c.id)
        if query.plate:
            fields = fields.where(images.c.plate == query.plate)
        if query.well:
            fields = fields.where(images.c.well == well_path(query.well))
        conditions.append(c.image_id.in_(fields))
    if query.collection:
        conditions.append(
            c.id.in_(
                select(memberships.c.label_image_id)
                .join(collections, collections.c.id == memberships.c.collection_id)
                .where(collections.c.name == query.collection)
            )
        )
    conditions.extend(_instance_conditions(query))
    return conditions


def _instance_conditions(query: LabelImageFilter) -> list[ColumnElement[bool]]:
    """Conditions on the instance summary (label images without one never match)."""
    summary = instance_summaries.c
    bounds = [
        (query.min_instances, summary.instances >= (query.min_instances or 0)),
        (query.max_instances, summary.instances <= (query.max_instances or 0)),
        (query.min_mean_area, summary.mean_area >= (query.min_mean_area or 0)),
        (query.max_mean_area, summary.mean_area <= (query.max_mean_area or 0)),
    ]
    wanted = [condition for given, condition in bounds if given is not None]
    if not wanted:
        return []
    return [label_images.c.id.in_(select(summary.label_image_id).where(and_(*wanted)))]


def encode_cursor(image_name: str, name: str, version: str) -> str:
    text = json.dumps([image_name, name, version], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str, str]:
    """The sort key a cursor holds; anything else is an input error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeError):
        key = None
    if not (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)):
        raise InputError(cursor, "cursor", "a cursor printed by an earlier find")
    return key[0], key[1], key[2]


def find_statements(
    query: LabelImageFilter,
    limit: int | None = None,
    cursor: str | None = None,
    exact_total: bool = False,
) -> tuple[Select[Any], Select[Any]]:
    """The count of the matches of ``query`` (all of them with ``exact_total``, else at most
    one more than :data:`TOTAL_CAP`), and the page after ``cursor`` in ``ORDER`` (one row more
    than ``limit``, to tell whether another page follows).

    The page picks its keys first and then reads their records: when the database leads with
    an index in another order and sorts, it sorts the matches' keys, read from the index,
    rather than their records, read from the table.
    """
    if limit is not None and limit < 1:
        raise InputError(str(limit), "limit", "a page size of at least 1")
    found = _counted(query)
    if not exact_total:
        found = found.limit(TOTAL_CAP + 1)
    count = select(func.count()).select_from(found.subquery())
    order = CLASS_ORDER if joins_class_names(query) else ORDER
    keys = matching(query, *order).order_by(*order)
    if cursor is not None:
        keys = keys.where(tuple_(*order) > tuple_(*(literal(k) for k in decode_cursor(cursor))))
    chosen = (keys if limit is None else keys.limit(limit + 1)).subquery()
    same_label = and_(*(column == key for column, key in zip(ORDER, chosen.c, strict=True)))
    page = select(label_images.c.record, *ORDER).join(chosen, same_label)
    return count, page.order_by(*chosen.c)


def find_page(
    connection: Connection,
    query: LabelImageFilter,
    limit: int | None = None,
    cursor: str | None = None,
    exact_total: bool = False,
) -> FindPage:
    """Label images matching ``query`` in ``ORDER``, after ``cursor``, at most ``limit``, and
    how many match (exact up to :data:`TOTAL_CAP`, or always with ``exact_total``)."""
    count, page = find_statements(query, limit, cursor, exact_total)
    rows = connection.execute(page).all()
    more = limit is not None and len(rows) > limit
    rows = rows[:limit]
    if cursor is None and not more:  # the first page is the last: it holds every match
        total, exact = len(rows), True
    else:
        total = connection.execute(count).scalar_one()
        exact = exact_total or total <= TOTAL_CAP
    labels = [LabelImage.model_validate_json(row.record) for row in rows]
    last = rows[-1] if more else None
    next_cursor = encode_cursor(last.image_name, last.name, last.version) if last else None
    return FindPage(labels, total if exact else TOTAL_CAP, next_cursor, exact)


def lineage(connection: Connection, label_image_id: str) -> list[LabelImage]:
    """The label image's ancestors (oldest first), itself, then its descendants.

    Two recursive queries walk ``derived_from`` up and down; ``depth`` orders the chain and
    bounds it (:data:`MAX_LINEAGE_DEPTH` each way), so even a corrupt cycle ends, and its
    label images are listed once each.
    """
    start = select(label_images.c.id, label_images.c.derived_from, literal(0).label("depth")).where(
        label_images.c.id == label_image_id
    )
    up = start.cte("ancestors", recursive=True)
    up = up.union_all(
        select(label_images.c.id, label_images.c.derived_from, up.c.depth - 1)
        .join(up, label_images.c.id == up.c.derived_from)
        .where(up.c.depth > -MAX_LINEAGE_DEPTH)
    )
    down = start.cte("descendants", recursive=True)
    down = down.union_all(
        select(label_images.c.id, label_images.c.derived_from, down.c.depth + 1)
        .join(down, label_images.c.derived_from == down.c.id)
        .where(down.c.depth < MAX_LINEAGE_DEPTH)
    )
    chain = union(select(up.c.id, up.c.depth), select(down.c.id, down.c.depth)).subquery()
    statement = (
        select(label_images.c.id, label_images.c.record)
        .join(chain, chain.c.id == label_images.c.id)
        .order_by(chain.c.depth, label_images.c.created, label_images.c.id)
    )
    records = {row.id: row.record for row in connection.execute(statement)}
    return [LabelImage.model_validate_json(record) for record in records.values()]
