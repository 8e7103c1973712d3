"""Import of the BioHackathon prototype's collection documents."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from labelcollections.errors import InputError
from labelcollections.formats.biohackathon import (
    PROTOTYPE_SOFTWARE,
    PrototypeCollection,
    import_prototype_collection,
)
from labelcollections.model.names import ID_PATTERN, check_name, safe_name
from labelcollections.model.vocabulary import LabelType, Method

WHEN = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def load(conformance_dir: Path, name: str) -> Any:
    return json.loads((conformance_dir / "biohackathon" / name).read_text())


def imported(data: Any, source: str = "doc.json", **options: Any) -> list[PrototypeCollection]:
    return import_prototype_collection(data, source, created=WHEN, **options)


def document(*nodes: dict[str, Any], name: str = "analysis") -> dict[str, Any]:
    return {"ome": {"version": "0.x", "type": "collection", "name": name, "nodes": list(nodes)}}


def raw(name: str = "raw", **attributes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "multiscale",
        "attributes": {"category": "intensities", "origin": "raw", **attributes},
    }


def mask(name: str, source: Any = "raw", **attributes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "multiscale",
        "attributes": {
            "category": "annotations",
            "origin": "masks",
            "source": source,
            **attributes,
        },
    }


def error_of(data: Any) -> InputError:
    with pytest.raises(InputError) as error:
        imported(data, "proto.json")
    assert error.value.source == "proto.json"
    return error.value


# --- the conformance documents ---------------------------------------------------------------


def test_example2_imports_one_collection_of_two_label_images(conformance_dir: Path) -> None:
    (result,) = imported(load(conformance_dir, "example2.json"))
    image, labels, collection = result.image, result.labels, result.collection
    assert (image.name, image.omero_image_id) == ("nuclei_raw", 51)
    assert image.attributes == {
        "biohackathon:category": "intensities",
        "biohackathon:origin": "raw",
        "biohackathon:description": "Original nuclei channel",
    }
    assert [(label.name, label.omero_image_id) for label in labels] == [
        ("nuclei_segmentation", 54),
        ("cell_segmentation", 55),
    ]
    for label in labels:
        assert label.image_id == image.id
        assert label.label_type is LabelType.INSTANCE
        assert label.version == "v1"
        assert label.provenance.method is Method.IMPORTED
        assert label.provenance.software == PROTOTYPE_SOFTWARE
        assert label.provenance.created == WHEN
        assert label.attributes["biohackathon:category"] == "annotations"
        assert label.attributes["biohackathon:origin"] == "masks"
        assert "biohackathon:source" not in label.attributes
    assert labels[1].attributes["biohackathon:description"] == "Cell segmentation masks"
    assert collection.name == "nuclei_cell_analysis_1"
    assert collection.image_id == image.id
    assert collection.members == tuple(label.id for label in labels)
    assert collection.provenance is not None
    assert collection.provenance.method is Method.IMPORTED
    assert collection.attributes == {"biohackathon:version": "0.x"}
    ids = [image.id, collection.id, *(label.id for label in labels)]
    assert len(set(ids)) == len(ids)
    assert all(ID_PATTERN.match(i) for i in ids)


def test_example2_and_its_omero_export_import_equal(conformance_dir: Path) -> None:
    written = imported(load(conformance_dir, "example2.json"), "example2.json")
    exported = imported(load(conformance_dir, "output_from_omero.json"), "output_from_omero.json")
    assert written == exported


def test_reimporting_gives_equal_objects_and_other_documents_other_ids(
    conformance_dir: Path,
) -> None:
    data = load(conformance_dir, "example2.json")
    assert imported(data) == imported(copy.deepcopy(data))
    edited = copy.deepcopy(data)
    edited["ome"]["nodes"][1]["attributes"]["description"] = "changed"
    (first,) = imported(data)
    (second,) = imported(edited)
    assert first.image.id != second.image.id
    assert first.labels[0].id != second.labels[0].id


def test_created_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    (result,) = import_prototype_collection(document(raw(), mask("m")), "doc.json")
    assert result.labels[0].provenance.created >= before


def test_nested_example_gives_one_collection_per_reference_image(conformance_dir: Path) -> None:
    outer, inner = imported(load(conformance_dir, "example.json"))
    assert (outer.collection.name, outer.image.name, outer.image.omero_image_id) == (
        "cell_analysis",
        "CovidIF_Cell_Raw",
        35501,
    )
    assert outer.labels == ()
    assert outer.collection.members == ()
    assert (inner.collection.name, inner.image.name, inner.image.omero_image_id) == (
        "nucleus_analysis",
        "CovidIF_Nucleus_Raw",
        35502,
    )
    (nucleus,) = inner.labels
    assert (nucleus.name, nucleus.omero_image_id, nucleus.image_id) == (
        "nucleus",
        35503,
        inner.image.id,
    )
    assert inner.collection.members == (nucleus.id,)
    assert inner.collection.attributes == {"biohackathon:parents": ["cell_analysis"]}
    assert outer.collection.id != inner.collection.id


# --- mapping rules ---------------------------------------------------------------------------


def test_a_node_without_source_is_a_reference_image() -> None:
    plain = {"name": "img", "attributes": {"omero:image_id": "7"}}
    (result,) = imported(document(plain, mask("m", "img")))
    assert result.image.name == "img"
    assert result.image.omero_image_id == 7
    assert result.labels[0].image_id == result.image.id


def test_the_label_type_comes_from_the_option_or_the_node() -> None:
    data = document(
        raw(), mask("a"), mask("b", **{"label.type": "semantic", "label.version": "v3"})
    )
    (result,) = imported(data, label_type=LabelType.PANOPTIC)
    assert [(label.label_type, label.version) for label in result.labels] == [
        (LabelType.PANOPTIC, "v1"),
        (LabelType.SEMANTIC, "v3"),
    ]
    assert "label.type" not in result.labels[1].attributes


def test_unknown_keys_are_kept_and_other_tools_keys_verbatim() -> None:
    node = mask("m", note="hi", **{"ome-iviewer:voxelType": "labels", "count": 3})
    node["path"] = "./m"
    (result,) = imported(document(raw(), node))
    assert result.labels[0].attributes == {
        "biohackathon:category": "annotations",
        "biohackathon:origin": "masks",
        "biohackathon:note": "hi",
        "biohackathon:count": 3,
        "ome-iviewer:voxelType": "labels",
        "biohackathon:node": {"path": "./m"},
    }


def test_names_are_sanitised_and_the_original_kept() -> None:
    data = document(raw("raw image #1"), mask("cells (v2)", "raw image #1"), name="my collection")
    (result,) = imported(data)
    assert result.image.name == "raw_image_1"
    assert result.image.attributes["biohackathon:name"] == "raw image #1"
    assert result.labels[0].name == "cells_v2"
    assert result.labels[0].attributes["biohackathon:name"] == "cells (v2)"
    assert result.collection.name == "my_collection"
    assert result.collection.attributes["biohackathon:name"] == "my collection"


@pytest.mark.parametrize("name", ["a b", "..x", "_lead", "ü", "x" * 300, "a..b", "-"])
def test_sanitised_names_are_valid(name: str) -> None:
    assert check_name(safe_name(name), "test") == safe_name(name)


def test_label_names_that_clash_after_sanitising_get_a_suffix() -> None:
    (result,) = imported(document(raw(), mask("a b"), mask("a_b")))
    assert [label.name for label in result.labels] == ["a_b", "a_b-2"]
    assert result.labels[1].attributes["biohackathon:name"] == "a_b"


def test_a_label_may_name_the_reference_of_an_enclosing_collection() -> None:
    inner = {"type": "collection", "name": "inner", "nodes": [mask("m")]}
    outer, nested = imported(document(raw(), inner))
    assert outer.labels == ()
    assert nested.image == outer.image
    assert nested.labels[0].image_id == outer.image.id
    assert nested.collection.name == "inner"


def test_a_source_list_of_one_name_is_accepted() -> None:
    (result,) = imported(document(raw(), mask("m", ["raw"])))
    assert result.labels[0].image_id == result.image.id


def test_tracks_shapes_and_points_are_kept_on_the_collection() -> None:
    tracks = mask("t", origin="tracks")
    (result,) = imported(document(raw(), mask("m"), tracks))
    assert [label.name for label in result.labels] == ["m"]
    assert result.collection.attributes["biohackathon:nodes"] == [tracks]


def test_a_collection_with_two_reference_images_gives_two_results() -> None:
    first, second = imported(document(raw("a"), raw("b"), mask("m", "b")))
    assert (first.image.name, first.labels) == ("a", ())
    assert (second.image.name, [label.name for label in second.labels]) == ("b", ["m"])
    assert first.collection.name == second.collection.name == "analysis"
    assert first.collection.id != second.collection.id


# --- errors ----------------------------------------------------------------------------------


def test_a_source_that_names_no_node_is_refused() -> None:
    error = error_of(document(raw(), mask("a"), mask("b", "missing")))
    assert error.field == "ome.nodes[2].attributes.source"
    assert "'missing'" in error.expected


def test_a_missing_source_in_a_nested_collection_names_the_nested_field(
    conformance_dir: Path,
) -> None:
    data = load(conformance_dir, "example.json")
    data["ome"]["nodes"][1]["nodes"][1]["attributes"]["source"] = "CovidIF_Nuclei_Raw"
    assert error_of(data).field == "ome.nodes[1].nodes[1].attributes.source"


def test_a_source_that_names_a_label_image_is_refused() -> None:
    error = error_of(document(raw(), mask("a"), mask("b", "a")))
    assert error.field == "ome.nodes[2].attributes.source"
    assert "annotation" in error.expected


@pytest.mark.parametrize("source", [None, "", ["a", "b"], 3])
def test_a_label_without_one_source_is_refused(source: Any) -> None:
    assert error_of(document(raw(), mask("m", source))).field == "ome.nodes[1].attributes.source"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "ome"),
        ({"nodes": []}, "ome"),
        ({"ome": {"name": "c"}}, "ome.nodes"),
        ({"ome": {"name": "c", "type": "multiscale", "nodes": []}}, "ome.type"),
        ({"ome": {"nodes": []}}, "ome.name"),
        (document("x"), "ome.nodes[0]"),  # type: ignore[arg-type]
        (document({"name": "x", "type": "table"}), "ome.nodes[0].type"),
        (document({"type": "multiscale"}), "ome.nodes[0].name"),
        (document({"name": "x", "attributes": []}), "ome.nodes[0].attributes"),
        (document(raw(), raw()), "ome.nodes[1].name"),
        (
            document(raw("raw", **{"omero:image_id": "abc"})),
            "ome.nodes[0].attributes.omero:image_id",
        ),
        (
            document(raw("raw", **{"omero_image_id": True})),
            "ome.nodes[0].attributes.omero_image_id",
        ),
        (document(raw("raw", **{"omero:image_id": -1})), "ome.nodes[0].attributes.omero:image_id"),
        (
            document(raw("raw", **{"omero:image_id": 1, "omero_image_id": 2})),
            "ome.nodes[0].attributes.omero_image_id",
        ),
        (
            document(raw(), mask("m", **{"label.type": "blob"})),
            "ome.nodes[1].attributes.label.type",
        ),
        (
            document(raw(), mask("m", **{"label.version": "../v"})),
            "ome.nodes[1].attributes.label.version",
        ),
        (document(raw(note=float("nan"))), "ome"),
    ],
)
def test_bad_documents_name_the_field(data: Any, field: str) -> None:
    assert error_of(data).field == field


def test_a_naive_created_time_is_refused() -> None:
    with pytest.raises(InputError) as error:
        import_prototype_collection(document(raw()), "doc.json", created=datetime(2026, 1, 1))
    assert error.value.field.startswith("created")
