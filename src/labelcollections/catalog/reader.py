"""Reading the catalog on one connection: what every use case asks of the index."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import or_, select, union
from sqlalchemy.engine import Connection

from labelcollections.catalog import lookups, queries
from labelcollections.catalog.label_values import label_value, stored_value
from labelcollections.catalog.queries import FindPage, LabelImageFilter
from labelcollections.catalog.tables import (
    ALL_TABLES,
    collections,
    images,
    instance_matches,
    instance_summaries,
    label_images,
    label_tables,
    plates,
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate, well_path
from labelcollections.model.references import Matches

ImageKey = Literal["name or id", "name", "id"]


@dataclass(frozen=True)
class InstanceSummary:
    """Object counts and sizes of one label image, for ``find``."""

    instances: int
    total_area: int
    min_area: int | None
    max_area: int | None
    mean_area: float | None


@dataclass(frozen=True)
class Correspondence:
    """Which object of label image ``b`` is which of ``a`` (matched at ``threshold``)."""

    a_id: str
    b_id: str
    threshold: float
    a_labels: Sequence[int]
    b_labels: Sequence[int]
    ious: Sequence[float]


@dataclass(frozen=True)
class TableRecord:
    """A table stored with a label image (instances, user features or a correspondence)."""

    label_image_id: str
    name: str
    kind: str
    rows: int
    attributes: dict[str, Any]
    summary: InstanceSummary | None = None
    correspondence: Correspondence | None = None


@dataclass(frozen=True, order=True)
class InstanceMatch:
    """One object of another label image that an object was matched with."""

    label_image_id: str
    label: int
    iou: float
    threshold: float


def json_text(value: Any) -> str:
    """JSON as the catalog stores it (sorted keys, so equal values give equal text)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class CatalogReader:
    """Queries on one open connection (inside a write transaction, they see its writes)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def images(
        self, plate: str | None = None, well: str | None = None
    ) -> list[tuple[ReferenceImage, str]]:
        """Every image with its store path, by name (the fields of a plate, or of one of its
        wells, when given)."""
        query = select(images.c.record, images.c.store).order_by(images.c.name)
        if plate is not None:
            query = query.where(images.c.plate == plate)
        if well is not None:
            query = query.where(images.c.well == well_path(well))
        rows = self.connection.execute(query)
        return [(ReferenceImage.model_validate_json(r.record), r.store) for r in rows]

    def plates(self) -> list[Plate]:
        """Every plate, by name."""
        rows = self.connection.execute(select(plates.c.record).order_by(plates.c.name))
        return [Plate.model_validate_json(r.record) for r in rows]

    def image(self, name_or_id: str, by: ImageKey = "name or id") -> ReferenceImage | None:
        """The image with this name or id (``by`` "name" or "id": with this name, or id)."""
        matching = {"name": images.c.name == name_or_id, "id": images.c.id == name_or_id}
        where = or_(*matching.values()) if by == "name or id" else matching[by]
        record = self.connection.execute(
            select(images.c.record).where(where).order_by(images.c.name)
        ).first()
        return ReferenceImage.model_validate_json(record.record) if record else None

    def plate(self, name: str) -> Plate | None:
        """The plate with this name."""
        record = self.connection.execute(
            select(plates.c.record).where(plates.c.name == name)
        ).scalar()
        return None if record is None else Plate.model_validate_json(record)

    def collections(self, image_id: str | None = None) -> list[LabelCollection]:
        query = select(collections.c.record).order_by(collections.c.image_id, collections.c.name)
        if image_id is not None:
            query = query.where(collections.c.image_id == image_id)
        return [
            LabelCollection.model_validate_json(r.record) for r in self.connection.execute(query)
        ]

    def label_images(self, image_id: str | None = None) -> list[tuple[LabelImage, str]]:
        """Label images with their store paths, by image, name and version."""
        query = select(label_images.c.record, label_images.c.store_path).order_by(
            label_images.c.image_id, label_images.c.name, label_images.c.version
        )
        if image_id is not None:
            query = query.where(label_images.c.image_id == image_id)
        return [
            (LabelImage.model_validate_json(r.record), r.store_path)
            for r in self.connection.execute(query)
        ]

    def label_store_path(self, label_image_id: str) -> str | None:
        """The path of a label image below its store's ``labels/`` group."""
        return self.connection.execute(
            select(label_images.c.store_path).where(label_images.c.id == label_image_id)
        ).scalar()

    def label_matches(self, reference: str, image_id: str | None = None) -> Matches[LabelImage]:
        """The label images (of image ``image_id`` only, if given) that a reference names:
        ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``."""
        return lookups.label_lookup(reference, image_id).run(self.connection)

    def collection_matches(
        self, reference: str, image_id: str | None = None
    ) -> Matches[LabelCollection]:
        """The collections (of image ``image_id`` only, if given) that a reference names:
        ``<id>``, ``<name>`` or ``<image>/<name>``."""
        return lookups.collection_lookup(reference, image_id).run(self.connection)

    def find(
        self,
        query: LabelImageFilter,
        limit: int | None = None,
        cursor: str | None = None,
        exact_total: bool = False,
    ) -> FindPage:
        """A page of the label images matching ``query`` (all of them without ``limit``)."""
        return queries.find_page(self.connection, query, limit, cursor, exact_total)

    def lineage(self, label_image_id: str) -> list[LabelImage]:
        return queries.lineage(self.connection, label_image_id)

    def tables(self, label_image_id: str) -> list[TableRecord]:
        """The tables stored with a label image, by name (payloads not included)."""
        query = (
            select(label_tables)
            .where(label_tables.c.label_image_id == label_image_id)
            .order_by(label_tables.c.name)
        )
        return [
            TableRecord(r.label_image_id, r.name, r.kind, r.rows, json.loads(r.record))
            for r in self.connection.execute(query)
        ]

    def instance_summary(self, label_image_id: str) -> InstanceSummary | None:
        query = select(instance_summaries).where(
            instance_summaries.c.label_image_id == label_image_id
        )
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return InstanceSummary(
            row.instances, row.total_area, row.min_area, row.max_area, row.mean_area
        )

    def instance_matches(self, label_image_id: str, label: int) -> list[InstanceMatch]:
        """The objects of other label images recorded as the same object as this one."""
        match, other = instance_matches.c, label_images.c
        stored = stored_value(label)
        forward = (
            select(match.b_id, match.b_label, match.iou, match.threshold, other.dtype)
            .join(label_images, other.id == match.b_id)
            .where(match.a_id == label_image_id, match.a_label == stored)
        )
        backward = (
            select(match.a_id, match.a_label, match.iou, match.threshold, other.dtype)
            .join(label_images, other.id == match.a_id)
            .where(match.b_id == label_image_id, match.b_label == stored)
        )
        rows = self.connection.execute(union(forward, backward)).all()
        return sorted(InstanceMatch(r[0], label_value(r[1], r[4]), r[2], r[3]) for r in rows)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows in a stable order, to compare two catalogs."""
        result: dict[str, list[dict[str, Any]]] = {}
        for table in ALL_TABLES:
            rows = self.connection.execute(select(table)).mappings()
            result[table.name] = sorted((dict(row) for row in rows), key=json_text)
        return result
