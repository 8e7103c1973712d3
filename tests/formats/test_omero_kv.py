"""The key-value annotation codec loses nothing and reports bad pairs by key."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import JsonValue

from labelcollections.errors import InputError
from labelcollections.formats.omero_kv import (
    NS_COLLECTION,
    NS_LABEL_IMAGE,
    CollectionAnnotation,
    LabelImageAnnotation,
    collection_from_pairs,
    collection_to_pairs,
    flatten,
    label_image_from_pairs,
    label_image_to_pairs,
    unflatten,
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import Axis, LabelImage, Level
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.names import NAME_PATTERN, check_display_name, check_name
from labelcollections.model.provenance import Provenance
from labelcollections.model.vocabulary import LABEL_DTYPES, LabelType, Method

DOC = Path(__file__).resolve().parents[2] / "docs" / "annotation-schema.md"
SOURCE = "image 1052 annotation 77"


def strict(value: Any) -> Any:
    """A form of ``value`` whose equality also compares types, order and the sign of zero.

    Plain ``==`` would accept ``True`` for ``1``, ``1.0`` for ``1`` and reordered dicts.
    """
    if isinstance(value, dict):
        return ("dict", [(strict(k), strict(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [strict(v) for v in value])
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, Enum):
        return (type(value).__name__, value.value)
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def assert_same_model(left: Any, right: Any) -> None:
    assert left == right
    assert strict(left.model_dump()) == strict(right.model_dump())


# --------------------------------------------------------------------------------------------
# Strategies

TRICKY_TEXT = [
    "",
    " ",
    "1",
    "-0",
    "007",
    "1.5",
    "1e400",
    "true",
    "false",
    "null",
    "NaN",
    "Infinity",
    "[]",
    "{}",
    "[1, 2]",
    '{"a": 1}',
    '"quoted"',
    '"',
    " 42 ",
    "a,b,c",
    "k=v",
    "a=b=c",
    "line\nbreak",
    "tab\tand\r\n",
    "\\",
    "\\.",
    ".",
    "..",
    "[0]",
    "]",
    "[",
    "é",
    "核",
    "🧫",
    "\x00",
]
many_digits = st.builds(lambda n: "9" * n, st.integers(4301, 4400))
texts = st.text() | st.sampled_from(TRICKY_TEXT) | many_digits
keys = texts
# More digits than str()/int() convert by default (sys.get_int_max_str_digits() is 4300).
huge_ints = st.builds(
    lambda exponent, sign: sign * 7**exponent, st.integers(5100, 5200), st.sampled_from([1, -1])
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | huge_ints
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)
json_objects = st.dictionaries(keys, json_values, max_size=4)
portable_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)
model_json_objects = st.dictionaries(keys, portable_values, max_size=4)
"""What model records hold: JSON that every reader reads back equal (64-bit integers)."""
prefixes = (
    st.sampled_from(["attributes", "provenance.parameters", "class.3.properties", ""]) | st.text()
)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _valid_name(name: str) -> bool:
    try:
        check_name(name, "test")
    except InputError:
        return False
    return True


def _valid_display_name(name: str) -> bool:
    try:
        check_display_name(name, "test")
    except InputError:
        return False
    return True


names = st.from_regex(NAME_PATTERN, fullmatch=True).filter(_valid_name)
display_names = st.text(min_size=1, max_size=40).filter(_valid_display_name)
sha256 = st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True)
model_floats = st.floats(allow_nan=False, allow_infinity=False)
model_ints = st.integers() | huge_ints
utc_offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
provenances = st.builds(
    Provenance,
    method=st.sampled_from(Method),
    software=optional(texts),
    software_version=optional(texts),
    author=optional(texts),
    created=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=utc_offsets
    ),
    parameters=model_json_objects,
    model_name=optional(texts),
    model_version=optional(texts),
    model_sha256=optional(st.from_regex(r"(sha256:)?[0-9a-fA-F]{64}", fullmatch=True)),
    training_data=optional(texts),
    reference_hash=optional(sha256),
    content_hash=optional(sha256),
    derived_from=optional(texts),
)
axes = st.builds(Axis, name=texts, type=optional(texts), unit=optional(texts))
float_tuples = st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5).map(tuple)
levels = st.builds(
    Level,
    path=texts,
    shape=st.lists(model_ints, max_size=5).map(tuple),
    scale=float_tuples,
    translation=optional(float_tuples),
)
colors = st.tuples(*[st.integers(0, 255)] * 4)
label_classes = st.builds(
    LabelClass,
    value=st.integers(-(2**63), 2**64 - 1),
    name=optional(texts.filter(bool)),
    color=optional(colors),
    properties=model_json_objects.filter(lambda p: not {"class", "label-value"} & set(p)),
)
label_schemas = st.builds(
    LabelSchema,
    classes=st.lists(label_classes, max_size=4, unique_by=lambda c: c.value).map(tuple),
)
label_images = st.builds(
    LabelImage,
    id=texts,
    name=display_names,
    version=names,
    image_id=texts,
    label_type=st.sampled_from(LabelType),
    label_schema=label_schemas,
    provenance=provenances,
    axes=st.lists(axes, max_size=4).map(tuple),
    dtype=optional(st.sampled_from(LABEL_DTYPES)),
    levels=st.lists(levels, max_size=3).map(tuple),
    omero_image_id=optional(model_ints),
    downsampling=st.sampled_from(["nearest", "mode"]),
    attributes=model_json_objects,
)
collections = st.builds(
    LabelCollection,
    id=texts,
    name=display_names,
    image_id=texts,
    description=optional(texts),
    provenance=optional(provenances),
    members=st.lists(texts, unique=True, max_size=5).map(tuple),
    omero_collection_id=optional(model_ints),
    attributes=model_json_objects,
)


# --------------------------------------------------------------------------------------------
# Generic layer


@given(json_values, prefixes)
def test_unflatten_inverts_flatten(value: JsonValue, prefix: str) -> None:
    assert strict(unflatten(flatten(value, prefix), prefix)) == strict(value)


@given(json_values, prefixes)
def test_flatten_writes_strings_under_the_prefix(value: JsonValue, prefix: str) -> None:
    pairs = flatten(value, prefix)
    assert pairs
    for key, text in pairs:
        assert type(key) is str
        assert type(text) is str
        assert key.startswith(prefix)


@given(json_values, st.lists(st.tuples(texts, texts), max_size=5))
def test_unflatten_ignores_keys_outside_the_prefix(
    value: JsonValue, others: list[tuple[str, str]]
) -> None:
    prefix = "attributes"
    outside = [
        (key, text)
        for key, text in others
        if not (key == prefix or key.startswith((prefix + ".", prefix + "[")))
    ]
    pairs = [*outside, *flatten(value, prefix), ("attributesX", "1"), ("attribute", "2")]
    assert strict(unflatten(pairs, prefix)) == strict(value)


@given(json_values)
def test_keys_never_collide(value: JsonValue) -> None:
    keys_written = [key for key, _ in flatten(value, "p")]
    assert len(set(keys_written)) == len(keys_written)


def test_flatten_is_human_readable() -> None:
    value: JsonValue = {
        "diameter": 30,
        "threshold": 0.4,
        "channels": [0, 1],
        "name": "cyto 2, v=3",
        "looks_numeric": "42",
        "looks_null": "null",
        "quoted": '"Zürich"',
        "nothing": None,
        "flag": True,
        "a.b": {"[x]": "\\"},
        "empty": {},
        "none": [],
    }
    assert flatten(value, "p") == [
        ("p.diameter", "30"),
        ("p.threshold", "0.4"),
        ("p.channels[0]", "0"),
        ("p.channels[1]", "1"),
        ("p.name", "cyto 2, v=3"),
        ("p.looks_numeric", '"42"'),
        ("p.looks_null", '"null"'),
        ("p.quoted", '"\\"Zürich\\""'),
        ("p.nothing", "null"),
        ("p.flag", "true"),
        ("p.a\\.b.\\[x\\]", "\\"),
        ("p.empty", "{}"),
        ("p.none", "[]"),
    ]


def test_scalars_at_the_prefix_itself() -> None:
    assert flatten("plain", "k") == [("k", "plain")]
    assert flatten(1.0, "k") == [("k", "1.0")]
    assert strict(unflatten([("k", "1.0")], "k")) == strict(1.0)
    assert strict(unflatten([("k", "1")], "k")) == strict(1)


def test_huge_integers_survive() -> None:
    value: JsonValue = {"big": -(7**20000), "list": [10**5000 + 1]}
    pairs = flatten(value, "p")
    assert pairs[0][1].startswith("-") and len(pairs[0][1]) > 16000
    assert unflatten(pairs, "p") == value


def test_strings_of_many_digits_stay_strings() -> None:
    text = "9" * 5000
    pairs = flatten({"s": text}, "p")
    assert pairs == [("p.s", f'"{text}"')]
    assert unflatten(pairs, "p") == {"s": text}


def test_hand_written_values_are_read_leniently() -> None:
    pairs = [("p.a", "plain text"), ("p.b", "[1, 2]"), ("p.c", '{"x": "y"}'), ("p.d", "")]
    assert unflatten(pairs, "p") == {"a": "plain text", "b": [1, 2], "c": {"x": "y"}, "d": ""}


@pytest.mark.parametrize(
    ("pairs", "field", "expected"),
    [
        ([], "p", "at least one key"),
        ([("p.a", "1"), ("p.a", "2")], "p.a", "repeated"),
        ([("p.a", "1"), ("p.a.b", "2")], "p.a.b", "holds a value"),
        ([("p.a.b", "1"), ("p.a", "2")], "p.a", "longer keys continue"),
        ([("p.a", "{}"), ("p.a.b", "2")], "p.a.b", "holds a value"),
        ([("p[0]", "1"), ("p.a", "2")], "p.a", "not both"),
        ([("p[1]", "1")], "p", "without gaps"),
        ([("p.a[0]", "1"), ("p.a[2]", "1")], "p.a", "without gaps"),
        ([("p[01]", "1")], "p[01]", "list indexes"),
        ([("p[x]", "1")], "p[x]", "list indexes"),
        ([("p[0", "1")], "p[0", "list indexes"),
        ([("p.a]", "1")], "p.a]", "escaped"),
        ([("p.a\\b", "1")], "p.a\\b", "only before"),
        ([("p.a\\", "1")], "p.a\\", "only before"),
        ([("p[0]x", "1")], "p[0]x", "between key segments"),
    ],
)
def test_unflatten_errors_name_the_key(
    pairs: list[tuple[str, str]], field: str, expected: str
) -> None:
    with pytest.raises(InputError) as error:
        unflatten(pairs, "p", source="ann 5")
    assert error.value.source == "ann 5"
    assert error.value.field == field
    assert expected in error.value.expected


def test_flatten_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        flatten({"a": (1, 2)}, "p")  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        flatten({1: "x"}, "p")  # type: ignore[dict-item]


# --------------------------------------------------------------------------------------------
# Schema layer: round trips


@settings(max_examples=200)
@given(
    label_images,
    optional(model_ints),
    st.lists(model_ints, max_size=3),
)
def test_label_image_round_trip(
    label: LabelImage, ref_id: int | None, collection_ids: list[int]
) -> None:
    pairs = label_image_to_pairs(
        label, ref_omero_image_id=ref_id, collection_omero_ids=collection_ids
    )
    assert all(type(k) is str and type(v) is str for k, v in pairs)
    read = label_image_from_pairs(pairs, SOURCE)
    assert isinstance(read, LabelImageAnnotation)
    assert_same_model(read.label, label)
    assert read.ref_omero_image_id == ref_id
    assert read.collection_omero_ids == tuple(collection_ids)
    assert (
        label_image_to_pairs(
            read.label, ref_omero_image_id=ref_id, collection_omero_ids=collection_ids
        )
        == pairs
    )


@settings(max_examples=200)
@given(collections, optional(model_ints))
def test_collection_round_trip(collection: LabelCollection, ref_id: int | None) -> None:
    pairs = collection_to_pairs(collection, ref_omero_image_id=ref_id)
    assert all(type(k) is str and type(v) is str for k, v in pairs)
    read = collection_from_pairs(pairs, SOURCE)
    assert isinstance(read, CollectionAnnotation)
    assert_same_model(read.collection, collection)
    assert read.ref_omero_image_id == ref_id
    assert collection_to_pairs(read.collection, ref_omero_image_id=ref_id) == pairs


@given(label_images)
def test_pair_order_does_not_matter_to_the_reader(label: LabelImage) -> None:
    pairs = label_image_to_pairs(label)
    # Only repeated keys carry meaning in their order, and a label image has none of them here.
    assert label_image_from_pairs(pairs[::-1], SOURCE).label == label


def test_bare_class_is_kept() -> None:
    label = _minimal_label().model_copy(
        update={"label_schema": LabelSchema(classes=(LabelClass(value=-3),))}
    )
    pairs = label_image_to_pairs(label)
    assert ("class.-3.properties", "{}") in pairs
    assert label_image_from_pairs(pairs, SOURCE).label == label


def test_typed_fields_are_written_plainly() -> None:
    label = _minimal_label().model_copy(update={"version": "1", "image_id": "null"})
    pairs = dict(label_image_to_pairs(label))
    assert pairs["label.version"] == "1"
    assert pairs["label.image_id"] == "null"
    assert pairs["label.type"] == "semantic"
    assert pairs["provenance.method"] == "manual"
    assert pairs["provenance.created"] == "2026-01-31T12:00:00Z"


def test_unset_optional_fields_are_omitted() -> None:
    keys_written = [key for key, _ in label_image_to_pairs(_minimal_label())]
    assert keys_written == [
        "label.id",
        "label.name",
        "label.version",
        "label.type",
        "label.image_id",
        "provenance.method",
        "provenance.created",
    ]
    collection = LabelCollection(id="c1", name="set", image_id="i1")
    assert collection_to_pairs(collection) == [
        ("collection.id", "c1"),
        ("collection.name", "set"),
        ("collection.image_id", "i1"),
    ]
    read = collection_from_pairs(collection_to_pairs(collection), SOURCE)
    assert read.collection.provenance is None
    assert read.ref_omero_image_id is None


# --------------------------------------------------------------------------------------------
# The documented example


def _minimal_label() -> LabelImage:
    return LabelImage(
        id="l1",
        name="cells",
        image_id="i1",
        label_type=LabelType.SEMANTIC,
        provenance=Provenance(method=Method.MANUAL, created=datetime(2026, 1, 31, 12, tzinfo=UTC)),
    )


def example_label_image() -> LabelImage:
    return LabelImage(
        id="3f9a1c2e4b5d6e7f",
        name="nuclei",
        version="v2",
        image_id="a1b2c3d4e5f60718",
        label_type=LabelType.INSTANCE,
        label_schema=LabelSchema(
            classes=(
                LabelClass(value=0, name="background", color=(0, 0, 0, 0)),
                LabelClass(
                    value=1,
                    name="nucleus",
                    color=(255, 0, 0, 255),
                    properties={"ontology": "GO:0005634", "min_area": 25},
                ),
            )
        ),
        provenance=Provenance(
            method=Method.MACHINE_LEARNING,
            software="cellpose",
            software_version="3.1.0",
            author="Jane Doe",
            created=datetime(2026, 1, 31, 12, 0, 0, 250000, tzinfo=UTC),
            parameters={"diameter": 30, "flow_threshold": 0.4, "channels": [0, 0], "do_3D": True},
            model_name="nuclei",
            model_version="3.1",
            training_data="cellpose nuclei dataset",
            reference_hash="sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            content_hash="sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            derived_from="1d2c3b4a59687766",
        ),
        axes=(
            Axis(name="z", type="space", unit="micrometer"),
            Axis(name="y", type="space", unit="micrometer"),
            Axis(name="x", type="space", unit="micrometer"),
        ),
        dtype="uint16",
        levels=(
            Level(path="0", shape=(32, 512, 512), scale=(1.0, 0.5, 0.5)),
            Level(path="1", shape=(32, 256, 256), scale=(1.0, 1.0, 1.0)),
        ),
        omero_image_id=1052,
        attributes={"review": {"status": "approved", "round": "2"}},
    )


def example_collection() -> LabelCollection:
    return LabelCollection(
        id="c7d8e9f0a1b2c3d4",
        name="training-set",
        image_id="a1b2c3d4e5f60718",
        description="Curated nuclei, round 2",
        provenance=Provenance(
            method=Method.MANUAL,
            author="Jane Doe",
            created=datetime(2026, 2, 2, 9, 30, tzinfo=UTC),
        ),
        members=("3f9a1c2e4b5d6e7f", "5b6c7d8e9f0a1b2c"),
        omero_collection_id=301,
        attributes={"project": "screen-7"},
    )


def _documented_examples() -> list[list[tuple[str, str]]]:
    """The ``key=value`` blocks of the worked examples in docs/annotation-schema.md."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- example:[a-z-]+ -->\n```text\n(.*?)```", text, flags=re.DOTALL)
    examples: list[list[tuple[str, str]]] = []
    for block in blocks:
        lines = [line.partition("=") for line in block.splitlines()]
        examples.append([(key, value) for key, _, value in lines])
    return examples


