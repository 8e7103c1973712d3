"""The catalog of a repository: an SQL index of its stores, on SQLite or PostgreSQL.

Reads run on a plain connection; every write is one transaction opened with :meth:`writing`
(see ``catalog.writer`` for how concurrent writers share it). A catalog belongs to one
repository: ``catalog_info`` records its id, so two repositories never share a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, OperationalError

from labelcollections.catalog import schema
from labelcollections.catalog.engine import (
    create_catalog_engine,
    parse_catalog_url,
    shown_url,
)
from labelcollections.catalog.queries import FindPage, LabelImageFilter
from labelcollections.catalog.reader import (
    CatalogReader,
    ImageKey,
    InstanceMatch,
    InstanceSummary,
    TableRecord,
)
from labelcollections.catalog.schema import SchemaState
from labelcollections.catalog.tables import catalog_info, images
from labelcollections.catalog.writer import CatalogEntry, CatalogWriter, write_transaction
from labelcollections.errors import ConflictError, DamagedError, InputError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate
from labelcollections.model.references import Matches

OWNER_KEY = "repository"


class Catalog:
    """The SQL index of a repository."""

    def __init__(self, url: str | URL, owner: str | None = None) -> None:
        """Open the catalog at ``url``; it must be at the current schema revision and, when
        ``owner`` is given, belong to that repository."""
        self.url = parse_catalog_url(url) if isinstance(url, str) else url
        self.shown = shown_url(self.url)
        self.engine: Engine = create_catalog_engine(self.url)
        try:
            with self.reading() as reader:
                state = schema.schema_state(reader.connection)
                found = _owner(reader) if state is SchemaState.CURRENT else None
        except DatabaseError as error:
            self.close()
            reason = " ".join(str(error.orig).split())
            raise DamagedError(
                self.shown,
                "catalog",
                f"a readable catalog ({reason}); 'labelcollections reindex' rebuilds it from"
                " the stores",
            ) from None
        except BaseException:
            self.close()
            raise
        if state is not SchemaState.CURRENT:
            self.close()
            raise DamagedError(
                self.shown,
                "catalog schema",
                f"revision {schema.SCHEMA_REVISION} (this catalog is {state.value}; "
                + (
                    "upgrade labelcollections)"
                    if state is SchemaState.AHEAD
                    else "run 'labelcollections catalog upgrade')"
                ),
            )
        if owner is not None and found not in (None, owner):
            self.close()
            raise ConflictError(self.shown, "catalog", "the catalog of this repository")

    @classmethod
    def create(cls, url: str | URL, owner: str | None = None) -> Catalog:
        """Make the catalog schema in an empty database and claim it for repository ``owner``.

        A database that already holds a catalog with images, or one of another repository,
        is refused.
        """
        parsed = parse_catalog_url(url) if isinstance(url, str) else url
        with _upgrading(parsed) as (writer, _):
            used = writer.connection.execute(select(images.c.id).limit(1)).first()
            if used is not None or _owner(writer) not in (None, owner):
                raise ConflictError(
                    shown_url(parsed), "catalog", "an empty database for a new repository"
                )
            _claim(writer, owner, shown_url(parsed))
        return cls(parsed, owner)

    @staticmethod
    def upgrade(url: str | URL, owner: str | None = None) -> SchemaState:
        """Bring the catalog at ``url`` to the current schema, claimed for repository
        ``owner``; return its state before.

        A catalog that was empty or unversioned comes back empty: rebuild it from the stores.
        """
        parsed = parse_catalog_url(url) if isinstance(url, str) else url
        with _upgrading(parsed) as (writer, state):
            _claim(writer, owner, shown_url(parsed))
            return state

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[CatalogReader]:
        """Queries on one connection."""
        with _reachable(self.shown), self.engine.connect() as connection:
            yield CatalogReader(connection)

    @contextmanager
    def writing(self, image_name: str | None = None) -> Iterator[CatalogWriter]:
        """A write transaction on one image (by name) or, without a name, the whole catalog.

        Writers of one image run one after another, and each sees what the previous one
        committed; the transaction commits when the block ends without error.
        """
        with _reachable(self.shown), write_transaction(self.engine, image_name, self.shown) as w:
            yield w

    # -- writes -------------------------------------------------------------------------------

    def rebuild(self, entries: Iterable[CatalogEntry], plates: Iterable[Plate] = ()) -> None:
        """Replace the whole index with what the stores say, in one transaction."""
        with self.writing() as writer:
            writer.clear()
            for plate in plates:
                writer.put_plate(plate)
            writer.add_entries(entries)

    # -- reads --------------------------------------------------------------------------------

    def images(
        self, plate: str | None = None, well: str | None = None
    ) -> list[tuple[ReferenceImage, str]]:
        with self.reading() as reader:
            return reader.images(plate, well)

    def plates(self) -> list[Plate]:
        with self.reading() as reader:
            return reader.plates()

    def image(self, name_or_id: str, by: ImageKey = "name or id") -> ReferenceImage | None:
        with self.reading() as reader:
            return reader.image(name_or_id, by)

    def plate(self, name: str) -> Plate | None:
        with self.reading() as reader:
            return reader.plate(name)

    def collections(self, image_id: str | None = None) -> list[LabelCollection]:
        with self.reading() as reader:
            return reader.collections(image_id)

    def label_images(self, image_id: str | None = None) -> list[tuple[LabelImage, str]]:
        with self.reading() as reader:
            return reader.label_images(image_id)

    def label_store_path(self, label_image_id: str) -> str | None:
        with self.reading() as reader:
            return reader.label_store_path(label_image_id)

    def label_matches(self, reference: str, image_id: str | None = None) -> Matches[LabelImage]:
        with self.reading() as reader:
            return reader.label_matches(reference, image_id)

    def collection_matches(
        self, reference: str, image_id: str | None = None
    ) -> Matches[LabelCollection]:
        with self.reading() as reader:
            return reader.collection_matches(reference, image_id)

    def find(
        self,
        query: LabelImageFilter,
        limit: int | None = None,
        cursor: str | None = None,
        exact_total: bool = False,
    ) -> FindPage:
        with self.reading() as reader:
            return reader.find(query, limit, cursor, exact_total)

    def lineage(self, label_image_id: str) -> list[LabelImage]:
        with self.reading() as reader:
            return reader.lineage(label_image_id)

    def tables(self, label_image_id: str) -> list[TableRecord]:
        with self.reading() as reader:
            return reader.tables(label_image_id)

    def instance_summary(self, label_image_id: str) -> InstanceSummary | None:
        with self.reading() as reader:
            return reader.instance_summary(label_image_id)

    def instance_matches(self, label_image_id: str, label: int) -> list[InstanceMatch]:
        with self.reading() as reader:
            return reader.instance_matches(label_image_id, label)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        with self.reading() as reader:
            return reader.dump()


def _claim(writer: CatalogWriter, owner: str | None, shown: str) -> None:
    """Record that the catalog belongs to repository ``owner`` (refused if another's)."""
    found = _owner(writer)
    if owner is None or found == owner:
        return
    if found is not None:
        raise ConflictError(shown, "catalog", "the catalog of this repository")
    writer.connection.execute(insert(catalog_info).values(key=OWNER_KEY, value=owner))


def _owner(reader: CatalogReader) -> str | None:
    row = reader.connection.execute(
        select(catalog_info.c.value).where(catalog_info.c.key == OWNER_KEY)
    ).first()
    return None if row is None else str(row.value)


@contextmanager
def _upgrading(url: URL) -> Iterator[tuple[CatalogWriter, SchemaState]]:
    """The catalog at ``url`` upgraded to the current schema, in a transaction that holds the
    whole catalog, with its state before the upgrade."""
    engine = create_catalog_engine(url)
    shown = shown_url(url)
    try:
        with _reachable(shown), write_transaction(engine, None, shown) as writer:
            state = schema.schema_state(writer.connection)
            if state is SchemaState.AHEAD:
                raise InputError(shown, "catalog schema", "a revision this labelcollections knows")
            if state is not SchemaState.CURRENT:
                schema.upgrade(writer.connection)
            yield writer, state
    finally:
        engine.dispose()


@contextmanager
def _reachable(shown: str) -> Iterator[None]:
    """Turn a database that cannot be reached into a one-line error naming it."""
    try:
        yield
    except OperationalError as error:
        message = str(error.orig).strip()
        if not message.lower().startswith(("connection", "unable to open")):
            raise
        reason = " ".join(message.split())
        raise InputError(shown, "catalog", f"a reachable database ({reason})") from None
