"""The catalog answers lineage and find queries from its own tables, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from labelcollections.catalog import (
    Catalog,
    CatalogEntry,
    Correspondence,
    InstanceMatch,
    InstanceSummary,
    LabelImageFilter,
    TableRecord,
    queries,
)
from labelcollections.catalog.queries import find_statements
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance

NewCatalog = Callable[[], str | None]
IMAGE = ReferenceImage(id="img", name="raw")
START = datetime(2026, 1, 1, tzinfo=UTC)


def label(
    identifier: str,
    parent: str | None,
    hours: int,
    method: str = "manual",
    image: ReferenceImage = IMAGE,
    classes: tuple[str, ...] = (),
) -> LabelImage:
    return LabelImage(
        id=identifier,
        name="nuclei",
        version=identifier,
        image_id=image.id,
        label_type="instance",
        label_schema=LabelSchema(
            classes=tuple(LabelClass(value=v, name=n) for v, n in enumerate(classes, 1))
        ),
        provenance=Provenance(
            method=method, derived_from=parent, created=START + timedelta(hours=hours)
        ),
    )


def summary_table(label_id: str, areas: list[int]) -> TableRecord:
    return TableRecord(
        label_id,
        f"{label_id}.instances",
        "instances",
        len(areas),
        {},
        summary=InstanceSummary(
            len(areas), sum(areas), min(areas), max(areas), sum(areas) / len(areas)
        ),
    )


def entries() -> list[CatalogEntry]:
    family = [
        label("v1", None, 0),
        label("v2", "v1", 1),
        label("v2b", "v1", 2, "machine-learning"),
        label("v3", "v2", 3),
        label("other", None, 4),
    ]
    collection = LabelCollection(
        id="c", name="c", image_id=IMAGE.id, members=tuple(item.id for item in family)
    )
    tables = [
        summary_table("v1", [10, 20, 30]),
        summary_table("v2", [100, 200]),
        TableRecord(
            "v2",
            "v2.matches.v1",
            "correspondence",
            2,
            {},
            correspondence=Correspondence("v1", "v2", 0.5, [1, 3], [7, 8], [0.9, 0.6]),
        ),
    ]
    labels = [(item, f"c/{item.key}") for item in family]
    return [(IMAGE, "images/raw.ome.zarr", labels, [collection], tables)]


@pytest.fixture
def catalog(tmp_path: Path, new_catalog: NewCatalog) -> Iterator[Catalog]:
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    catalog.rebuild(entries())
    yield catalog
    catalog.close()


def ids(labels: list[LabelImage]) -> list[str]:
    return [item.id for item in labels]


def found(catalog: Catalog, **filters: object) -> list[str]:
    return ids(catalog.find(LabelImageFilter(**filters)).labels)  # type: ignore[arg-type]


def test_lineage_walks_up_to_the_root_and_down_every_branch(catalog: Catalog) -> None:
    assert ids(catalog.lineage("v2")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("v1")) == ["v1", "v2", "v2b", "v3"]
    assert ids(catalog.lineage("v3")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("other")) == ["other"]
    assert catalog.lineage("missing") == []


def test_lineage_is_bounded_and_lists_a_cycle_once(
    tmp_path: Path, new_catalog: NewCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chain longer than the depth cap is cut at the cap each way; a corrupt cycle (which
    add and import refuse, but a catalog may hold) ends and lists each label image once."""
    chain = [label(f"v{i}", f"v{i - 1}" if i else None, i) for i in range(9)]
    cycle = [label("a", "b", 10), label("b", "a", 11), label("c", "c", 12)]
    labels = [(item, f"c/{item.key}") for item in [*chain, *cycle]]
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        catalog.rebuild([(IMAGE, "images/raw.ome.zarr", labels, [], [])])
        monkeypatch.setattr(queries, "MAX_LINEAGE_DEPTH", 3)
        assert ids(catalog.lineage("v4")) == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
        assert ids(catalog.lineage("v0")) == ["v0", "v1", "v2", "v3"]
        assert sorted(ids(catalog.lineage("a"))) == ["a", "b"]
        assert ids(catalog.lineage("c")) == ["c"]
        monkeypatch.setattr(queries, "MAX_LINEAGE_DEPTH", 10_000)
        assert sorted(ids(catalog.lineage("b"))) == ["a", "b"]
        assert len(catalog.lineage("v8")) == 9
    finally:
        catalog.close()


