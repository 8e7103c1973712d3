"""NGFF multiscales: written metadata passes the NGFF schemas and ome-zarr-models, third-party
metadata (conformance examples, the BioHackathon stores) reads back with the right geometry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ome_zarr_models.v04.image import ImageAttrs as ImageAttrsV04
from ome_zarr_models.v05.image import ImageAttrs as ImageAttrsV05
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from labelcollections.errors import InputError
from labelcollections.formats.ngff.labels import group_attributes
from labelcollections.formats.ngff.multiscales import (
    NgffVersion,
    check_ngff_version,
    multiscales_metadata,
    ngff_version_of,
    ome_attributes,
    parse_multiscales,
)
from labelcollections.model.images import Axis, Level

VERSIONS: tuple[NgffVersion, ...] = ("0.4", "0.5")
YX = (Axis(name="y", type="space", unit="micrometer"), Axis(name="x", type="space"))
TWO_LEVELS = (
    Level(path="0", shape=(64, 64), scale=(0.5, 0.5)),
    Level(path="1", shape=(32, 32), scale=(1.0, 1.0), translation=(0.25, 0.25)),
)


def load_jsonc(path: Path) -> Any:
    """JSON with whole-line ``//`` comments, as in the NGFF multiscales examples."""
    text = "\n".join(line for line in path.read_text().splitlines() if not re.match(r"\s*//", line))
    return json.loads(text)


@pytest.fixture(scope="session")
def image_validators(conformance_dir: Path) -> dict[str, Draft202012Validator]:
    """``image.schema`` of each version, with every local schema registered under its ``$id``."""
    validators: dict[str, Draft202012Validator] = {}
    for version in VERSIONS:
        folder = conformance_dir / "ngff" / version / "schemas"
        schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.schema")}
        registry: Registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
            for s in schemas.values()
        )
        validators[version] = Draft202012Validator(schemas["image.schema"], registry=registry)
    return validators


def image_attributes(version: NgffVersion, axes: Any = YX, levels: Any = TWO_LEVELS) -> Any:
    multiscales = multiscales_metadata("image", axes, levels, version)
    return json.loads(json.dumps(group_attributes({"multiscales": multiscales}, version)))


# --- writing ---------------------------------------------------------------------------------


def test_version_lives_inside_the_multiscale_in_04_and_at_ome_version_in_05() -> None:
    v04 = image_attributes("0.4")
    v05 = image_attributes("0.5")
    assert v04["multiscales"][0]["version"] == "0.4"
    assert "ome" not in v04
    assert v05["ome"]["version"] == "0.5"
    assert "version" not in v05["ome"]["multiscales"][0]


def test_written_datasets_carry_scale_then_translation() -> None:
    datasets = multiscales_metadata("image", YX, TWO_LEVELS, "0.5")[0]["datasets"]
    assert datasets == [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [0.5, 0.5]}]},
        {
            "path": "1",
            "coordinateTransformations": [
                {"type": "scale", "scale": [1.0, 1.0]},
                {"type": "translation", "translation": [0.25, 0.25]},
            ],
        },
    ]


def test_written_axes_leave_out_unset_type_and_unit() -> None:
    axes = multiscales_metadata("image", YX, TWO_LEVELS, "0.4")[0]["axes"]
    assert axes == [
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space"},
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_written_metadata_passes_the_ngff_image_schema(
    version: NgffVersion, image_validators: dict[str, Draft202012Validator]
) -> None:
    errors = list(image_validators[version].iter_errors(image_attributes(version)))
    assert errors == []


def test_written_metadata_passes_ome_zarr_models() -> None:
    ImageAttrsV04.model_validate(image_attributes("0.4"))
    ImageAttrsV05.model_validate(image_attributes("0.5")["ome"])


def test_a_scale_of_the_wrong_length_is_refused() -> None:
    levels = (Level(path="0", shape=(4, 4), scale=(1.0, 1.0, 1.0)),)
    with pytest.raises(InputError) as error:
        multiscales_metadata("image", YX, levels, "0.5")
    assert error.value.field == "levels[0].scale"


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(InputError, match=r"0\.4, 0\.5"):
        multiscales_metadata("image", YX, TWO_LEVELS, "0.6")  # type: ignore[arg-type]
    assert check_ngff_version("0.4") == "0.4"


AXIS_LAYOUTS = ("yx", "zyx", "cyx", "czyx", "tyx", "tczyx")
AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
AXIS_UNITS = {"t": "second", "c": None, "z": "micrometer", "y": "micrometer", "x": None}


@st.composite
def pyramids(draw: st.DrawFn) -> tuple[tuple[Axis, ...], tuple[Level, ...]]:
    """Valid NGFF geometry: 2-5 axes in NGFF order, scales growing level by level."""
    layout = draw(st.sampled_from(AXIS_LAYOUTS))
    axes = tuple(Axis(name=n, type=AXIS_TYPES[n], unit=AXIS_UNITS[n]) for n in layout)
    finite = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
    scale = draw(st.tuples(*[finite] * len(axes)))
    levels: list[Level] = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        if index:
            factors = draw(st.tuples(*[st.sampled_from([1.0, 2.0, 3.0, 16.25])] * len(axes)))
            scale = tuple(s * f for s, f in zip(scale, factors, strict=True))
        translation = draw(
            st.none()
            | st.tuples(*[st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)] * len(axes))
        )
        shape = draw(st.tuples(*[st.integers(1, 4096)] * len(axes)))
        levels.append(Level(path=str(index), shape=shape, scale=scale, translation=translation))
    return axes, tuple(levels)


