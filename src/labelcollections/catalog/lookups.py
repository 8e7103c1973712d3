"""Resolving a typed reference by index: each reading of it is one lookup, never a listing.

A reference (``model.references``) is read every way its grammar allows, and each reading is
a lookup that an index answers:

* label images: ``<id>`` by the primary key, ``<name>@<version>`` by ``ix_label_images_name``
  (name, image name, version), ``<image>/<name>@<version>`` by an index that starts with those
  three columns (``ix_label_images_order``, ``_name`` or ``_version``); these indexes hold the
  listing key, so the key lookups read no table rows;
* collections: ``<id>`` by the primary key, ``<name>`` by ``ix_collections_name`` (name,
  image id), ``<image>/<name>`` by the image's unique name and then ``ix_collections_name``
  or the (image, name) unique key; the image names come from the images' primary key.

The union of the readings, as (image name, name[, version]) keys, is every object the
reference names: one statement counts them and returns the qualified references of the first
few in the order of those references (``image || '/' || name || '@' || version``, compared by
code point as Python sorts text: SQLite's binary collation, PostgreSQL's "C"). Only when the
reference names exactly one object is its record read and parsed, so a ``name@version`` that
fits a hundred thousand label images costs an error listing ten of them, not a hundred
thousand models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, select, union
from sqlalchemy.engine import Connection

from labelcollections.catalog.tables import collections, images, label_images
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage
from labelcollections.model.references import (
    SHOWN_CANDIDATES,
    Matches,
    collection_forms,
    label_forms,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """The statements that resolve one reference: ``readings`` select the key of each object
    a reading of it names (image name, name and, for label images, version); ``record``
    selects the record of the object with a key, which ``parse`` turns into a model."""

    readings: Sequence[Select[Any]]
    record: Callable[[Sequence[str]], Select[Any]]
    parse: Callable[[str], T]

    def statement(self, dialect: str) -> Select[Any]:
        """The objects that any reading names, the first :data:`SHOWN_CANDIDATES` in the
        order of their qualified references, each row with that reference and the count of
        them all."""
        found = (union(*self.readings) if len(self.readings) > 1 else self.readings[0]).subquery()
        keys = list(found.columns)
        qualified: ColumnElement[str] = keys[0]
        for separator, column in zip(("/", "@"), keys[1:], strict=False):
            qualified = qualified + separator + column
        if dialect == "postgresql":
            qualified = qualified.collate("C")  # code-point order whatever the locale
        return (
            select(*keys, qualified.label("qualified"), func.count().over().label("total"))
            .order_by(qualified)
            .limit(SHOWN_CANDIDATES)
        )

    def run(self, connection: Connection) -> Matches[T]:
        """What the reference names; the record is read only when it names one object."""
        rows = connection.execute(self.statement(connection.dialect.name)).all()
        count = int(rows[0].total) if rows else 0
        only = None
        if count == 1:
            key = tuple(rows[0])[:-2]
            only = self.parse(connection.execute(self.record(key)).scalar_one())
        return Matches(count, tuple(row.qualified for row in rows), only)


def label_lookup(reference: str, image_id: str | None = None) -> Lookup[LabelImage]:
    """The label images (of image ``image_id`` only, if given) that ``reference`` names."""
    c = label_images.c
    forms = label_forms(reference)
    readings: list[ColumnElement[bool]] = [c.id == forms.id]
    if forms.key is not None:
        name, version = forms.key
        readings.append(and_(c.name == name, c.version == version))
    if forms.qualified is not None:
        image_name, name, version = forms.qualified
        readings.append(and_(c.image_name == image_name, c.name == name, c.version == version))
    scope = [] if image_id is None else [c.image_id == image_id]
    keys = (c.image_name, c.name, c.version)
    return Lookup(
        [select(*keys).where(reading, *scope) for reading in readings],
        lambda key: select(c.record).where(*(k == v for k, v in zip(keys, key, strict=True))),
        LabelImage.model_validate_json,
    )


def collection_lookup(reference: str, image_id: str | None = None) -> Lookup[LabelCollection]:
    """The collections (of image ``image_id`` only, if given) that ``reference`` names."""
    c, i = collections.c, images.c
    forms = collection_forms(reference)
    readings: list[ColumnElement[bool]] = [c.id == forms.reference, c.name == forms.reference]
    if forms.qualified is not None:
        image_name, name = forms.qualified
        readings.append(and_(i.name == image_name, c.name == name))
    scope = [] if image_id is None else [c.image_id == image_id]
    joined = collections.join(images, i.id == c.image_id)
    keys = (i.name.label("image_name"), c.name)
    return Lookup(
        [select(*keys).select_from(joined).where(reading, *scope) for reading in readings],
        lambda key: select(c.record).select_from(joined).where(i.name == key[0], c.name == key[1]),
        LabelCollection.model_validate_json,
    )
