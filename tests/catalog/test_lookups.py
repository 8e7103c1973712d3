"""References resolved by the catalog's lookups choose what comparing every candidate chooses:
the same label image or collection, the same not-found error, the same list of candidates;
each lookup searches an index, and only the chosen record is parsed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Select
from sqlalchemy.engine import Connection

from labelcollections.catalog import Catalog, CatalogEntry
from labelcollections.catalog.lookups import Lookup, collection_lookup, label_lookup
from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.provenance import Provenance
from labelcollections.model.references import (
    SHOWN_CANDIDATES,
    Matches,
    choose,
    choose_label,
)

NewCatalog = Callable[[], str | None]
# "a-b" and "a.b" sort before "a" as qualified references ("-" and "." come before "/"), "z-1"
# before "z": the first ten of the 11 "m@v1" differ from the first ten in (image, name) order.
IMAGES = ("i1", "i2", "i3", "a", "a-b", "a.b", "b", "c", "d", "e", "z", "z-1")
# (image, name, version): names with "/" and "@", a key that is another's qualified form
# ("i2/n@v1"), names that sort apart by code point (é, Z, 中), and "m@v1" on 11 images.
LABELS = [
    ("i1", "n", "v1"), ("i1", "n", "v2"), ("i1", "i2/n", "v1"), ("i1", "n@v1", "v2"),
    ("i1", "x/y", "v1"), ("i2", "n", "v1"), ("i2", "a b", "v1"), ("i3", "i1/n", "v2"),
    ("i3", "n@v1", "v2"), ("i3", "é", "v1"), ("i3", "Z", "v1"), ("e", "中/@", "v1"),
    ("e", "e/m", "v1"),
    *((image, "m", "v1") for image in IMAGES if image != "e"),
]  # fmt: skip
LABEL_IDS = {("i2", "a b", "v1"): "n@v2"}
"""A label image whose id is another's ``name@version``."""
# (image, id, name): a name that is another collection's id ("c1"), one that looks qualified
# ("i2/c"), and "s" on 11 images.
COLLECTIONS = [
    ("i1", "c1", "c"), ("i1", "c2", "i2/c"), ("i2", "c3", "c"), ("i2", "c4", "c1"),
    ("i3", "c5", "only here"), ("a", "c6", "a/b"), ("a-b", "c7", "c"),
    *((image, f"s-{image}", "s") for image in IMAGES if image != "e"),
]  # fmt: skip
EXTRA = ["n@v3", "i9/n@v1", "@v1", "n@", "i1/", "/n@v1", "i1/n", "i1/n@v1@v2", "nothing", "",
         "@", "/", "i1//n@v1", "a/b", "c", "s", "m@v1", "e/e/m@v1"]  # fmt: skip
LABEL_EXPECTED = "a label image"
COLLECTION_EXPECTED = "a collection"


def image_id(name: str) -> str:
    return f"id-{name}"


def make_label(identifier: str, image: str, name: str, version: str) -> LabelImage:
    return LabelImage(
        id=identifier,
        name=name,
        version=version,
        image_id=image_id(image),
        label_type="semantic",
        provenance=Provenance(method="manual"),
    )


Labels = Sequence[tuple[str, str, str]]
Collections = Sequence[tuple[str, str, str]]


def labels_of(table: Labels) -> list[tuple[LabelImage, str]]:
    return [
        (make_label(LABEL_IDS.get(key, f"L{number}"), *key), key[0])
        for number, key in enumerate(table)
    ]


def collections_of(table: Collections) -> list[tuple[LabelCollection, str]]:
    return [
        (LabelCollection(id=identifier, name=name, image_id=image_id(image)), image)
        for image, identifier, name in table
    ]


def entries(images: Sequence[str], labels: Labels, collections: Collections) -> list[CatalogEntry]:
    return [
        (
            ReferenceImage(id=image_id(image), name=image),
            f"images/{image}.ome.zarr",
            [(label, f"l{number}") for number, (label, owner) in enumerate(labels_of(labels))
             if owner == image],
            [collection for collection, owner in collections_of(collections) if owner == image],
            [],
        )
        for image in images
    ]  # fmt: skip


@pytest.fixture
def empty_catalog(tmp_path: Path, new_catalog: NewCatalog) -> Iterator[Catalog]:
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield catalog
    catalog.close()


@pytest.fixture
def catalog(empty_catalog: Catalog) -> Catalog:
    empty_catalog.rebuild(entries(IMAGES, LABELS, COLLECTIONS))
    return empty_catalog


Outcome = tuple[str, str]


def outcome(choose_one: Callable[[], Any]) -> Outcome:
    """What choosing gives: the id chosen, or the error."""
    try:
        return "found", choose_one().id
    except (NotFoundError, InputError) as error:
        return type(error).__name__, str(error)


