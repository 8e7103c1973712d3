"""Writing the catalog: one transaction per change, safe with concurrent writers.

A writer names the image it changes (its *scope*) or none, meaning the whole catalog:

- **SQLite** has one write lock for the whole database. Every write transaction takes it when
  it begins (``BEGIN IMMEDIATE``, waiting up to the busy timeout), so whatever the writer reads
  stays true until it commits.
- **PostgreSQL** (READ COMMITTED) writers take transaction-scoped advisory locks: a shared lock
  on the catalog and an exclusive one on their image, or the catalog exclusively (rebuild,
  schema upgrade). Writers of different images run side by side; writers of one image queue,
  and each one's statements see what the one before committed.

The lock is held until commit, so a use case can publish files inside the transaction (a label
image's listing, a collection document) and index them in the same breath. Only taking the
lock is retried (lock timeouts, deadlocks, serialization failures): the work inside may publish
files and must not run twice. Unique constraints stay the last guard; a violation is reported
as a conflict. A repository-wide lock can later wrap these transactions unchanged.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine, Table, delete, insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from labelcollections.catalog.engine import WRITE_OPTION
from labelcollections.catalog.label_values import stored_value
from labelcollections.catalog.queries import fold
from labelcollections.catalog.reader import CatalogReader, TableRecord, json_text
from labelcollections.catalog.tables import (
    ALL_TABLES,
    class_list,
    collections,
    images,
    instance_matches,
    instance_summaries,
    label_class_names,
    label_images,
    label_tables,
    memberships,
    plates,
)
from labelcollections.errors import ConflictError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate
from labelcollections.model.records import to_record

CATALOG_SCOPE = "labelcollections:catalog"
LOCK_TIMEOUT = "60s"
ACQUIRE_ATTEMPTS = 5
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""serialization_failure, deadlock_detected, lock_not_available."""
BATCH_ROWS = 5000

CatalogEntry = tuple[
    ReferenceImage,
    str,
    Sequence[tuple[LabelImage, str]],
    Sequence[LabelCollection],
    Sequence[TableRecord],
]
"""An image as the stores hold it: the image, its store path, its label images with their
paths, its collections and its tables."""