def test_find_combines_conditions(catalog: Catalog) -> None:
    assert found(catalog, derived_from="v1") == ["v2", "v2b"]
    assert found(catalog, method="machine-learning") == ["v2b"]
    assert found(catalog, method="manual", collection="c", image="raw") == [
        "other", "v1", "v2", "v3"
    ]  # fmt: skip
    assert catalog.find(LabelImageFilter(image="nope")).labels == []


def test_rebuild_twice_gives_the_same_dump(catalog: Catalog, tmp_path: Path) -> None:
    first = catalog.dump()
    catalog.rebuild(entries())
    assert catalog.dump() == first
    assert len(first["instance_matches"]) == 2


def test_find_filters_on_instance_counts_and_sizes(catalog: Catalog) -> None:
    assert found(catalog, min_instances=3) == ["v1"]
    assert found(catalog, max_instances=2) == ["v2"]
    assert found(catalog, min_mean_area=100) == ["v2"]
    assert found(catalog, max_mean_area=20, min_instances=1) == ["v1"]
    assert catalog.find(LabelImageFilter(min_instances=4)).labels == []


def test_instance_matches_are_found_from_either_side(catalog: Catalog) -> None:
    assert catalog.instance_matches("v1", 3) == [InstanceMatch("v2", 8, 0.6, 0.5)]
    assert catalog.instance_matches("v2", 7) == [InstanceMatch("v1", 1, 0.9, 0.5)]
    assert catalog.instance_matches("v2", 1) == []
    assert [t.name for t in catalog.tables("v2")] == ["v2.instances", "v2.matches.v1"]
    assert catalog.instance_summary("v1") == InstanceSummary(3, 60, 10, 30, 20.0)
    assert catalog.instance_summary("v3") is None


FILTERS_AND_INDEXES = [
    ("method", "manual", "ix_label_images_method"),
    ("software", "cellpose==3.1", "ix_label_images_software"),
    ("author", "Ana", "ix_label_images_author"),
    ("label_type", "instance", "ix_label_images_type"),
    ("version", "v2", "ix_label_images_version"),
    ("class_name", "nucleus", "label_class_names USING PRIMARY KEY"),
    ("image", "plate1_A01", "ix_label_images_order"),
    ("collection", "reviewed", "ix_collections_name"),
    ("name", "nuclei", "ix_label_images_name"),
    ("derived_from", "a1b2", "ix_label_images_derived_from"),
    ("model_sha256", "AB12", "ix_label_images_model_sha256"),
    ("min_instances", 10, "ix_instance_summaries_instances"),
    ("max_instances", 10, "ix_instance_summaries_instances"),
    ("min_mean_area", 5.0, "ix_instance_summaries_mean_area"),
    ("max_mean_area", 5.0, "ix_instance_summaries_mean_area"),
]