def test_documented_label_image_example() -> None:
    documented = _documented_examples()[0]
    label = example_label_image()
    pairs = label_image_to_pairs(label, ref_omero_image_id=1051, collection_omero_ids=[301, 302])
    assert pairs == documented
    read = label_image_from_pairs(documented, SOURCE)
    assert read == LabelImageAnnotation(label, 1051, (301, 302))


def test_documented_collection_example() -> None:
    documented = _documented_examples()[1]
    collection = example_collection()
    assert collection_to_pairs(collection, ref_omero_image_id=1051) == documented
    assert collection_from_pairs(documented, SOURCE) == CollectionAnnotation(collection, 1051)


def test_namespaces() -> None:
    assert NS_LABEL_IMAGE == "labelcollections/label-image/v1"
    assert NS_COLLECTION == "labelcollections/collection/v1"
    text = DOC.read_text(encoding="utf-8")
    assert NS_LABEL_IMAGE in text and NS_COLLECTION in text


# --------------------------------------------------------------------------------------------
# Decoding errors


def _edit(pairs: list[tuple[str, str]], key: str, value: str | None) -> list[tuple[str, str]]:
    """``pairs`` with ``key`` set to ``value`` (appended if absent) or removed (None)."""
    if value is None:
        return [(k, v) for k, v in pairs if k != key]
    if any(k == key for k, _ in pairs):
        return [(k, value if k == key else v) for k, v in pairs]
    return [*pairs, (key, value)]


