"""Catalog operations: index objects, answer queries, dump for comparison."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    select,
    union,
)
from sqlalchemy.engine import Connection

from labelcollections.catalog.tables import (
    ALL_TABLES,
    collections,
    images,
    instance_matches,
    instance_summaries,
    label_classes,
    label_images,
    label_tables,
    memberships,
    metadata,
    plates,
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate, well_path
from labelcollections.model.provenance import parse_software
from labelcollections.model.records import to_record


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
    collection: str | None = None
    name: str | None = None
    plate: str | None = None
    well: str | None = None
    derived_from: str | None = None
    model_sha256: str | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    min_mean_area: float | None = None
    max_mean_area: float | None = None


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


CatalogEntry = tuple[
    ReferenceImage,
    str,
    Sequence[tuple[LabelImage, str]],
    Sequence[LabelCollection],
    Sequence[TableRecord],
]


MAX_LINEAGE_DEPTH = 10_000


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _enable_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Catalog:
    """The SQL index of a repository. Every public write is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _enable_foreign_keys)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- writes -------------------------------------------------------------------------------

    def index_image(self, image: ReferenceImage, store: str) -> None:
        with self.engine.begin() as connection:
            self._put_image(connection, image, store)

    def index_label_image(
        self,
        label: LabelImage,
        store_path: str,
        collections_now: Sequence[LabelCollection],
        tables: Sequence[TableRecord] = (),
    ) -> None:
        """Add a label image, its tables and the new state of the collections it joined,
        atomically."""
        self.index_additions([(label, store_path)], collections_now, tables)

    def index_additions(
        self,
        labels: Sequence[tuple[LabelImage, str]],
        collections_now: Sequence[LabelCollection],
        tables: Sequence[TableRecord] = (),
    ) -> None:
        """Add label images (with their store paths), their tables and the new state of
        collections, atomically."""
        with self.engine.begin() as connection:
            for label, store_path in labels:
                self._put_label(connection, label, store_path)
            for collection in collections_now:
                self._put_collection(connection, collection)
            for record in tables:
                self._put_table(connection, record)

    def index_collection(self, collection: LabelCollection) -> None:
        with self.engine.begin() as connection:
            self._put_collection(connection, collection)

    def index_table(self, record: TableRecord) -> None:
        with self.engine.begin() as connection:
            self._put_table(connection, record)

    def index_import(self, entry: CatalogEntry) -> None:
        """Add an imported image with everything it brings, atomically."""
        with self.engine.begin() as connection:
            self._put_entry(connection, entry)

    def index_plate(self, plate: Plate) -> None:
        """Add a plate, or replace its record (its plate-level collections changed)."""
        with self.engine.begin() as connection:
            self._put_plate(connection, plate)

    def rebuild(self, entries: Iterable[CatalogEntry], plate_records: Iterable[Plate] = ()) -> None:
        """Replace the whole index with what the stores say, in one transaction."""
        with self.engine.begin() as connection:
            for table in reversed(ALL_TABLES):
                connection.execute(delete(table))
            for plate in plate_records:
                self._put_plate(connection, plate)
            for entry in entries:
                self._put_entry(connection, entry)

    def _put_plate(self, connection: Connection, plate: Plate) -> None:
        connection.execute(delete(plates).where(plates.c.id == plate.id))
        connection.execute(
            insert(plates).values(id=plate.id, name=plate.name, record=_json(to_record(plate)))
        )

    def _put_entry(self, connection: Connection, entry: CatalogEntry) -> None:
        image, store, labels, image_collections, tables = entry
        self._put_image(connection, image, store)
        for label, path in labels:
            self._put_label(connection, label, path)
        for collection in image_collections:
            self._put_collection(connection, collection)
        for record in tables:
            self._put_table(connection, record)

    def _put_table(self, connection: Connection, record: TableRecord) -> None:
        connection.execute(
            insert(label_tables).values(
                label_image_id=record.label_image_id,
                name=record.name,
                kind=record.kind,
                rows=record.rows,
                record=_json(record.attributes),
            )
        )
        if record.summary is not None:
            connection.execute(
                insert(instance_summaries).values(
                    label_image_id=record.label_image_id, **asdict(record.summary)
                )
            )
        if record.correspondence is not None and record.correspondence.a_labels:
            match = record.correspondence
            rows = [
                {
                    "a_id": match.a_id,
                    "b_id": match.b_id,
                    "threshold": match.threshold,
                    "a_label": int(a),
                    "b_label": int(b),
                    "iou": float(iou),
                }
                for a, b, iou in zip(match.a_labels, match.b_labels, match.ious, strict=True)
            ]
            connection.execute(insert(instance_matches), rows)

    def _put_image(self, connection: Connection, image: ReferenceImage, store: str) -> None:
        connection.execute(delete(images).where(images.c.id == image.id))
        connection.execute(
            insert(images).values(
                id=image.id,
                name=image.name,
                store=store,
                source=image.source,
                dtype=image.dtype,
                shape=_json(list(image.shape)),
                axes=_json(list(image.axis_names)),
                levels=len(image.levels),
                content_hash=image.content_hash,
                omero_image_id=image.omero_image_id,
                plate=image.plate.plate if image.plate else None,
                well=image.plate.well if image.plate else None,
                field=image.plate.field if image.plate else None,
                record=_json(to_record(image)),
            )
        )

    def _put_label(self, connection: Connection, label: LabelImage, store_path: str) -> None:
        provenance = label.provenance
        connection.execute(
            insert(label_images).values(
                id=label.id,
                image_id=label.image_id,
                name=label.name,
                version=label.version,
                store_path=store_path,
                label_type=label.label_type.value,
                dtype=label.dtype,
                shape=_json(list(label.shape)),
                method=provenance.method.value,
                software=provenance.software,
                software_version=provenance.software_version,
                author=provenance.author,
                created=provenance.created.isoformat(),
                model_name=provenance.model_name,
                model_version=provenance.model_version,
                model_sha256=provenance.model_sha256,
                training_data=provenance.training_data,
                reference_hash=provenance.reference_hash,
                content_hash=provenance.content_hash,
                derived_from=provenance.derived_from,
                record=_json(to_record(label)),
            )
        )
        classes = [
            {"label_image_id": label.id, "value": c.value, "name": c.name}
            for c in label.label_schema.classes
        ]
        if classes:
            connection.execute(insert(label_classes), classes)

    def _put_collection(self, connection: Connection, collection: LabelCollection) -> None:
        connection.execute(delete(memberships).where(memberships.c.collection_id == collection.id))
        connection.execute(delete(collections).where(collections.c.id == collection.id))
        provenance = collection.provenance
        connection.execute(
            insert(collections).values(
                id=collection.id,
                image_id=collection.image_id,
                name=collection.name,
                description=collection.description,
                method=provenance.method.value if provenance else None,
                author=provenance.author if provenance else None,
                created=provenance.created.isoformat() if provenance else None,
                record=_json(to_record(collection)),
            )
        )
        rows = [
            {"collection_id": collection.id, "label_image_id": member, "position": position}
            for position, member in enumerate(collection.members)
        ]
        if rows:
            connection.execute(insert(memberships), rows)

    # -- reads --------------------------------------------------------------------------------

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
        with self.engine.connect() as connection:
            rows = connection.execute(query)
            return [(ReferenceImage.model_validate_json(r.record), r.store) for r in rows]

    def plates(self) -> list[Plate]:
        """Every plate, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(plates.c.record).order_by(plates.c.name))
            return [Plate.model_validate_json(r.record) for r in rows]

    def collections(self, image_id: str | None = None) -> list[LabelCollection]:
        query = select(collections.c.record).order_by(collections.c.image_id, collections.c.name)
        if image_id is not None:
            query = query.where(collections.c.image_id == image_id)
        with self.engine.connect() as connection:
            return [
                LabelCollection.model_validate_json(r.record) for r in connection.execute(query)
            ]

    def label_images(self, image_id: str | None = None) -> list[tuple[LabelImage, str]]:
        query = select(label_images.c.record, label_images.c.store_path).order_by(
            label_images.c.image_id, label_images.c.name, label_images.c.version
        )
        if image_id is not None:
            query = query.where(label_images.c.image_id == image_id)
        with self.engine.connect() as connection:
            return [
                (LabelImage.model_validate_json(r.record), r.store_path)
                for r in connection.execute(query)
            ]

    def find(self, query: LabelImageFilter) -> list[LabelImage]:
        """Label images matching every condition of ``query``, by image, name and version."""
        conditions = []
        lower = func.lower
        if query.method:
            conditions.append(label_images.c.method == query.method)
        if query.software:
            name, version = parse_software(query.software)
            conditions.append(lower(label_images.c.software) == name.lower())
            if version:
                conditions.append(label_images.c.software_version == version)
        if query.author:
            conditions.append(lower(label_images.c.author) == query.author.lower())
        if query.label_type:
            conditions.append(label_images.c.label_type == query.label_type)
        if query.version:
            conditions.append(label_images.c.version == query.version)
        if query.name:
            conditions.append(label_images.c.name == query.name)
        if query.derived_from:
            conditions.append(label_images.c.derived_from == query.derived_from)
        if query.model_sha256:
            conditions.append(lower(label_images.c.model_sha256) == query.model_sha256.lower())
        if query.image:
            conditions.append(
                label_images.c.image_id.in_(select(images.c.id).where(images.c.name == query.image))
            )
        if query.plate:
            conditions.append(images.c.plate == query.plate)
        if query.well:
            conditions.append(images.c.well == well_path(query.well))
        if query.class_name:
            conditions.append(
                label_images.c.id.in_(
                    select(label_classes.c.label_image_id).where(
                        lower(label_classes.c.name) == query.class_name.lower()
                    )
                )
            )
        if query.collection:
            conditions.append(
                label_images.c.id.in_(
                    select(memberships.c.label_image_id)
                    .join(collections, collections.c.id == memberships.c.collection_id)
                    .where(collections.c.name == query.collection)
                )
            )
        conditions.extend(_instance_conditions(query))
        statement = (
            select(label_images.c.record)
            .join(images, images.c.id == label_images.c.image_id)
            .where(and_(True, *conditions))
            .order_by(images.c.name, label_images.c.name, label_images.c.version)
        )
        with self.engine.connect() as connection:
            return [LabelImage.model_validate_json(r.record) for r in connection.execute(statement)]

    def lineage(self, label_image_id: str) -> list[LabelImage]:
        """The label image's ancestors (oldest first), itself, then its descendants.

        Two recursive queries walk ``derived_from`` up and down; ``depth`` orders the chain and
        bounds it, so even a corrupt cycle ends.
        """
        start = select(
            label_images.c.id, label_images.c.derived_from, literal(0).label("depth")
        ).where(label_images.c.id == label_image_id)
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
            select(label_images.c.record)
            .join(chain, chain.c.id == label_images.c.id)
            .order_by(chain.c.depth, label_images.c.created, label_images.c.id)
        )
        with self.engine.connect() as connection:
            return [LabelImage.model_validate_json(r.record) for r in connection.execute(statement)]

    def tables(self, label_image_id: str) -> list[TableRecord]:
        """The tables stored with a label image, by name (payloads not included)."""
        query = (
            select(label_tables)
            .where(label_tables.c.label_image_id == label_image_id)
            .order_by(label_tables.c.name)
        )
        with self.engine.connect() as connection:
            return [
                TableRecord(r.label_image_id, r.name, r.kind, r.rows, json.loads(r.record))
                for r in connection.execute(query)
            ]

    def instance_summary(self, label_image_id: str) -> InstanceSummary | None:
        query = select(instance_summaries).where(
            instance_summaries.c.label_image_id == label_image_id
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return InstanceSummary(
            row.instances, row.total_area, row.min_area, row.max_area, row.mean_area
        )

    def instance_matches(self, label_image_id: str, label: int) -> list[InstanceMatch]:
        """The objects of other label images recorded as the same object as this one."""
        forward = select(
            instance_matches.c.b_id.label("other"),
            instance_matches.c.b_label.label("other_label"),
            instance_matches.c.iou,
            instance_matches.c.threshold,
        ).where(instance_matches.c.a_id == label_image_id, instance_matches.c.a_label == label)
        backward = select(
            instance_matches.c.a_id,
            instance_matches.c.a_label,
            instance_matches.c.iou,
            instance_matches.c.threshold,
        ).where(instance_matches.c.b_id == label_image_id, instance_matches.c.b_label == label)
        with self.engine.connect() as connection:
            rows = connection.execute(union(forward, backward)).all()
        return sorted(InstanceMatch(r[0], r[1], r[2], r[3]) for r in rows)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows in a stable order, to compare two catalogs."""
        result: dict[str, list[dict[str, Any]]] = {}
        with self.engine.connect() as connection:
            for table in ALL_TABLES:
                rows = connection.execute(select(table)).mappings()
                result[table.name] = sorted((dict(row) for row in rows), key=_json)
        return result


def _instance_conditions(query: LabelImageFilter) -> list[Any]:
    """``find`` conditions on the instance summary (label images without one never match)."""
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
    return [label_images.c.id.in_(select(summary.label_image_id).where(and_(True, *wanted)))]