COMBINATIONS_AND_INDEXES = [
    ({"software": "cellpose", "method": "manual", "label_type": "instance", "version": "v2"},
     "ix_label_images_software_method_type (software_folded=? AND method=? AND label_type=?"
     " AND version=?)"),
    ({"class_name": "nucleus", "author": "Ana"}, "ix_label_images_author"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "index"),
    [({field: value}, index) for field, value, index in FILTERS_AND_INDEXES]
    + COMBINATIONS_AND_INDEXES,
)
def test_every_find_filter_searches_an_index(
    tmp_path: Path, filters: dict[str, object], index: str
) -> None:
    """SQLite's plans for the count and the page of each filter search its index and never
    scan the label images; software with method, type and version is one range of its second
    index, and a class with an author is checked on the author's label images."""
    with Catalog.create(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog, catalog.reading() as r:
        for statement in find_statements(LabelImageFilter(**filters), limit=50):  # type: ignore[arg-type]
            compiled = statement.compile(r.connection, compile_kwargs={"literal_binds": True})
            plan = [
                row[-1] for row in r.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            ]
            assert any("SEARCH" in step and index in step for step in plan), plan
            assert not any(step.startswith("SCAN label_images") for step in plan), plan


def test_totals_are_exact_up_to_the_cap_unless_the_exact_total_is_asked(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "TOTAL_CAP", 2)
    manual = LabelImageFilter(method="manual")  # v1, v2, v3 and other
    capped = catalog.find(manual, limit=1)
    assert (capped.total, capped.total_exact, capped.shown_total) == (2, False, "2+")
    exact = catalog.find(manual, limit=1, exact_total=True)
    assert (exact.total, exact.total_exact, exact.shown_total) == (4, True, "4")
    assert ids(exact.labels) == ids(capped.labels) == ["other"]
    later = catalog.find(manual, limit=1, cursor=capped.next_cursor)
    assert (later.total, later.total_exact, ids(later.labels)) == (2, False, ["v1"])
    at_the_cap = catalog.find(LabelImageFilter(derived_from="v1"), limit=1)
    assert (at_the_cap.total, at_the_cap.total_exact) == (2, True)
    one_page = catalog.find(manual, limit=4)
    assert (one_page.total, one_page.total_exact, one_page.next_cursor) == (4, True, None)


def classified(identifier: str, image: ReferenceImage, *names: str) -> LabelImage:
    return label(identifier, None, 0, image=image, classes=names)


def test_a_class_filter_pages_in_listing_order_and_folds_case(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    """Two values of one label image may fold to the same class name: it is listed once."""
    other = ReferenceImage(id="img0", name="a-first")
    labels = [
        (IMAGE, [classified("t1", IMAGE, "Nucleus", "nucleus", "Stroma"), classified("t2", IMAGE)]),
        (other, [classified("t3", other, "NUCLEUS"), classified("t4", other, "stroma")]),
    ]
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    catalog.rebuild(
        (image, f"images/{image.name}", [(item, f"c/{item.key}") for item in items], [], [])
        for image, items in labels
    )  # fmt: skip
    nucleus = LabelImageFilter(class_name="nUcleus")
    first = catalog.find(nucleus, limit=1)
    assert (ids(first.labels), first.total) == (["t3"], 2)
    assert ids(catalog.find(nucleus, limit=1, cursor=first.next_cursor).labels) == ["t1"]
    by_name = catalog.find(LabelImageFilter(class_name="nucleus", name="nuclei"), limit=1)
    by_method = catalog.find(LabelImageFilter(class_name="nucleus", method="manual"), limit=1)
    assert by_name.total == by_method.total == 2  # counted in the class index, and joined
    assert found(catalog, class_name="stroma", image="raw") == ["t1"]
    assert found(catalog, class_name="stroma", version="t4") == ["t4"]
    assert found(catalog, class_name="nothing") == []
    assert len(catalog.dump()["label_class_names"]) == 4
    catalog.close()


CLASS_NAMES = ["Cell", "apoptotic cell", "cell wall", "50%_done", "a\x1fb", "Straße"]


@pytest.mark.parametrize(
    "wanted", ["cell", "CELL", "apoptotic cell", "50%_done", "%", "_ell", "a\x1fb", "a", "STRASSE"]
)
def test_a_class_with_other_filters_finds_what_the_class_index_finds(
    tmp_path: Path, new_catalog: NewCatalog, wanted: str
) -> None:
    """With another filter, a class is checked in each candidate's class list: whole names
    only, case folded, ``%`` and ``_`` taken literally; a name holding the lists' separator
    joins the class index. Either way the matches are those of the class alone that pass the
    other filter."""
    labels = [label(f"m{n}", None, n, classes=(name,)) for n, name in enumerate(CLASS_NAMES)] + [
        label(f"x{n}", None, n, "algorithm", classes=(name,)) for n, name in enumerate(CLASS_NAMES)
    ]
    catalog = Catalog.create(new_catalog() or f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    catalog.rebuild([(IMAGE, "images/raw", [(item, f"c/{item.key}") for item in labels], [], [])])
    by_class = catalog.find(LabelImageFilter(class_name=wanted), exact_total=True)
    combined = catalog.find(LabelImageFilter(class_name=wanted, method="manual"), exact_total=True)
    manual = [item.id for item in by_class.labels if item.provenance.method.value == "manual"]
    assert ids(combined.labels) == manual
    assert combined.total == len(manual)
    expected = {"cell": ["m0"], "CELL": ["m0"], "apoptotic cell": ["m1"], "50%_done": ["m3"],
                "a\x1fb": ["m4"], "STRASSE": ["m5"]}  # fmt: skip
    assert manual == expected.get(wanted, [])
    catalog.close()