@settings(max_examples=60, deadline=None)
@given(pyramid=pyramids(), version=st.sampled_from(VERSIONS))
def test_any_pyramid_round_trips_and_validates(
    pyramid: tuple[tuple[Axis, ...], tuple[Level, ...]],
    version: NgffVersion,
    image_validators: dict[str, Draft202012Validator],
) -> None:
    axes, levels = pyramid
    attributes = image_attributes(version, axes, levels)
    assert list(image_validators[version].iter_errors(attributes)) == []
    if version == "0.4":
        ImageAttrsV04.model_validate(attributes)
    else:
        ImageAttrsV05.model_validate(attributes["ome"])
    shapes = [level.shape for level in levels]
    parsed = parse_multiscales(ome_attributes(attributes)["multiscales"], "image", shapes)
    assert parsed == (axes, levels)


# --- reading third-party metadata ------------------------------------------------------------


def biohackathon_multiscale_groups(conformance_dir: Path) -> list[Path]:
    stores = conformance_dir / "biohackathon" / "test-zarr"
    found = []
    for path in sorted(stores.rglob("zarr.json")):
        document = json.loads(path.read_text())
        if "multiscales" in ome_attributes(document.get("attributes", {})):
            found.append(path)
    return found


def test_every_biohackathon_multiscale_reads_with_the_16_25_scale(conformance_dir: Path) -> None:
    groups = biohackathon_multiscale_groups(conformance_dir)
    assert len(groups) == 7  # 4 stores: 4 images and 3 label images
    for path in groups:
        attributes = json.loads(path.read_text())["attributes"]
        assert ngff_version_of(attributes) == "0.5"
        axes, levels = parse_multiscales(ome_attributes(attributes)["multiscales"], str(path))
        spatial = [i for i, axis in enumerate(axes) if axis.type == "space"][-2:]
        assert [axes[i].name for i in spatial] == ["y", "x"]
        assert [level.path for level in levels] == ["0", "1", "2", "3", "4"]
        assert [tuple(level.scale[i] for i in spatial) for level in levels] == [
            (1.0, 1.0),
            (2.0, 2.0),
            (4.0, 4.0),
            (8.0, 8.0),
            (16.25, 16.0),
        ]
        assert all(level.shape == () and level.translation is None for level in levels)


def test_the_2ch_store_reads_with_its_channel_axis(conformance_dir: Path) -> None:
    path = conformance_dir / "biohackathon" / "test-zarr" / "2ch.ome.zarr" / "zarr.json"
    attributes = json.loads(path.read_text())["attributes"]
    shapes = [(2, 1, 520, 704), (2, 1, 260, 352), (2, 1, 130, 176), (2, 1, 65, 88), (2, 1, 32, 44)]
    axes, levels = parse_multiscales(ome_attributes(attributes)["multiscales"], "2ch", shapes)
    assert [axis.name for axis in axes] == ["c", "z", "y", "x"]
    assert axes[0].type == "channel"
    assert levels[4].scale == (1.0, 1.0, 16.25, 16.0)
    assert [level.shape for level in levels] == shapes


@pytest.mark.parametrize("version", VERSIONS)
def test_the_ngff_examples_fold_the_multiscale_scale_into_each_level(
    version: str, conformance_dir: Path
) -> None:
    path = conformance_dir / "ngff" / version / "examples" / "multiscales_strict"
    document = load_jsonc(path / "multiscales_example.json")
    attributes = document.get("attributes", document)
    assert ngff_version_of(attributes) == version
    axes, levels = parse_multiscales(ome_attributes(attributes)["multiscales"], "example")
    assert [(a.name, a.type, a.unit) for a in axes] == [
        ("t", "time", "millisecond"),
        ("c", "channel", None),
        ("z", "space", "micrometer"),
        ("y", "space", "micrometer"),
        ("x", "space", "micrometer"),
    ]
    assert [level.scale for level in levels] == [
        pytest.approx((0.1, 1.0, 0.5, 0.5, 0.5)),
        pytest.approx((0.1, 1.0, 1.0, 1.0, 1.0)),
        pytest.approx((0.1, 1.0, 2.0, 2.0, 2.0)),
    ]

    other = load_jsonc(path / "multiscales_transformations.json")
    other_attributes = other.get("attributes", other)
    _, (level,) = parse_multiscales(ome_attributes(other_attributes)["multiscales"], "example")
    assert level.scale == (10.0, 10.0)


