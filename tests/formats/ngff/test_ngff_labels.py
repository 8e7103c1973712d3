"""NGFF image-label and labels group: lossless for every label schema, valid for the NGFF schemas
and ome-zarr-models, lenient on third-party metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ome_zarr_models.v04.image_label import ImageLabelAttrs as ImageLabelAttrsV04
from ome_zarr_models.v04.labels import LabelsAttrs as LabelsAttrsV04
from ome_zarr_models.v05.image_label import ImageLabelAttrs as ImageLabelAttrsV05
from ome_zarr_models.v05.labels import LabelsAttrs as LabelsAttrsV05
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from labelcollections.errors import InputError
from labelcollections.formats.ngff.labels import (
    RESERVED_PROPERTY_KEYS,
    group_attributes,
    image_label_metadata,
    label_schema_from_image_label,
    labels_group_metadata,
    parse_labels_group,
)
from labelcollections.formats.ngff.multiscales import (
    NgffVersion,
    multiscales_metadata,
    ngff_version_of,
    ome_attributes,
)
from labelcollections.model.images import Axis, Level
from labelcollections.model.label_schema import LabelClass, LabelSchema

VERSIONS: tuple[NgffVersion, ...] = ("0.4", "0.5")
SCHEMA_NAMES = ("image.schema", "label.schema", "strict_label.schema")
AXES = (Axis(name="y", type="space"), Axis(name="x", type="space"))
LEVELS = (
    Level(path="0", shape=(8, 8), scale=(1.0, 1.0)),
    Level(path="1", shape=(4, 4), scale=(2.0, 2.0)),
)

Validators = dict[tuple[str, str], Draft202012Validator]


@pytest.fixture(scope="session")
def validators(conformance_dir: Path) -> Validators:
    """The NGFF schemas by (version, name), local schemas registered under their ``$id``.

    The strict schemas have no ``$schema``; they are draft 2020-12 like the rest.
    """
    found: Validators = {}
    for version in VERSIONS:
        folder = conformance_dir / "ngff" / version / "schemas"
        schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.schema")}
        registry: Registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
            for s in schemas.values()
        )
        for name in SCHEMA_NAMES:
            found[version, name] = Draft202012Validator(schemas[name], registry=registry)
    return found


def label_group(schema: LabelSchema, version: NgffVersion) -> Any:
    """The attributes of a label image group, through JSON text as a store would keep them."""
    content = {
        "multiscales": multiscales_metadata("cells", AXES, LEVELS, version),
        "image-label": image_label_metadata(schema, version),
    }
    return json.loads(json.dumps(group_attributes(content, version)))


def schema_errors(validators: Validators, version: str, name: str, document: Any) -> list[str]:
    return [error.message for error in validators[version, name].iter_errors(document)]


def validate_with_ome_zarr_models(attributes: Any, version: NgffVersion) -> None:
    if version == "0.4":
        ImageLabelAttrsV04.model_validate(attributes)
    else:
        ImageLabelAttrsV05.model_validate(attributes["ome"])


NAMED = LabelSchema(
    classes=(
        LabelClass(value=0, name="background", color=(0, 0, 0, 0)),
        LabelClass(value=1, name="nucleus", color=(255, 0, 0, 255), properties={"area": 12}),
        LabelClass(value=7, color=(0, 255, 0, 128)),
    )
)


# --- writing ---------------------------------------------------------------------------------


def test_image_label_holds_colours_classes_and_source() -> None:
    assert image_label_metadata(NAMED, "0.5", source_image="../../../") == {
        "colors": [
            {"label-value": 0, "rgba": [0, 0, 0, 0]},
            {"label-value": 1, "rgba": [255, 0, 0, 255]},
            {"label-value": 7, "rgba": [0, 255, 0, 128]},
        ],
        "properties": [
            {"label-value": 0, "class": "background"},
            {"label-value": 1, "class": "nucleus", "area": 12},
            {"label-value": 7},
        ],
        "source": {"image": "../../../"},
    }


def test_version_goes_into_image_label_only_for_04() -> None:
    assert image_label_metadata(NAMED, "0.4")["version"] == "0.4"
    assert "version" not in image_label_metadata(NAMED, "0.5")
    assert label_group(NAMED, "0.5")["ome"]["version"] == "0.5"


def test_empty_lists_are_left_out() -> None:
    assert image_label_metadata(LabelSchema(), "0.5") == {"source": {"image": "../../"}}
    only_colours = LabelSchema(classes=(LabelClass(value=3, color=(1, 2, 3, 4)),))
    assert "properties" not in image_label_metadata(only_colours, "0.4")
    only_names = LabelSchema(classes=(LabelClass(value=3, name="cell"),))
    assert "colors" not in image_label_metadata(only_names, "0.4")


def test_a_property_named_like_a_reserved_key_is_refused() -> None:
    for key in sorted(RESERVED_PROPERTY_KEYS):
        with pytest.raises(ValidationError, match=repr(key)):
            LabelClass(value=1, properties={key: "x"})


@pytest.mark.parametrize("version", VERSIONS)
def test_written_label_group_passes_every_ngff_schema(
    version: NgffVersion, validators: Validators
) -> None:
    attributes = label_group(NAMED, version)
    for name in SCHEMA_NAMES:
        assert schema_errors(validators, version, name, attributes) == [], name


@pytest.mark.parametrize("version", VERSIONS)
def test_written_label_group_passes_ome_zarr_models(version: NgffVersion) -> None:
    validate_with_ome_zarr_models(label_group(NAMED, version), version)


# --- lossless round trip ---------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
property_keys = st.text(max_size=10).filter(lambda key: key not in RESERVED_PROPERTY_KEYS)
colours = st.tuples(*[st.integers(min_value=0, max_value=255)] * 4)


@st.composite
def label_schemas(draw: st.DrawFn) -> LabelSchema:
    values = draw(
        st.lists(st.integers(min_value=-(2**63), max_value=2**64 - 1), unique=True, max_size=6)
    )
    classes = [
        LabelClass(
            value=value,
            name=draw(st.none() | st.text(min_size=1, max_size=12)),
            color=draw(st.none() | colours),
            properties=draw(st.dictionaries(property_keys, json_values, max_size=3)),
        )
        for value in values
    ]
    return LabelSchema(classes=tuple(classes))


@settings(max_examples=300, deadline=None)
@given(schema=label_schemas(), version=st.sampled_from(VERSIONS))
def test_every_label_schema_survives_image_label(schema: LabelSchema, version: NgffVersion) -> None:
    attributes = label_group(schema, version)
    image_label = ome_attributes(attributes)["image-label"]
    assert label_schema_from_image_label(image_label, "labels/cells") == schema


@settings(max_examples=100, deadline=None)
@given(schema=label_schemas(), version=st.sampled_from(VERSIONS))
def test_every_label_schema_gives_valid_metadata(
    schema: LabelSchema, version: NgffVersion, validators: Validators
) -> None:
    attributes = label_group(schema, version)
    assert ngff_version_of(attributes) == version
    for name in ("image.schema", "label.schema"):
        assert schema_errors(validators, version, name, attributes) == [], name
    if any(c.color is not None for c in schema.classes):
        assert schema_errors(validators, version, "strict_label.schema", attributes) == []
    coloured = {c.color is not None for c in schema.classes}
    if coloured != {True, False}:
        # ome-zarr-models wants colors and properties to list the same values, which no
        # lossless writing can give when only some classes have a colour (the spec allows it).
        validate_with_ome_zarr_models(attributes, version)


def test_properties_list_every_class_once_one_class_needs_an_entry() -> None:
    schema = LabelSchema(
        classes=(
            LabelClass(value=1, color=(1, 1, 1, 1)),
            LabelClass(value=2, color=(2, 2, 2, 2), name="two"),
        )
    )
    image_label = image_label_metadata(schema, "0.5")
    assert [p["label-value"] for p in image_label["properties"]] == [1, 2]
    validate_with_ome_zarr_models(label_group(schema, "0.5"), "0.5")


# --- reading third-party metadata ------------------------------------------------------------


def test_the_04_example_reads(conformance_dir: Path) -> None:
    path = conformance_dir / "ngff" / "0.4" / "examples" / "label_strict" / "colors_properties.json"
    attributes = json.loads(path.read_text())
    assert ngff_version_of(attributes) == "0.4"
    schema = label_schema_from_image_label(attributes["image-label"], str(path))
    assert schema == LabelSchema(
        classes=(
            LabelClass(
                value=1, name="foo", color=(255, 255, 255, 255), properties={"area (pixels)": 1200}
            ),
            LabelClass(value=4, color=(0, 255, 255, 128), properties={"area (pixels)": 1650}),
        )
    )


def test_the_05_example_reads(conformance_dir: Path) -> None:
    path = conformance_dir / "ngff" / "0.5" / "examples" / "label_strict" / "colors_properties.json"
    attributes = json.loads(path.read_text())["attributes"]
    assert ngff_version_of(attributes) == "0.5"
    schema = label_schema_from_image_label(ome_attributes(attributes)["image-label"], str(path))
    assert schema == LabelSchema(
        classes=(
            LabelClass(
                value=0,
                name="intercellular space",
                color=(0, 0, 128, 128),
                properties={"area (pixels)": 1200},
            ),
            LabelClass(
                value=1,
                name="cell",
                color=(0, 128, 0, 128),
                properties={"area (pixels)": 1650, "cell type": "neuron"},
            ),
        )
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_the_examples_written_again_pass_the_strict_schema(
    version: NgffVersion, conformance_dir: Path, validators: Validators
) -> None:
    path = (
        conformance_dir / "ngff" / version / "examples" / "label_strict" / "colors_properties.json"
    )
    document = json.loads(path.read_text())
    image_label = ome_attributes(document.get("attributes", document))["image-label"]
    schema = label_schema_from_image_label(image_label, str(path))
    attributes = label_group(schema, version)
    assert schema_errors(validators, version, "strict_label.schema", attributes) == []
    assert label_schema_from_image_label(ome_attributes(attributes)["image-label"], "x") == schema


def test_the_biohackathon_label_image_has_135_colours(conformance_dir: Path) -> None:
    path = (
        conformance_dir
        / "biohackathon"
        / "test-zarr"
        / "1ch_plus_explicit_labels.ome.zarr"
        / "labels"
        / "labels"
        / "zarr.json"
    )
    attributes = json.loads(path.read_text())["attributes"]
    schema = label_schema_from_image_label(ome_attributes(attributes)["image-label"], str(path))
    assert len(schema.classes) == 135
    assert [c.value for c in schema.classes] == list(range(135))
    assert all(c.color is not None and c.name is None for c in schema.classes)
    assert schema.classes[0].color == (0, 0, 0, 0)


def test_a_repeated_label_value_keeps_its_last_entry() -> None:
    image_label = {
        "colors": [
            {"label-value": 1, "rgba": [1, 1, 1, 1]},
            {"label-value": 2, "rgba": [2, 2, 2, 2]},
            {"label-value": 1, "rgba": [9, 9, 9, 9]},
        ],
        "properties": [
            {"label-value": 2, "class": "first"},
            {"label-value": 2, "class": "last", "n": 1},
        ],
    }
    schema = label_schema_from_image_label(image_label, "x")
    assert schema == LabelSchema(
        classes=(
            LabelClass(value=1, color=(9, 9, 9, 9)),
            LabelClass(value=2, name="last", color=(2, 2, 2, 2), properties={"n": 1}),
        )
    )


def test_lenient_reading_of_what_the_spec_allows() -> None:
    image_label = {
        "version": "0.4",
        "colors": [{"label-value": 3.0, "rgba": [1, 2, 3, 4], "note": "extra"}, {"label-value": 5}],
        "properties": [{"label-value": 6, "class": None, "a": [1]}],
        "source": {"image": "../../"},
    }
    schema = label_schema_from_image_label(image_label, "x")
    assert schema == LabelSchema(
        classes=(
            LabelClass(value=3, color=(1, 2, 3, 4), properties={"note": "extra"}),
            LabelClass(value=5),
            LabelClass(value=6, properties={"a": [1]}),
        )
    )
    assert label_schema_from_image_label({}, "x") == LabelSchema()


@pytest.mark.parametrize(
    ("image_label", "field"),
    [
        (
            {"colors": [{"label-value": 1}, {"label-value": 1.5}]},
            "image-label.colors[1].label-value",
        ),
        ({"colors": [{"label-value": "1"}]}, "image-label.colors[0].label-value"),
        ({"colors": [{"label-value": True}]}, "image-label.colors[0].label-value"),
        ({"colors": [{"rgba": [0, 0, 0, 0]}]}, "image-label.colors[0].label-value"),
        ({"properties": [{"label-value": None}]}, "image-label.properties[0].label-value"),
        ({"colors": [{"label-value": 1, "rgba": [0, 0, 0]}]}, "image-label.colors[0].rgba"),
        ({"colors": [{"label-value": 1, "rgba": [0, 0, 0, 256]}]}, "image-label.colors[0].rgba"),
        ({"colors": [{"label-value": 1, "rgba": "red"}]}, "image-label.colors[0].rgba"),
        ({"properties": [{"label-value": 1, "class": 5}]}, "image-label.properties[0].class"),
        ({"colors": {"label-value": 1}}, "image-label.colors"),
        ({"properties": [3]}, "image-label.properties[0]"),
    ],
)
def test_bad_image_label_names_the_field(image_label: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as error:
        label_schema_from_image_label(image_label, "labels/cells/zarr.json")
    assert (error.value.source, error.value.field) == ("labels/cells/zarr.json", field)


def test_the_error_prefix_can_point_into_a_05_document() -> None:
    with pytest.raises(InputError) as error:
        label_schema_from_image_label(
            {"colors": [{"label-value": "x"}]}, "zarr.json", prefix="ome.image-label"
        )
    assert error.value.field == "ome.image-label.colors[0].label-value"
    with pytest.raises(InputError) as error:
        label_schema_from_image_label([], "zarr.json")
    assert error.value.field == "image-label"


# --- labels group ----------------------------------------------------------------------------


def test_labels_group_metadata_per_version() -> None:
    paths = ["nuclei/seg", "cells/seg"]
    assert labels_group_metadata(paths, "0.4") == {"labels": paths}
    assert labels_group_metadata(paths, "0.5") == {"ome": {"version": "0.5", "labels": paths}}
    LabelsAttrsV04.model_validate(labels_group_metadata(paths, "0.4"))
    LabelsAttrsV05.model_validate(labels_group_metadata(paths, "0.5")["ome"])


@pytest.mark.parametrize("version", VERSIONS)
def test_labels_group_round_trips(version: NgffVersion) -> None:
    paths = ["a", "b/c", "d.e-f_1"]
    attributes = json.loads(json.dumps(labels_group_metadata(paths, version)))
    assert ngff_version_of(attributes) == version
    assert parse_labels_group(attributes) == paths


@pytest.mark.parametrize("bad", ["", "/abs", "../up", "a/../../b", "a//b", "a\\b", "./a"])
def test_labels_group_metadata_refuses_paths_that_leave_the_group(bad: str) -> None:
    with pytest.raises(InputError) as error:
        labels_group_metadata(["ok", bad], "0.5")
    assert error.value.field == "labels[1]"


def test_labels_group_metadata_refuses_repeated_paths() -> None:
    with pytest.raises(InputError) as error:
        labels_group_metadata(["a", "a"], "0.4")
    assert error.value.field == "labels"


def test_the_biohackathon_labels_group_reads_without_a_version(conformance_dir: Path) -> None:
    path = conformance_dir / "biohackathon" / "test-zarr" / "1ch_plus_explicit_labels.ome.zarr"
    attributes = json.loads((path / "labels" / "zarr.json").read_text())["attributes"]
    assert parse_labels_group(attributes, str(path)) == ["labels"]


def test_parse_labels_group_is_lenient_but_safe() -> None:
    assert parse_labels_group({}) == []
    assert parse_labels_group({"ome": {"version": "0.5"}}) == []
    assert parse_labels_group({"labels": ["a", "b", "a"]}) == ["a", "b"]
    with pytest.raises(InputError) as error:
        parse_labels_group({"ome": {"labels": ["a", "../../etc"]}}, "store")
    assert (error.value.source, error.value.field) == ("store", "ome.labels[1]")
    with pytest.raises(InputError) as error:
        parse_labels_group({"labels": "a"})
    assert error.value.field == "labels"


def test_group_attributes_wraps_05_and_leaves_04_bare() -> None:
    content = {"labels": ["x"]}
    assert group_attributes(content, "0.5") == {"ome": {"version": "0.5", "labels": ["x"]}}
    assert group_attributes(content, "0.4") == {"labels": ["x"]}
    assert group_attributes(content, "0.4") is not content
    with pytest.raises(InputError):
        group_attributes(content, "0.3")  # type: ignore[arg-type]
