"""The RFC-8 document model: reading, writing back unchanged, accessors and building in code."""

from __future__ import annotations

import json
import os
from pathlib import Path as FilePath
from typing import Any

import pytest

from labelcollections.formats.rfc8 import (
    CollectionNode,
    DocumentError,
    LabelAttribute,
    Labels,
    MultiscaleNode,
    Node,
    OpaqueNode,
    Path,
    Reference,
    SinglescaleNode,
    parse_document,
    validate_document,
)

EXAMPLE_FOLDERS = ("rfc8-examples", "ngff/rfc8")


def _example_files(root: FilePath) -> list[str]:
    """Every JSON file of the RFC-8 example folders, relative to the conformance root."""
    return sorted(
        str(path.relative_to(root))
        for folder in EXAMPLE_FOLDERS
        for path in (root / folder).rglob("*.json")
    )


def _collected_examples() -> list[str]:
    """Example names for parametrisation; checked against ``conformance_dir`` below."""
    configured = os.environ.get("LABELCOLLECTIONS_CONFORMANCE")
    root = (
        FilePath(configured)
        if configured
        else FilePath(__file__).resolve().parents[3].parent / "shared" / "conformance"
    )
    return _example_files(root) if root.is_dir() else []


EXAMPLES = _collected_examples()


def _ome(document: dict[str, Any]) -> dict[str, Any] | None:
    """The ``ome`` object of a collection file or of a Zarr ``zarr.json``, if there is one."""
    if "ome" in document:
        return document["ome"]  # type: ignore[no-any-return]
    return document.get("attributes", {}).get("ome")  # type: ignore[no-any-return]


def _load(conformance_dir: FilePath, name: str) -> dict[str, Any]:
    return json.loads((conformance_dir / name).read_text())  # type: ignore[no-any-return]


def _all_nodes(node: Node) -> list[Node]:
    return [node, *(n for child in node.nodes or [] for n in _all_nodes(child))]


def test_every_example_is_parametrised(conformance_dir: FilePath) -> None:
    found = _example_files(conformance_dir)
    assert found == EXAMPLES
    assert len(found) == 27


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_round_trips_to_equal_json(conformance_dir: FilePath, name: str) -> None:
    ome = _ome(_load(conformance_dir, name))
    if ome is None:
        assert name.endswith("zarr.json")  # a plain array with no RFC-8 metadata
        return
    written = parse_document(ome).to_json()
    assert written == ome
    # Same key order, at every level.
    assert json.dumps(written) == json.dumps(ome)


def test_example_collection_count(conformance_dir: FilePath) -> None:
    documents = [_ome(_load(conformance_dir, name)) for name in EXAMPLES]
    assert sum(document is not None for document in documents) == 18


@pytest.mark.parametrize(
    ("name", "node_count"),
    [
        ("ngff/rfc8/rfc/8/examples/webknossos/custom-nodes.json", 26),
        ("ngff/rfc8/rfc/8/examples/webknossos/inline-multiscale.json", 26),
        ("rfc8-examples/webknossos/inline_multiscale.json", 7),
    ],
)
def test_webknossos_nodes_are_all_kept_and_extensions_stay_opaque(
    conformance_dir: FilePath, name: str, node_count: int
) -> None:
    ome = _ome(_load(conformance_dir, name))
    assert ome is not None
    root = parse_document(ome)
    assert isinstance(root, CollectionNode)
    assert root.nodes is not None and len(root.nodes) == node_count
    for node, raw in zip(root.nodes, ome["nodes"], strict=True):
        assert node.type == raw["type"]
        if raw["type"].startswith("webknossos:"):
            assert isinstance(node, OpaqueNode)
        else:
            assert isinstance(node, MultiscaleNode)
    assert {type(node) for node in root.nodes} == {MultiscaleNode, OpaqueNode}


def test_plain_string_paths_are_kept_verbatim(conformance_dir: FilePath) -> None:
    ome = _ome(_load(conformance_dir, "ngff/rfc8/rfc/8/examples/webknossos/custom-nodes.json"))
    assert ome is not None
    color = parse_document(ome).nodes[0]  # type: ignore[index]
    assert color.path is None
    assert color.extra["path"] == "/absolute/path/to/l4dense_motta_et_al_demo/color"


