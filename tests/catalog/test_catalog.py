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
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.provenance import Provenance

NewCatalog = Callable[[], str | None]
IMAGE = ReferenceImage(id="img", name="raw")
START = datetime(2026, 1, 1, tzinfo=UTC)


def label(identifier: str, parent: str | None, hours: int, method: str = "manual") -> LabelImage:
    return LabelImage(
        id=identifier,
        name="nuclei",
        version=identifier,
        image_id=IMAGE.id,
        label_type="instance",
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


def test_lineage_walks_up_to_the_root_and_down_every_branch(catalog: Catalog) -> None:
    assert ids(catalog.lineage("v2")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("v1")) == ["v1", "v2", "v2b", "v3"]
    assert ids(catalog.lineage("v3")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("other")) == ["other"]
    assert catalog.lineage("missing") == []


def test_find_combines_conditions(catalog: Catalog) -> None:
    assert ids(catalog.find(LabelImageFilter(derived_from="v1")).labels) == ["v2", "v2b"]
    assert ids(catalog.find(LabelImageFilter(method="machine-learning")).labels) == ["v2b"]
    assert ids(catalog.find(LabelImageFilter(method="manual", collection="c", image="raw")).labels) == [
        "other", "v1", "v2", "v3"
    ]  # fmt: skip
    assert catalog.find(LabelImageFilter(image="nope")).labels == []


def test_rebuild_twice_gives_the_same_dump(catalog: Catalog, tmp_path: Path) -> None:
    first = catalog.dump()
    catalog.rebuild(entries())
    assert catalog.dump() == first
    assert len(first["instance_matches"]) == 2


def test_find_filters_on_instance_counts_and_sizes(catalog: Catalog) -> None:
    assert ids(catalog.find(LabelImageFilter(min_instances=3)).labels) == ["v1"]
    assert ids(catalog.find(LabelImageFilter(max_instances=2)).labels) == ["v2"]
    assert ids(catalog.find(LabelImageFilter(min_mean_area=100)).labels) == ["v2"]
    assert ids(catalog.find(LabelImageFilter(max_mean_area=20, min_instances=1)).labels) == ["v1"]
    assert catalog.find(LabelImageFilter(min_instances=4)).labels == []


def test_instance_matches_are_found_from_either_side(catalog: Catalog) -> None:
    assert catalog.instance_matches("v1", 3) == [InstanceMatch("v2", 8, 0.6, 0.5)]
    assert catalog.instance_matches("v2", 7) == [InstanceMatch("v1", 1, 0.9, 0.5)]
    assert catalog.instance_matches("v2", 1) == []
    assert [t.name for t in catalog.tables("v2")] == ["v2.instances", "v2.matches.v1"]
    assert catalog.instance_summary("v1") == InstanceSummary(3, 60, 10, 30, 20.0)
    assert catalog.instance_summary("v3") is None