LABEL_ERRORS = [
    ("label.id", None, "label.id", "missing"),
    ("label.name", None, "label.name", "missing"),
    ("label.image_id", None, "label.image_id", "missing"),
    ("label.type", None, "label.type", "missing"),
    ("provenance.method", None, "provenance.method", "missing"),
    ("provenance.created", None, "provenance.created", "missing"),
    ("label.type", "instances", "label.type", "one of semantic, instance, panoptic"),
    ("provenance.method", "by hand", "provenance.method", "by hand"),
    ("provenance.created", "2026-01-31T12:00:00", "provenance.created", "UTC offset"),
    ("provenance.created", "yesterday", "provenance.created", "yesterday"),
    ("provenance.content_hash", "md5:00", "provenance.content_hash", "pattern"),
    ("label.name", " padded", "label.name", "a non-empty name"),
    ("label.version", "v 2", "label.version", "a name of letters"),
    ("label.dtype", "float32", "label.dtype", "one of uint8"),
    ("omero.ref_image_id", "12a", "omero.ref_image_id", "an integer"),
    ("omero.ref_image_id", "", "omero.ref_image_id", "an integer"),
    ("omero.image_id", "1.0", "omero.image_id", "an integer"),
    ("omero.collection_id", "three", "omero.collection_id", "an integer"),
    ("class.one.name", "x", "class.one", "an integer"),
    ("class.01.name", "x", "class.01", "an integer"),
    ("class.-0.name", "x", "class.-0", "an integer"),
    ("class.1.color", "255,0,0", "class.1.color", "r,g,b,a"),
    ("class.1.color", "255,0,0,256", "class.1.color", "r,g,b,a"),
    ("class.1.color", "red", "class.1.color", "integers separated by commas"),
    ("class.1.colour", "red", "class.1.colour", NS_LABEL_IMAGE),
    ("label.colour", "red", "label.colour", NS_LABEL_IMAGE),
    ("zarr_path", "/data/x.zarr", "zarr_path", NS_LABEL_IMAGE),
    ("label.levels[0].shape", "32,x", "label.levels[0].shape", "integers separated by commas"),
    ("label.levels[0].scale", "1.0,fast", "label.levels[0].scale", "numbers separated by commas"),
    ("label.levels[0].path", None, "label.levels[0].path", "Field required"),
    ("label.levels[3].path", "3", "label.levels", "without gaps"),
    ("label.axes[0].colour", "red", "label.axes[0].colour", "Extra inputs"),
    ("label.axes", "z,y,x", "label.axes", "longer keys continue"),
    (
        "provenance.parameters.diameter.mm",
        "5",
        "provenance.parameters.diameter.mm",
        "holds a value",
    ),
]