def test_typed_accessors(conformance_dir: FilePath) -> None:
    ome = _ome(_load(conformance_dir, "rfc8-examples/mobie/image_labels_table.json"))
    assert ome is not None
    root = parse_document(ome)
    assert (root.type, root.name, root.version) == ("collection", "em_labels_table", "0.8")
    assert root.id == "7fa2f064-62c5-4d55-9e6c-25acc1aa3a31"
    assert root.path is None and root.attributes is None
    assert root.nodes is not None
    image, labels, spots = root.nodes
    assert isinstance(image, MultiscaleNode) and image.attributes == {}
    assert image.path == Path(type="zarr", path="https://s3.embl.de/i2k-2020/platy-raw.ome.zarr")
    assert image.labels is None
    assert labels.attributes is not None and "mobie:labels_table" in labels.attributes
    assert isinstance(spots, OpaqueNode)
    assert (spots.type, spots.name, spots.nodes) == ("mobie:spots_table", "spots", None)
    assert spots.path is not None and spots.path.type == "google-sheet"


def test_scripts_multiscales_read_as_singlescale_levels(conformance_dir: FilePath) -> None:
    name = "rfc8-examples/scripts/gen_multiscales/consolidated_multiscale.zarr/zarr.json"
    ome = _ome(_load(conformance_dir, name))
    assert ome is not None
    multiscale = parse_document(ome)
    assert isinstance(multiscale, MultiscaleNode)
    assert multiscale.nodes is not None
    assert [type(level) for level in multiscale.nodes] == [SinglescaleNode] * 3
    assert [level.path for level in multiscale.nodes] == [
        Path(type="zarr", path=f"./{index}") for index in range(3)
    ]


LABEL_MAP = {
    "type": "multiscale",
    "name": "nuclei",
    "path": {"type": "zarr", "path": "./nuclei"},
    "attributes": {
        "labels": {
            "source": [{"id": "raw"}, {"id": "em", "path": {"type": "zarr", "path": "../em"}}],
            "labelAttributes": [
                {"labelValue": 1, "color": [255, 0, 0, 255], "myorg:class": "nucleus"},
                {"labelValue": 2.5},
            ],
        }
    },
}


def test_labels_accessor_reads_typed_labels() -> None:
    node = parse_document(LABEL_MAP)
    assert isinstance(node, MultiscaleNode)
    assert node.labels == Labels(
        label_attributes=[
            LabelAttribute(label_value=1, color=(255, 0, 0, 255), extra={"myorg:class": "nucleus"}),
            LabelAttribute(label_value=2.5),
        ],
        source=[
            Reference(id="raw"),
            Reference(id="em", path=Path(type="zarr", path="../em")),
        ],
    )
    assert node.to_json() == LABEL_MAP


def test_empty_labels_object_is_a_label_map() -> None:
    node = parse_document(
        {"type": "multiscale", "name": "m", "nodes": [], "attributes": {"labels": {}}}
    )
    assert isinstance(node, MultiscaleNode)
    assert node.labels == Labels()
    assert node.labels.to_json() == {}


def test_malformed_labels_attribute_is_an_error_not_a_silent_none() -> None:
    node = parse_document(
        {"type": "multiscale", "name": "m", "nodes": [], "attributes": {"labels": 3}}
    )
    assert isinstance(node, MultiscaleNode)
    with pytest.raises(DocumentError):
        _ = node.labels


def test_nothing_is_added_and_nulls_and_odd_values_survive() -> None:
    ome = {
        "name": "c",
        "type": "collection",
        "nodes": [
            {
                "version": None,
                "type": "singlescale",
                "name": "s",
                "id": 7,
                "custom": [1, {"a": None}],
            },
        ],
        "source": None,
    }
    node = parse_document(ome)
    child = node.nodes[0]  # type: ignore[index]
    assert child.version is None and child.id is None
    assert child.extra == {"version": None, "id": 7, "custom": [1, {"a": None}]}
    assert json.dumps(node.to_json()) == json.dumps(ome)