def compared_label(reference: str, labels: Labels, scope: str | None) -> Outcome:
    """Comparing the forms of every label image (of image ``scope`` only, if given)."""
    everything = [(label, image, None) for label, image in labels_of(labels)]
    scoped = [candidate for candidate in everything if scope in (None, candidate[1])]
    return outcome(lambda: choose_label(reference, scoped, LABEL_EXPECTED)[0])


def compared_collection(reference: str, collections: Collections, scope: str | None) -> Outcome:
    """Comparing the forms of every collection (of image ``scope`` only, if given)."""
    found = sorted(
        (f"{image}/{c.name}", c)
        for c, image in collections_of(collections)
        if scope in (None, image) and reference in (c.id, c.name, f"{image}/{c.name}")
    )
    only = found[0][1] if len(found) == 1 else None
    matches = Matches(len(found), tuple(q for q, _ in found[:SHOWN_CANDIDATES]), only)
    return outcome(lambda: choose(reference, matches, "collection", COLLECTION_EXPECTED))


def looked_up_label(catalog: Catalog, reference: str, scope: str | None) -> Outcome:
    matches = catalog.label_matches(reference, None if scope is None else image_id(scope))
    return outcome(lambda: choose(reference, matches, "label image", LABEL_EXPECTED))


def looked_up_collection(catalog: Catalog, reference: str, scope: str | None) -> Outcome:
    matches = catalog.collection_matches(reference, None if scope is None else image_id(scope))
    return outcome(lambda: choose(reference, matches, "collection", COLLECTION_EXPECTED))


def references_to(kind: str, labels: Labels, collections: Collections) -> list[str]:
    """Every form of every label image or collection, and references that name none."""
    forms = (
        [(label.id, label.key, f"{image}/{label.key}") for label, image in labels_of(labels)]
        if kind == "label image"
        else [(c.id, c.name, f"{image}/{c.name}") for c, image in collections_of(collections)]
    )
    return sorted({*(reference for each in forms for reference in each), *EXTRA})


def outcomes(
    catalog: Catalog,
    kind: str,
    reference: str,
    scope: str | None = None,
    labels: Labels = LABELS,
    collections: Collections = COLLECTIONS,
) -> tuple[Outcome, Outcome]:
    """What comparing every candidate gives, and what the catalog's lookups give."""
    if kind == "label image":
        return compared_label(reference, labels, scope), looked_up_label(catalog, reference, scope)
    return (
        compared_collection(reference, collections, scope),
        looked_up_collection(catalog, reference, scope),
    )


@pytest.mark.parametrize(
    ("kind", "scope"),
    [("label image", None), ("label image", "i1"), ("label image", "i3"), ("label image", "e"),
     ("collection", None), ("collection", "i1"), ("collection", "i2")],
)  # fmt: skip
def test_lookups_choose_what_comparing_every_candidate_chooses(
    catalog: Catalog, kind: str, scope: str | None
) -> None:
    """Over every form of every object and references that name none; unscoped, some name
    several objects and some more than ten."""
    kinds = set()
    for reference in references_to(kind, LABELS, COLLECTIONS):
        expected, found = outcomes(catalog, kind, reference, scope)
        assert found == expected, reference
        kinds.add("capped" if expected[1].endswith("more)") else expected[0])
    assert {"found", "NotFoundError"} <= kinds
    assert ("capped" in kinds and "InputError" in kinds) == (scope is None)


SOME_IMAGES = ("a", "a-b", "b")
random_labels = st.lists(
    st.tuples(
        st.sampled_from(SOME_IMAGES),
        st.text(alphabet="ab/@", min_size=1, max_size=4),
        st.sampled_from(["v1", "v2", "a"]),
    ),
    max_size=16,
    unique=True,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=random_labels, typed=st.lists(st.text(alphabet="ab/@v12-", max_size=8), max_size=6))
def test_lookups_choose_what_comparing_chooses_for_random_names(
    empty_catalog: Catalog, labels: Labels, typed: list[str]
) -> None:
    """Label images and collections (one per label image's image and name) with names made
    of ``a``, ``b``, ``/`` and ``@``, and references that are their forms or random text."""
    collections = list({(image, name): (image, f"C{n}", name) for n, (image, name, _) in
                        enumerate(labels)}.values())  # fmt: skip
    empty_catalog.rebuild(entries(SOME_IMAGES, labels, collections))
    for kind in ("label image", "collection"):
        for reference in [*references_to(kind, labels, collections), *typed]:
            expected, found = outcomes(empty_catalog, kind, reference, None, labels, collections)
            assert found == expected, reference