@pytest.mark.parametrize(("key", "value", "field", "expected"), LABEL_ERRORS)
def test_label_image_decoding_errors(
    key: str, value: str | None, field: str, expected: str
) -> None:
    pairs = label_image_to_pairs(example_label_image(), ref_omero_image_id=1051)
    assert label_image_from_pairs(pairs, SOURCE).label == example_label_image()
    with pytest.raises(InputError) as error:
        label_image_from_pairs(_edit(pairs, key, value), SOURCE)
    assert error.value.source == SOURCE
    assert error.value.field == field
    assert expected in error.value.expected


@pytest.mark.parametrize(
    ("key", "value", "field", "expected"),
    [
        ("label.axes", "z,y,x", "label.axes", "label.axes[0].name"),
        ("label.levels", "0", "label.levels", "label.levels[0].path"),
        ("label.axes[0]", "z", "label.axes", "label.axes[0].name"),
        ("provenance.parameters", "5", "provenance.parameters", "dictionary"),
        ("attributes", "[1]", "attributes", "dictionary"),
        ("class.1.properties", '"x"', "class.1.properties", "dictionary"),
    ],
)
def test_wrongly_shaped_values(key: str, value: str, field: str, expected: str) -> None:
    pairs = [*label_image_to_pairs(_minimal_label()), (key, value)]
    with pytest.raises(InputError) as error:
        label_image_from_pairs(pairs, SOURCE)
    assert error.value.field == field
    assert expected in error.value.expected