def test_to_json_returns_a_copy() -> None:
    node = parse_document(LABEL_MAP)
    written = node.to_json()
    written["attributes"]["labels"]["source"].clear()
    assert node.to_json() == LABEL_MAP


def test_parsing_does_not_alias_the_input() -> None:
    ome = json.loads(json.dumps(LABEL_MAP))
    node = parse_document(ome)
    ome["attributes"]["labels"]["source"].clear()
    assert node.to_json() == LABEL_MAP


def test_a_node_without_a_type_cannot_be_read() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_document({"type": "collection", "name": "c", "nodes": [{"name": "x"}]})
    assert raised.value.location == "ome.nodes[0]"


def test_extension_nodes_keep_their_children_untouched() -> None:
    ome = {"type": "myorg:group", "name": "g", "nodes": [{"anything": True}]}
    node = parse_document(ome)
    assert isinstance(node, OpaqueNode)
    assert node.nodes is None and node.extra == {"nodes": [{"anything": True}]}
    assert node.to_json() == ome


def test_a_key_cannot_be_both_typed_and_extra() -> None:
    with pytest.raises(ValueError, match="'name'"):
        CollectionNode(name="a", nodes=[], extra={"name": "b"})


def test_core_node_types_are_fixed() -> None:
    assert CollectionNode(name="c").type == "collection"
    assert MultiscaleNode(name="m").type == "multiscale"
    assert SinglescaleNode(name="s").type == "singlescale"
    with pytest.raises(TypeError):
        CollectionNode(type="multiscale", name="c")  # type: ignore[call-arg]


def test_a_document_built_in_code_is_valid_and_reads_back_equal() -> None:
    labels = Labels(
        label_attributes=[
            LabelAttribute(
                label_value=1,
                color=(255, 0, 0, 255),
                extra={"labelcollections:class": "nucleus"},
            )
        ],
        source=[Reference(id="img1")],
    )
    document = CollectionNode(
        version="0.9.dev3",
        name="study",
        id="study",
        nodes=[
            MultiscaleNode(name="raw", id="img1", path=Path(type="zarr", path="../images/img1")),
            MultiscaleNode(
                name="nuclei",
                id="nuclei-v1",
                path=Path(type="zarr", path="../labels/a/b"),
                attributes={"labels": labels, "labelcollections:method": "manual"},
            ),
        ],
        attributes={"labelcollections:created": "2026-01-01"},
    )
    written = document.to_json()
    assert written == {
        "version": "0.9.dev3",
        "type": "collection",
        "id": "study",
        "name": "study",
        "nodes": [
            {
                "type": "multiscale",
                "id": "img1",
                "name": "raw",
                "path": {"type": "zarr", "path": "../images/img1"},
            },
            {
                "type": "multiscale",
                "id": "nuclei-v1",
                "name": "nuclei",
                "path": {"type": "zarr", "path": "../labels/a/b"},
                "attributes": {
                    "labels": {
                        "labelAttributes": [
                            {
                                "labelValue": 1,
                                "color": [255, 0, 0, 255],
                                "labelcollections:class": "nucleus",
                            }
                        ],
                        "source": [{"id": "img1"}],
                    },
                    "labelcollections:method": "manual",
                },
            },
        ],
        "attributes": {"labelcollections:created": "2026-01-01"},
    }
    assert validate_document(written) == []
    reread = parse_document(written)
    assert reread.to_json() == written
    nuclei = reread.nodes[1]  # type: ignore[index]
    assert isinstance(nuclei, MultiscaleNode) and nuclei.labels == labels


def test_a_built_document_that_breaks_a_rule_is_caught() -> None:
    document = CollectionNode(
        name="study",
        nodes=[
            MultiscaleNode(
                name="nuclei",
                path=Path(type="zarr", path="./nuclei"),
                attributes={"labels": Labels(source=[Reference(id="missing")])},
            )
        ],
    )
    first = validate_document(document.to_json(), "0.9.dev3")[0]
    assert (first.rule, first.location) == (
        "reference-path-required",
        "ome.nodes[0].attributes.labels.source[0]",
    )