def test_a_reference_to_many_lists_ten_in_the_order_of_their_qualified_references(
    catalog: Catalog,
) -> None:
    shown = ["a-b", "a.b", "a", "b", "c", "d", "i1", "i2", "i3", "z-1"]
    listed = " or ".join(f"{image}/m@v1" for image in shown)
    with pytest.raises(InputError) as raised:
        choose("m@v1", catalog.label_matches("m@v1"), "label image", LABEL_EXPECTED)
    assert str(raised.value) == (
        f"m@v1: label image: a reference to one label image; give one of {listed} (and 1 more)"
    )
    collections = catalog.collection_matches("s")
    assert (collections.count, collections.first[:3]) == (11, ("a-b/s", "a.b/s", "a/s"))
    assert catalog.label_matches("m@v1", image_id("z")).count == 1


def test_candidates_are_listed_in_code_point_order(empty_catalog: Catalog) -> None:
    names = ["é", "Z", "z", "中", "a b", "a/b", "a@b", "ä"]
    empty_catalog.rebuild(entries(["i"], [("i", name, "v1") for name in names], []))
    every_name = Lookup(
        [label_lookup(f"{name}@v1").readings[1] for name in names], label_lookup("").record, str
    )
    with empty_catalog.reading() as reader:
        found = every_name.run(reader.connection)
    assert found.first == tuple(sorted(f"i/{name}@v1" for name in names))


def test_only_the_chosen_record_is_parsed(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    for model in (LabelImage, LabelCollection):

        def counted(record: str, parse: Any = model.model_validate_json) -> Any:
            parsed.append(record)
            return parse(record)

        monkeypatch.setattr(model, "model_validate_json", counted)
    assert catalog.label_matches("m@v1").only is None
    assert catalog.collection_matches("s").only is None
    assert parsed == []
    label, collection = catalog.label_matches("z/m@v1").only, catalog.collection_matches("z/s").only
    assert label is not None and collection is not None
    assert (label.key, collection.id) == ("m@v1", "s-z") and len(parsed) == 2


def test_images_plates_and_store_paths_are_looked_up_by_key(catalog: Catalog) -> None:
    assert catalog.image("i1", by="name") == catalog.image("id-i1", by="id") == catalog.image("i1")
    assert catalog.image("i1", by="id") is None and catalog.image("id-i1", by="name") is None
    assert catalog.label_store_path("L0") == "l0"
    assert catalog.label_store_path("nothing") is None
    assert catalog.plate("nothing") is None


LOOKUPS = [
    (label_lookup("i1/n@v1"), ("i1", "n", "v1")),
    (label_lookup("i1/n@v1", image_id("i1")), ("i1", "n", "v1")),
    (collection_lookup("i1/c"), ("i1", "c")),
    (collection_lookup("i1/c", image_id("i1")), ("i1", "c")),
]
"""Lookups with every reading, unscoped and scoped, and the key of an object they find."""


def plan(connection: Connection, statement: Select[Any]) -> list[str]:
    """The plan's steps: ``EXPLAIN QUERY PLAN`` on SQLite; on PostgreSQL ``EXPLAIN`` with
    sequential scans turned off, so that on these few rows it still picks an index if one
    can answer (with a million rows, the planner picks them by cost: docs/catalog.md)."""
    compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "sqlite":
        return [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    connection.exec_driver_sql("SET enable_seqscan = off")
    return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}")]


@pytest.mark.parametrize(("lookup", "key"), LOOKUPS)
def test_every_lookup_searches_indexes(
    catalog: Catalog, lookup: Lookup[Any], key: tuple[str, ...]
) -> None:
    """Each reading, all of them together and the record's statement search indexes and
    scan no table."""
    with catalog.reading() as reader:
        dialect = reader.connection.dialect.name
        for statement in [*lookup.readings, lookup.statement(dialect), lookup.record(key)]:
            steps = plan(reader.connection, statement)
            if dialect == "sqlite":
                assert any(step.startswith("SEARCH") for step in steps), steps
                assert not any(
                    step.startswith(f"SCAN {table}")
                    for table in ("label_images", "collections", "images")
                    for step in steps
                ), steps
            else:
                assert any("Index" in step for step in steps), steps
                assert not any("Seq Scan" in step for step in steps), steps


def test_a_collection_name_is_searched_in_its_index_with_the_planners_statistics(
    tmp_path: Path,
) -> None:
    """With statistics that say a name is shared by half the collections (as "segmentation"
    and "reviewed" are in a facility's catalog), SQLite still searches the name index, which
    carries the image (revision 0005), instead of scanning the (image, name) key."""
    images = [f"img{number}" for number in range(200)]
    shared = [(image, f"{name}-{image}", name) for image in images for name in ("s", "t")]
    with Catalog.create(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        catalog.rebuild(entries(images, [], shared))
        with catalog.writing() as writer:
            writer.connection.exec_driver_sql("ANALYZE")
        with catalog.reading() as reader:
            steps = plan(reader.connection, collection_lookup("s-img7").statement("sqlite"))
    assert "SEARCH collections USING COVERING INDEX ix_collections_name (name=?)" in steps
    assert not any(step.startswith("SCAN collections") for step in steps), steps