def test_repeated_single_key_is_an_error() -> None:
    pairs = [*label_image_to_pairs(example_label_image()), ("label.name", "other")]
    with pytest.raises(InputError) as error:
        label_image_from_pairs(pairs, SOURCE)
    assert (error.value.field, error.value.expected) == (
        "label.name",
        "one value (the key is repeated)",
    )


COLLECTION_ERRORS = [
    ("collection.id", None, "collection.id", "missing"),
    ("collection.name", None, "collection.name", "missing"),
    ("collection.image_id", None, "collection.image_id", "missing"),
    ("collection.name", "tab\there", "collection.name", "a non-empty name"),
    ("omero.collection_id", "x", "omero.collection_id", "an integer"),
    ("omero.ref_image_id", "-", "omero.ref_image_id", "an integer"),
    ("provenance.method", None, "provenance.method", "missing"),
    ("provenance.method", "magic", "provenance.method", "magic"),
    ("collection.members", "x", "collection.members", NS_COLLECTION),
    ("label.type", "instance", "label.type", NS_COLLECTION),
]


@pytest.mark.parametrize(("key", "value", "field", "expected"), COLLECTION_ERRORS)
def test_collection_decoding_errors(key: str, value: str | None, field: str, expected: str) -> None:
    pairs = collection_to_pairs(example_collection(), ref_omero_image_id=1051)
    assert collection_from_pairs(pairs, SOURCE).collection == example_collection()
    with pytest.raises(InputError) as error:
        collection_from_pairs(_edit(pairs, key, value), SOURCE)
    assert error.value.source == SOURCE
    assert error.value.field == field
    assert expected in error.value.expected