def lock_id(scope: str) -> int:
    """The advisory lock number of a scope (64 bits of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)


def is_transient(error: DBAPIError) -> bool:
    """Errors that taking the lock again may avoid."""
    if getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    message = str(error.orig).lower()
    return isinstance(error.orig, sqlite3.OperationalError) and (
        "locked" in message or "busy" in message
    )


class CatalogWriter(CatalogReader):
    """Writes (and reads) inside one write transaction."""

    def put_image(self, image: ReferenceImage, store: str) -> None:
        self.connection.execute(insert(images), [image_row(image, store)])

    def put_labels(self, image_name: str, labels: Sequence[tuple[LabelImage, str]]) -> None:
        """Add label images (with their store paths) of the image named ``image_name``."""
        self.insert_rows(
            {
                label_images: [label_row(label, path, image_name) for label, path in labels],
                label_class_names: [
                    row for label, _ in labels for row in class_name_rows(label, image_name)
                ],
            }
        )

    def put_plate(self, plate: Plate) -> None:
        """Add a plate or replace its record (its plate-level collections changed)."""
        self.connection.execute(delete(plates).where(plates.c.id == plate.id))
        self.connection.execute(
            insert(plates),
            [{"id": plate.id, "name": plate.name, "record": json_text(to_record(plate))}],
        )

    def put_collection(self, collection: LabelCollection) -> None:
        """Add a collection or replace its row and members with this state."""
        self.connection.execute(
            delete(memberships).where(memberships.c.collection_id == collection.id)
        )
        self.connection.execute(delete(collections).where(collections.c.id == collection.id))
        self.insert_rows(
            {
                collections: [collection_row(collection)],
                memberships: membership_rows(collection),
            }
        )

    def put_table(self, record: TableRecord) -> None:
        self.insert_rows(table_rows([record]))

    def add_entries(self, entries: Iterable[CatalogEntry]) -> None:
        """Add whole images with everything they hold, in batches of rows."""
        pending: dict[Table, list[dict[str, Any]]] = {table: [] for table in ALL_TABLES}
        for image, store, labels, image_collections, tables in entries:
            pending[images].append(image_row(image, store))
            for label, path in labels:
                pending[label_images].append(label_row(label, path, image.name))
                pending[label_class_names].extend(class_name_rows(label, image.name))
            for collection in image_collections:
                pending[collections].append(collection_row(collection))
                pending[memberships].extend(membership_rows(collection))
            for table, rows in table_rows(tables).items():
                pending[table].extend(rows)
            if len(pending[label_images]) + len(pending[images]) >= BATCH_ROWS:
                self.insert_rows(pending)
                pending = {table: [] for table in ALL_TABLES}
        self.insert_rows(pending)

    def insert_rows(self, rows: dict[Table, list[dict[str, Any]]]) -> None:
        """Insert rows table by table, parents before children."""
        for table in ALL_TABLES:
            if rows.get(table):
                self.connection.execute(insert(table), rows[table])

    def clear(self) -> None:
        """Delete every row (children before parents)."""
        for table in reversed(ALL_TABLES):
            self.connection.execute(delete(table))


@contextmanager
def write_transaction(engine: Engine, scope: str | None, shown: str) -> Iterator[CatalogWriter]:
    """A write transaction on ``scope`` (an image name, or None for the whole catalog) that
    commits when the block ends without error; ``shown`` names the catalog in errors."""
    connection = _locked_connection(engine, scope, shown)
    try:
        yield CatalogWriter(connection)
        connection.commit()
    except IntegrityError as error:
        connection.rollback()
        detail = str(error.orig).strip().splitlines()[0]
        raise ConflictError(
            shown, "catalog", f"rows not written by another writer first ({detail})"
        ) from None
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()


def _locked_connection(engine: Engine, scope: str | None, shown: str) -> Connection:
    """A connection in a transaction holding the locks of ``scope``; taking them is retried."""
    for attempt in range(ACQUIRE_ATTEMPTS):
        connection = engine.connect().execution_options(**{WRITE_OPTION: True})
        try:
            connection.begin()
            if connection.dialect.name == "postgresql":
                _take_advisory_locks(connection, scope)
            return connection
        except DBAPIError as error:
            connection.close()
            if not is_transient(error):
                raise
        time.sleep(random.uniform(0.05, 0.2) * 2**attempt)
    raise ConflictError(shown, "catalog", "a catalog that another writer releases in time")


def _take_advisory_locks(connection: Connection, scope: str | None) -> None:
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    catalog = {"key": lock_id(CATALOG_SCOPE)}
    if scope is None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), catalog)
        return
    connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), catalog)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_id(scope)})


def image_row(image: ReferenceImage, store: str) -> dict[str, Any]:
    return {
        "id": image.id,
        "name": image.name,
        "store": store,
        "source": image.source,
        "dtype": image.dtype,
        "shape": json_text(list(image.shape)),
        "axes": json_text(list(image.axis_names)),
        "levels": len(image.levels),
        "content_hash": image.content_hash,
        "omero_image_id": image.omero_image_id,
        "plate": image.plate.plate if image.plate else None,
        "well": image.plate.well if image.plate else None,
        "field": image.plate.field if image.plate else None,
        "record": json_text(to_record(image)),
    }


def label_row(label: LabelImage, store_path: str, image_name: str) -> dict[str, Any]:
    provenance = label.provenance
    return {
        "id": label.id,
        "image_id": label.image_id,
        "image_name": image_name,
        "name": label.name,
        "version": label.version,
        "store_path": store_path,
        "label_type": label.label_type.value,
        "dtype": label.dtype,
        "shape": json_text(list(label.shape)),
        "method": provenance.method.value,
        "software": provenance.software,
        "software_folded": fold(provenance.software),
        "software_version": provenance.software_version,
        "author": provenance.author,
        "author_folded": fold(provenance.author),
        "created": provenance.created.isoformat(),
        "model_name": provenance.model_name,
        "model_version": provenance.model_version,
        "model_sha256": provenance.model_sha256,
        "model_sha256_folded": fold(provenance.model_sha256),
        "training_data": provenance.training_data,
        "reference_hash": provenance.reference_hash,
        "content_hash": provenance.content_hash,
        "derived_from": provenance.derived_from,
        "record": json_text(to_record(label)),
        "class_names": class_list(label.label_schema.class_names()),
    }


def class_name_rows(label: LabelImage, image_name: str) -> list[dict[str, Any]]:
    """One row per case-folded class name of the label image (names that fold alike, once)."""
    folded = dict.fromkeys(fold(name) for name in label.label_schema.class_names())
    return [
        {"name_folded": name, "image_name": image_name, "label_name": label.name,
         "version": label.version, "label_image_id": label.id}
        for name in folded
    ]  # fmt: skip


def collection_row(collection: LabelCollection) -> dict[str, Any]:
    provenance = collection.provenance
    return {
        "id": collection.id,
        "image_id": collection.image_id,
        "name": collection.name,
        "description": collection.description,
        "method": provenance.method.value if provenance else None,
        "author": provenance.author if provenance else None,
        "created": provenance.created.isoformat() if provenance else None,
        "record": json_text(to_record(collection)),
    }


def membership_rows(collection: LabelCollection) -> list[dict[str, Any]]:
    return [
        {"collection_id": collection.id, "label_image_id": member, "position": position}
        for position, member in enumerate(collection.members)
    ]


def table_rows(records: Iterable[TableRecord]) -> dict[Table, list[dict[str, Any]]]:
    """The rows of tables, their instance summaries and recorded correspondences."""
    rows: dict[Table, list[dict[str, Any]]] = {
        label_tables: [],
        instance_summaries: [],
        instance_matches: [],
    }
    for record in records:
        rows[label_tables].append(
            {
                "label_image_id": record.label_image_id,
                "name": record.name,
                "kind": record.kind,
                "rows": record.rows,
                "record": json_text(record.attributes),
            }
        )
        if record.summary is not None:
            rows[instance_summaries].append(
                {"label_image_id": record.label_image_id, **asdict(record.summary)}
            )
        match = record.correspondence
        if match is not None:
            rows[instance_matches].extend(
                {
                    "a_id": match.a_id,
                    "b_id": match.b_id,
                    "threshold": match.threshold,
                    "a_label": stored_value(int(a)),
                    "b_label": stored_value(int(b)),
                    "iou": float(iou),
                }
                for a, b, iou in zip(match.a_labels, match.b_labels, match.ious, strict=True)
            )
    return rows
