"""The catalog answers lineage and find queries from its own tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from labelcollections.catalog import Catalog, LabelImageFilter
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.provenance import Provenance

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


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
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
    catalog.rebuild(
        [(IMAGE, "images/raw.ome.zarr", [(item, f"c/{item.key}") for item in family], [collection])]
    )
    return catalog


def ids(labels: list[LabelImage]) -> list[str]:
    return [item.id for item in labels]


def test_lineage_walks_up_to_the_root_and_down_every_branch(catalog: Catalog) -> None:
    assert ids(catalog.lineage("v2")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("v1")) == ["v1", "v2", "v2b", "v3"]
    assert ids(catalog.lineage("v3")) == ["v1", "v2", "v3"]
    assert ids(catalog.lineage("other")) == ["other"]
    assert catalog.lineage("missing") == []


def test_find_combines_conditions(catalog: Catalog) -> None:
    assert ids(catalog.find(LabelImageFilter(derived_from="v1"))) == ["v2", "v2b"]
    assert ids(catalog.find(LabelImageFilter(method="machine-learning"))) == ["v2b"]
    assert ids(catalog.find(LabelImageFilter(method="manual", collection="c", image="raw"))) == [
        "other", "v1", "v2", "v3"
    ]  # fmt: skip
    assert catalog.find(LabelImageFilter(image="nope")) == []


def test_rebuild_twice_gives_the_same_dump(catalog: Catalog, tmp_path: Path) -> None:
    first = catalog.dump()
    entries = [
        (image, store, catalog.label_images(image.id), catalog.collections(image.id))
        for image, store in catalog.images()
    ]
    catalog.rebuild(entries)
    assert catalog.dump() == first