def test_collection_member_listed_twice() -> None:
    pairs = [*collection_to_pairs(example_collection()), ("collection.member", "3f9a1c2e4b5d6e7f")]
    with pytest.raises(InputError) as error:
        collection_from_pairs(pairs, SOURCE)
    assert error.value.field == "collection.member"
    assert "3f9a1c2e4b5d6e7f" in error.value.expected


def test_collection_id_given_twice() -> None:
    pairs = [*collection_to_pairs(example_collection()), ("omero.collection_id", "302")]
    with pytest.raises(InputError) as error:
        collection_from_pairs(pairs, SOURCE)
    assert error.value.field == "omero.collection_id"
    assert "repeated" in error.value.expected


# --------------------------------------------------------------------------------------------
# Fuzzing the readers: pairs from OMERO may be anything a user typed into the web client


Edit = tuple[str, int, str]
edits = st.lists(
    st.tuples(
        st.sampled_from(["drop", "repeat", "value", "key", "add"]),
        st.integers(0, 2**16),
        texts,
    ),
    min_size=1,
    max_size=4,
)


def edited(pairs: list[tuple[str, str]], changes: list[Edit]) -> list[tuple[str, str]]:
    """``pairs`` with pairs dropped, repeated, given another value or key, or added."""
    result = list(pairs)
    for kind, position, text in changes:
        index = position % len(result) if result else 0
        if kind == "add" or not result:
            result.insert(index, (text, text[::-1]))
        elif kind == "drop":
            del result[index]
        elif kind == "repeat":
            result.insert(index, result[index])
        elif kind == "value":
            result[index] = (result[index][0], text)
        else:
            result[index] = (text, result[index][1])
    return result