def test_transformations_compose_in_order() -> None:
    multiscales = [
        {
            "axes": ["y", "x"],
            "datasets": [
                {
                    "path": "0",
                    "coordinateTransformations": [
                        {"type": "scale", "scale": [2, 4]},
                        {"type": "translation", "translation": [1, 1]},
                    ],
                }
            ],
            "coordinateTransformations": [
                {"type": "scale", "scale": [3, 0.5]},
                {"type": "translation", "translation": [10, 20]},
            ],
        }
    ]
    axes, (level,) = parse_multiscales(multiscales, "x")
    assert [axis.name for axis in axes] == ["y", "x"]
    # physical = global_scale * (scale * index + translation) + global_translation
    assert level.scale == (6.0, 2.0)
    assert level.translation == (13.0, 20.5)


def dataset_error(datasets: list[Any], shapes: Any = None) -> InputError:
    multiscales = [{"axes": [{"name": "y"}, {"name": "x"}], "datasets": datasets}]
    with pytest.raises(InputError) as error:
        parse_multiscales(multiscales, "store/zarr.json", shapes)
    assert error.value.source == "store/zarr.json"
    return error.value


GOOD_DATASET = {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"path": "1"}, "multiscales[0].datasets[1].coordinateTransformations"),
        (
            {
                "path": "1",
                "coordinateTransformations": [{"type": "translation", "translation": [0, 0]}],
            },
            "multiscales[0].datasets[1].coordinateTransformations",
        ),
        (
            {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [1, 1, 1]}]},
            "multiscales[0].datasets[1].coordinateTransformations[0].scale",
        ),
        (
            {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": ["1", 1]}]},
            "multiscales[0].datasets[1].coordinateTransformations[0].scale",
        ),
        (
            {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [0, 1]}]},
            "multiscales[0].datasets[1].coordinateTransformations[0].scale",
        ),
        (
            {"path": "1", "coordinateTransformations": [{"type": "path", "path": "s.bin"}]},
            "multiscales[0].datasets[1].coordinateTransformations[0].type",
        ),
        (
            {"coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]},
            "multiscales[0].datasets[1].path",
        ),
        ("1", "multiscales[0].datasets[1]"),
    ],
)
def test_bad_datasets_name_the_field(bad: Any, field: str) -> None:
    assert dataset_error([GOOD_DATASET, bad]).field == field


def test_shapes_must_match_the_datasets() -> None:
    assert dataset_error([GOOD_DATASET], [(4, 4), (2, 2)]).field == "multiscales[0].datasets"
    assert dataset_error([GOOD_DATASET], [(4, 4, 4)]).field == "multiscales[0].datasets[0].path"


@pytest.mark.parametrize(
    ("multiscales", "field"),
    [
        ([], "multiscales"),
        ({"axes": []}, "multiscales"),
        (["x"], "multiscales[0]"),
        ([{"datasets": [GOOD_DATASET]}], "multiscales[0].axes"),
        (
            [{"axes": [{"type": "space"}, {"name": "x"}], "datasets": [GOOD_DATASET]}],
            "multiscales[0].axes[0].name",
        ),
        (
            [{"axes": [{"name": "x"}, {"name": "x"}], "datasets": [GOOD_DATASET]}],
            "multiscales[0].axes",
        ),
        (
            [{"axes": [{"name": "y", "unit": 1}, {"name": "x"}], "datasets": [GOOD_DATASET]}],
            "multiscales[0].axes[0].unit",
        ),
        ([{"axes": ["y", "x"], "datasets": []}], "multiscales[0].datasets"),
        (
            [{"axes": ["y", "x"], "datasets": [GOOD_DATASET], "coordinateTransformations": {}}],
            "multiscales[0].coordinateTransformations",
        ),
    ],
)
def test_bad_multiscales_name_the_field(multiscales: Any, field: str) -> None:
    with pytest.raises(InputError) as error:
        parse_multiscales(multiscales, "src")
    assert error.value.field == field


# --- version detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"ome": {"version": "0.5", "multiscales": []}}, "0.5"),
        ({"ome": {"labels": ["labels"]}}, "0.5"),
        ({"ome": {"version": "0.x", "type": "collection", "nodes": []}}, None),
        ({"ome": {"version": "0.6", "multiscales": []}}, None),
        ({"multiscales": [{"version": "0.4", "axes": []}]}, "0.4"),
        ({"multiscales": [{"version": "0.3", "axes": []}]}, None),
        ({"image-label": {"version": "0.4"}, "multiscales": [{"axes": []}]}, "0.4"),
        ({"labels": ["original"]}, "0.4"),
        ({"plate": {"version": "0.4"}}, "0.4"),
        ({}, None),
        ({"something": "else"}, None),
    ],
)
def test_ngff_version_is_detected(attributes: dict[str, Any], expected: str | None) -> None:
    assert ngff_version_of(attributes) == expected


def test_ome_attributes_picks_the_namespace_of_each_version() -> None:
    inner = {"version": "0.5", "labels": ["a"]}
    assert ome_attributes({"ome": inner}) is inner
    bare = {"labels": ["a"]}
    assert ome_attributes(bare) is bare
