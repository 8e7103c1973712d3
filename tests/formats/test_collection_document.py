"""Collections as RFC-8 documents: valid under the rules, readable by others, lossless for us."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.formats.collection_document import from_document, to_document
from labelcollections.formats.rfc8 import parse_document, validate_document
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import Axis, LabelImage, Level, ReferenceImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance

IMAGE = ReferenceImage(
    id="img1",
    name="nuclei_raw",
    axes=(Axis(name="y", type="space", unit="micrometer"), Axis(name="x", type="space")),
    dtype="uint8",
    levels=(Level(path="0", shape=(8, 8), scale=(0.5, 0.5)),),
    content_hash="sha256:" + "0" * 64,
)


def label(identifier: str, name: str, version: str = "v1", **extra: Any) -> LabelImage:
    return LabelImage(
        id=identifier,
        name=name,
        version=version,
        image_id=IMAGE.id,
        label_type="instance",
        label_schema=LabelSchema(
            classes=(
                LabelClass(value=1, name="nucleus", color=(255, 0, 0, 255)),
                LabelClass(value=2, properties={"area": 12, "tags": ["a,b", "=c"]}),
            )
        ),
        provenance=Provenance(
            method="machine-learning", software="cellpose", parameters={"d": [1, {"x": None}]}
        ),
        axes=IMAGE.axes,
        dtype="uint16",
        levels=IMAGE.levels,
        **extra,
    )


LABELS = (label("l1", "nuclei"), label("l2", "nuclei", "v2", attributes={"napari:blend": "add"}))
COLLECTION = LabelCollection(
    id="c1",
    name="cell_analysis",
    image_id=IMAGE.id,
    description="two versions",
    provenance=Provenance(method="manual", author="Jane"),
    members=("l1", "l2"),
    attributes={"mobie:view": {"grid": True}},
)
PATHS = {"img1": "..", "l1": "../labels/a/nuclei@v1", "l2": "../labels/a/nuclei@v2"}


def test_documents_pass_every_rfc8_rule_and_name_members_by_version() -> None:
    document = to_document(COLLECTION, IMAGE, LABELS, PATHS)
    assert validate_document(document["ome"]) == []
    assert validate_document(document["ome"], "0.9.dev3") == []
    nodes = document["ome"]["nodes"]
    assert [node["name"] for node in nodes] == ["nuclei_raw", "nuclei@v1", "nuclei@v2"]
    labels = nodes[1]["attributes"]["labels"]
    assert labels["source"] == [{"id": "img1"}]
    assert labels["labelAttributes"][0] == {
        "labelValue": 1,
        "color": [255, 0, 0, 255],
        "labelcollections:class": "nucleus",
    }
    assert nodes[2]["attributes"]["napari:blend"] == "add"


def test_document_round_trip_is_lossless() -> None:
    document = to_document(COLLECTION, IMAGE, LABELS, PATHS)
    parsed = from_document(document, "c.json")
    assert parsed.collection == COLLECTION
    assert parsed.image == IMAGE
    assert parsed.labels == LABELS
    assert dict(parsed.paths) == PATHS
    assert parse_document(document["ome"]).to_json() == document["ome"]


@settings(max_examples=40)
@given(
    st.lists(st.sampled_from(["l1", "l2"]), unique=True),
    st.dictionaries(st.from_regex(r"[a-z]{1,5}:[a-z]{1,5}", fullmatch=True), st.text(), max_size=3),
)
def test_any_membership_and_foreign_attributes_survive(
    members: list[str], attributes: dict[str, str]
) -> None:
    collection = COLLECTION.model_copy(update={"members": tuple(members), "attributes": attributes})
    chosen = [item for item in LABELS if item.id in members]
    document = to_document(collection, IMAGE, chosen, PATHS)
    assert from_document(document, "c.json").collection == collection


def test_a_member_referring_to_another_image_is_refused() -> None:
    document = to_document(COLLECTION, IMAGE, LABELS, PATHS)
    broken = copy.deepcopy(document)
    broken["ome"]["nodes"][2]["attributes"]["labels"]["source"] = [
        {"id": "other", "path": {"type": "zarr", "path": "../../other.ome.zarr"}}
    ]
    with pytest.raises(InputError) as error:
        from_document(broken, "c.json")
    assert error.value.field == "ome.nodes[2].attributes.labels.source"


def test_rule_violations_are_reported_with_their_location() -> None:
    document = to_document(COLLECTION, IMAGE, LABELS, PATHS)
    broken = copy.deepcopy(document)
    broken["ome"]["nodes"][2]["name"] = "nuclei@v1"
    with pytest.raises(InputError) as error:
        from_document(broken, "c.json")
    assert error.value.field == "ome.nodes[2]"
    assert "node-name-unique" in error.value.expected


def test_a_plain_rfc8_label_collection_reads_with_neutral_provenance() -> None:
    document = {
        "ome": {
            "version": "0.9.dev3",
            "type": "collection",
            "name": "label-example",
            "nodes": [
                {"id": "raw", "name": "raw", "type": "multiscale",
                 "path": {"type": "zarr", "path": "./raw"}},
                {"id": "nuc", "name": "nuclei", "type": "multiscale",
                 "path": {"type": "zarr", "path": "./nuclei"},
                 "attributes": {"labels": {"source": [{"id": "raw"}],
                     "labelAttributes": [{"labelValue": 1, "color": [255, 0, 0, 255]}]}}},
            ],
        }
    }  # fmt: skip
    parsed = from_document(document, "example.json")
    assert parsed.image.name == "raw"
    (only,) = parsed.labels
    assert (only.name, only.version, only.provenance.method.value) == ("nuclei", "v1", "imported")
    assert only.label_schema.classes == (LabelClass(value=1, color=(255, 0, 0, 255)),)
    assert parsed.collection.members == ("nuc",)