def read_or_refuse(read: Any, pairs: list[tuple[str, str]]) -> None:
    try:
        read(pairs, SOURCE)
    except InputError as error:
        assert error.source == SOURCE and "\n" not in str(error)


@pytest.mark.parametrize(
    ("records", "to_pairs", "from_pairs"),
    [
        (label_images, label_image_to_pairs, label_image_from_pairs),
        (collections, collection_to_pairs, collection_from_pairs),
    ],
    ids=["label image", "collection"],
)
@settings(max_examples=120)
@given(data=st.data(), changes=edits)
def test_edited_pairs_read_or_are_refused(
    records: st.SearchStrategy[Any],
    to_pairs: Any,
    from_pairs: Any,
    data: st.DataObject,
    changes: list[Edit],
) -> None:
    read_or_refuse(from_pairs, edited(to_pairs(data.draw(records)), changes))


schema_keys = st.sampled_from(
    [
        *sorted({key for key, _ in label_image_to_pairs(_minimal_label())}),
        *(
            "label.dtype",
            "class.1.name",
            "class.1.color",
            "label.axes[0].name",
            "label.levels[0].shape",
        ),
        *("provenance.parameters.a", "attributes.x", "omero.image_id", "collection.id"),
        "collection.member",
    ]
)


@settings(max_examples=150)
@given(st.lists(st.tuples(schema_keys | texts, texts | st.sampled_from(TRICKY_TEXT)), max_size=12))
def test_any_pairs_read_or_are_refused(pairs: list[tuple[str, str]]) -> None:
    read_or_refuse(label_image_from_pairs, pairs)
    read_or_refuse(collection_from_pairs, pairs)
