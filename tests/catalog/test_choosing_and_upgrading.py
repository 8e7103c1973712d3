"""Choosing a repository's catalog by URL, its schema revisions, and who owns a database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from labelcollections.catalog import (
    ENVIRONMENT_VARIABLE,
    SCHEMA_REVISION,
    Catalog,
    SchemaState,
    parse_catalog_url,
    recorded_url,
)
from labelcollections.catalog.local_server import LocalPostgres, free_port
from labelcollections.catalog.schema import alembic_config, revisions, schema_state, upgrade
from labelcollections.catalog.tables import label_images, metadata
from labelcollections.errors import InputError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

NewCatalog = Callable[[], str | None]
Run = Callable[..., tuple[int, str, str]]
NAME_INDEX = "ix_collections_name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://ana@db.example:5432/labels", "postgresql+psycopg://ana@db.example:5432/labels"),
        ("postgresql+psycopg://ana@db/labels", "postgresql+psycopg://ana@db/labels"),
        ("sqlite:///catalog.sqlite", "sqlite:///catalog.sqlite"),
        ("sqlite:////srv/shared/catalog.sqlite", "sqlite:////srv/shared/catalog.sqlite"),
    ],
)  # fmt: skip
def test_catalog_urls_name_sqlite_or_postgresql_with_psycopg(text: str, expected: str) -> None:
    assert recorded_url(parse_catalog_url(text)) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("mysql://ana@db/labels", "catalog"),
        ("postgresql+psycopg2://ana@db/labels", "catalog driver"),
        ("postgresql://ana@db", "catalog database"),
        ("sqlite://", "catalog"),
        ("not a url", "catalog"),
    ],
)
def test_other_urls_are_input_errors(text: str, field: str) -> None:
    with pytest.raises(InputError) as error:
        parse_catalog_url(text)
    assert error.value.field == field


def test_the_password_is_never_recorded() -> None:
    url = parse_catalog_url("postgresql://ana:secret@db/labels")
    assert "secret" not in recorded_url(url)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_build_exactly_the_schema_of_the_tables(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    """(SQLite cannot reflect the lower(...) indexes; test_catalog shows its plans use them.)"""
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'c.sqlite'}")
    with catalog.reading() as reader:
        context = MigrationContext.configure(reader.connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == SCHEMA_REVISION == revisions()[-1]
    catalog.close()


def classified_labels(
    image: ReferenceImage, schemas: dict[str, list[tuple[int, str]]]
) -> list[LabelImage]:
    """A uint64 semantic label image per key (its id and version), with those (value, class
    name) pairs."""
    return [
        LabelImage(
            id=key, name="seg", version=key, image_id=image.id, label_type="semantic",
            dtype="uint64", provenance=Provenance(method="manual"),
            label_schema=LabelSchema(classes=tuple(
                LabelClass(value=value, name=name) for value, name in names
            )),
        )
        for key, names in schemas.items()
    ]  # fmt: skip


def test_revision_0003_keys_class_names_in_listing_order_and_goes_back(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    """Upgrading from 0002 moves the class rows into ``label_class_names`` (each folded name
    once per label image); going back rebuilds ``label_classes`` from the records (uint64
    values from 2**63 wrapped into the signed column)."""
    url = new_catalog() or f"sqlite:///{tmp_path / 'c.sqlite'}"
    image = ReferenceImage(id="img", name="raw")
    schemas = {
        "a": [(1, "Nucleus"), (2, "nucleus"), (3, "Cell")],
        "b": [],
        "c": [(2**64 - 1, "cell")],
    }
    labels = classified_labels(image, schemas)
    with Catalog.create(url) as catalog:
        catalog.rebuild([(image, "images/raw", [(item, item.key) for item in labels], [], [])])
        upgraded = catalog.dump()
        with catalog.writing() as writer:
            command.downgrade(alembic_config(writer.connection), "0002")
            rows = writer.connection.execute(text("SELECT * FROM label_classes")).all()
        assert sorted(tuple(row) for row in rows) == [
            ("a", 1, "Nucleus", "nucleus"), ("a", 2, "nucleus", "nucleus"),
            ("a", 3, "Cell", "cell"), ("c", -1, "cell", "cell"),
        ]  # fmt: skip
        with catalog.writing() as writer:
            assert schema_state(writer.connection) is SchemaState.BEHIND
            upgrade(writer.connection)
        assert catalog.dump() == upgraded
        assert sorted((row["label_image_id"], row["name_folded"])
                      for row in upgraded["label_class_names"]) == [
            ("a", "cell"), ("a", "nucleus"), ("c", "cell")
        ]  # fmt: skip


def indexes_carrying_class_lists(connection: Connection) -> set[str]:
    """The indexes of ``label_images`` that PostgreSQL made with ``INCLUDE (class_names)``."""
    if connection.dialect.name != "postgresql":
        return set()
    rows = connection.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'label_images'")
    )
    return {name for name, definition in rows if "INCLUDE (class_names)" in definition}


def test_revision_0004_lists_class_names_as_the_writer_does_and_goes_back(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    """Upgrading from 0003 fills ``class_names`` from ``label_class_names`` exactly as the
    writer fills it (folded, sorted by code point, names holding the separator left out), and
    on PostgreSQL makes the indexes that ``tables`` says carry it."""
    url = new_catalog() or f"sqlite:///{tmp_path / 'c.sqlite'}"
    image = ReferenceImage(id="img", name="raw")
    names = {"a": ["Nucleus", "nucleus", "Zelle", "Ärger", "cell"], "b": [], "c": ["x\x1fy"]}
    labels = classified_labels(image, {key: list(enumerate(n, 1)) for key, n in names.items()})
    with Catalog.create(url) as catalog:
        catalog.rebuild([(image, "images/raw", [(item, item.key) for item in labels], [], [])])
        written = catalog.dump()
        with catalog.writing() as writer:
            carrying = indexes_carrying_class_lists(writer.connection)
            command.downgrade(alembic_config(writer.connection), "0003")
            columns = [c["name"] for c in inspect(writer.connection).get_columns("label_images")]
            assert "class_names" not in columns
            assert indexes_carrying_class_lists(writer.connection) == set()
            upgrade(writer.connection)
            assert indexes_carrying_class_lists(writer.connection) == carrying
        assert catalog.dump() == written
        if catalog.url.get_backend_name() == "postgresql":
            assert carrying == {
                index.name for index in label_images.indexes
                if index.dialect_options["postgresql"]["include"]
            } == {f"ix_label_images_{name}" for name in (
                "method", "type", "software", "software_method_type", "author", "model_sha256"
            )}  # fmt: skip
    lists = {row["id"]: row["class_names"] for row in written["label_images"]}
    assert lists == {"a": "\x1fcell\x1fnucleus\x1fzelle\x1färger\x1f", "b": None, "c": None}


def test_revision_0005_indexes_collection_names_with_their_image_and_goes_back(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    """Upgrading from 0004 makes ``ix_collections_name`` (name, image id), which a reference
    by collection name reads (tests/catalog/test_lookups.py); going back restores (name)."""
    image = ReferenceImage(id="img", name="raw")
    collections = [LabelCollection(id=f"c-{name}", name=name, image_id=image.id) for name in "ab"]

    def name_index(connection: Connection) -> list[str | None]:
        found = inspect(connection).get_indexes("collections")
        return next(index["column_names"] for index in found if index["name"] == NAME_INDEX)

    with Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        catalog.rebuild([(image, "images/raw", [], collections, [])])
        upgraded = catalog.dump()
        with catalog.writing() as writer:
            assert name_index(writer.connection) == ["name", "image_id"]
            command.downgrade(alembic_config(writer.connection), "0004")
            assert name_index(writer.connection) == ["name"]
            assert schema_state(writer.connection) is SchemaState.BEHIND
            upgrade(writer.connection)
            assert name_index(writer.connection) == ["name", "image_id"]
        assert catalog.dump() == upgraded
        assert catalog.collection_matches("a").first == ("raw/a",)


def test_init_records_the_catalog_and_every_command_follows_it(
    run: Run, postgres: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database()
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, url)
    repo = tmp_path / "repo"
    code, out, _ = run("init", repo)
    assert code == 0 and f"127.0.0.1:{postgres.port}" in out
    marker = json.loads((repo / "labelcollections.json").read_text())
    assert marker["catalog"] == url.replace("postgresql://", "postgresql+psycopg://")
    monkeypatch.delenv(ENVIRONMENT_VARIABLE)
    np.save(tmp_path / "image.npy", np.zeros((32, 32), np.uint8))
    assert run("add-image", repo, tmp_path / "image.npy", "--name", "img")[0] == 0
    assert not (repo / "catalog.sqlite").exists()
    with Catalog(url) as catalog:
        assert [image.name for image, _ in catalog.images()] == ["img"]
    other = tmp_path / "other"
    code, _, err = run("init", other, "--catalog", url)
    assert code == 2 and "catalog: an empty database for a new repository" in err
    assert not other.exists()


def test_init_refuses_passwords_and_unreachable_servers_writing_nothing(
    run: Run, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    code, _, err = run("init", repo, "--catalog", "postgresql://ana:secret@127.0.0.1/labels")
    assert code == 2 and "catalog password: none in the URL" in err and "secret" not in err
    unreachable = f"postgresql://ana@127.0.0.1:{free_port()}/labels"
    code, _, err = run("init", repo, "--catalog", unreachable)
    assert code == 2 and "catalog: a reachable database (connection failed" in err
    assert len(err.strip().splitlines()) == 1
    assert not repo.exists()


def test_a_catalog_from_before_schema_revisions_is_upgraded_by_rebuilding_it(
    run: Run, tmp_path: Path, new_catalog: NewCatalog
) -> None:
    root = tmp_path / "repo"
    with Repository.init(root, catalog=new_catalog()) as repository:
        repository.add_image(np.zeros((32, 32), np.uint8), "img")
        repository.add_labels(
            "img", np.eye(32, dtype=np.uint8), collection="c", name="diagonal",
            label_type="semantic", provenance=Provenance(method="manual"),
        )  # fmt: skip
        before = repository.catalog.dump()
        with repository.catalog.writing() as writer:
            writer.connection.execute(text("DROP TABLE alembic_version"))
    code, _, err = run("find", root)
    assert (
        code == 2 and "made before schema versions; run 'labelcollections catalog upgrade'" in err
    )
    code, out, _ = run("catalog", "upgrade", root)
    assert code == 0 and f"catalog at revision {SCHEMA_REVISION} (was made before" in out
    with Repository.open(root) as repository:
        assert repository.catalog.dump() == before
    code, out, _ = run("catalog", "upgrade", root)
    assert code == 0 and "(was current)" in out


def test_a_catalog_of_a_newer_version_is_left_alone(
    run: Run, tmp_path: Path, new_catalog: NewCatalog
) -> None:
    root = tmp_path / "repo"
    with (
        Repository.init(root, catalog=new_catalog()) as repository,
        repository.catalog.writing() as writer,
    ):
        writer.connection.execute(text("UPDATE alembic_version SET version_num = 'future'"))
    code, _, err = run("image", "list", root)
    assert code == 2 and "this catalog is newer than this labelcollections" in err
    code, _, err = run("catalog", "upgrade", root)
    assert code == 2 and "a revision this labelcollections knows" in err
