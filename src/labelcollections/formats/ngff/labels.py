"""NGFF ``image-label`` metadata and the ``labels`` group, for OME-Zarr 0.4 and 0.5.

A :class:`LabelSchema` is written as ``colors`` (values with a colour) and ``properties`` (class
name under ``"class"``, extra properties beside it), so every NGFF reader shows our colours and
class names, and reading the metadata back gives the same schema.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from labelcollections.errors import InputError
from labelcollections.formats.ngff.multiscales import (
    NgffVersion,
    check_ngff_version,
    ome_attributes,
)
from labelcollections.model.label_schema import LabelSchema
from labelcollections.model.parsing import validate_model

CLASS_KEY = "class"
VALUE_KEY = "label-value"
RESERVED_PROPERTY_KEYS = frozenset({CLASS_KEY, VALUE_KEY})
"""Keys of an NGFF ``properties`` entry that carry the value and the class name, not a property."""


def image_path_from_label(label_path: str) -> str:
    """The relative path from a label group at ``labels/<label_path>`` back to its image."""
    return "../" * (label_path.count("/") + 2)


def image_label_metadata(
    schema: LabelSchema, version: NgffVersion, source_image: str = "../../"
) -> dict[str, Any]:
    """The ``image-label`` object for a label image with this schema.

    ``properties`` is either absent or lists every class: ome-zarr-models refuses ``colors`` and
    ``properties`` that cover different label values, and a class with neither colour, name nor
    properties still needs an entry to survive the round trip.
    """
    check_ngff_version(version)
    colors = [
        {VALUE_KEY: c.value, "rgba": list(c.color)} for c in schema.classes if c.color is not None
    ]
    needs_properties = any(
        c.name is not None or c.properties or c.color is None for c in schema.classes
    )
    properties: list[dict[str, Any]] = []
    if needs_properties:
        for label_class in schema.classes:
            entry: dict[str, Any] = {VALUE_KEY: label_class.value}
            if label_class.name is not None:
                entry[CLASS_KEY] = label_class.name
            entry.update(label_class.properties)
            properties.append(entry)
    image_label: dict[str, Any] = {}
    if version == "0.4":
        image_label["version"] = "0.4"
    if colors:
        image_label["colors"] = colors
    if properties:
        image_label["properties"] = properties
    image_label["source"] = {"image": source_image}
    return image_label


def label_schema_from_image_label(
    image_label: Any, source: str, *, prefix: str = "image-label"
) -> LabelSchema:
    """Read the label schema from third-party ``image-label`` metadata (0.4 or 0.5).

    Lenient where the spec allows it: a repeated ``label-value`` keeps its last entry (0.4 text),
    extra keys on a colour entry become class properties, integral floats count as integers.
    ``prefix`` is the field path of the object in error messages (``ome.image-label`` for 0.5).
    """
    if not isinstance(image_label, Mapping):
        raise InputError(source, prefix, "an image-label object")
    colors: dict[int, tuple[int, int, int, int] | None] = {}
    color_extras: dict[int, dict[str, Any]] = {}
    for index, entry in _entries(image_label, "colors", source, prefix):
        at = f"{prefix}.colors[{index}]"
        value = _label_value(entry, source, at)
        colors[value] = _rgba(entry.get("rgba"), source, f"{at}.rgba")
        color_extras[value] = {k: v for k, v in entry.items() if k not in {VALUE_KEY, "rgba"}}
    names: dict[int, str | None] = {}
    properties: dict[int, dict[str, Any]] = {}
    for index, entry in _entries(image_label, "properties", source, prefix):
        at = f"{prefix}.properties[{index}]"
        value = _label_value(entry, source, at)
        name = entry.get(CLASS_KEY)
        if name is not None and not isinstance(name, str):
            raise InputError(source, f"{at}.{CLASS_KEY}", f"a class name string (got {name!r})")
        names[value] = name
        properties[value] = {k: v for k, v in entry.items() if k not in RESERVED_PROPERTY_KEYS}
    classes = []
    for value in sorted(colors.keys() | names.keys()):
        extras = {
            k: v for k, v in color_extras.get(value, {}).items() if k not in RESERVED_PROPERTY_KEYS
        }
        extras.update(properties.get(value, {}))
        classes.append(
            {
                "value": value,
                "name": names.get(value),
                "color": colors.get(value),
                "properties": extras,
            }
        )
    return validate_model(LabelSchema, {"classes": classes}, source, prefix)


def labels_group_metadata(paths: Sequence[str], version: NgffVersion) -> dict[str, Any]:
    """The complete attributes of a ``labels`` group listing these label image paths."""
    checked: list[str] = []
    for index, path in enumerate(paths):
        checked.append(_label_path(path, "labels group", f"labels[{index}]"))
    if len(set(checked)) != len(checked):
        raise InputError("labels group", "labels", f"distinct paths (got {checked})")
    return group_attributes({"labels": checked}, version)


def parse_labels_group(attributes: Mapping[str, Any], source: str = "labels group") -> list[str]:
    """The label image paths a ``labels`` group lists (0.4 or 0.5), without repeats.

    A group without a ``labels`` key lists nothing. Paths that would leave the group
    (absolute, ``..``) are refused, since they come from untrusted stores.
    """
    ome = ome_attributes(attributes)
    prefix = "ome.labels" if ome is not attributes else "labels"
    raw = ome.get("labels")
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError(source, prefix, "a list of label image paths")
    paths: list[str] = []
    for index, path in enumerate(raw):
        checked = _label_path(path, source, f"{prefix}[{index}]")
        if checked not in paths:
            paths.append(checked)
    return paths


def group_attributes(ome_content: Mapping[str, Any], version: NgffVersion) -> dict[str, Any]:
    """Wrap NGFF content as a group's attributes: ``{"ome": {"version": "0.5", …}}`` or bare 0.4."""
    check_ngff_version(version)
    if version == "0.5":
        return {"ome": {"version": "0.5", **ome_content}}
    return dict(ome_content)


def _entries(
    image_label: Mapping[str, Any], key: str, source: str, prefix: str
) -> list[tuple[int, Mapping[str, Any]]]:
    raw = image_label.get(key)
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InputError(source, f"{prefix}.{key}", "a list of objects with a label-value")
    entries: list[tuple[int, Mapping[str, Any]]] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise InputError(source, f"{prefix}.{key}[{index}]", "an object with a label-value")
        entries.append((index, entry))
    return entries


def _label_value(entry: Mapping[str, Any], source: str, at: str) -> int:
    raw = entry.get(VALUE_KEY)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    raise InputError(source, f"{at}.{VALUE_KEY}", f"an integer label value (got {raw!r})")


def _rgba(raw: Any, source: str, field: str) -> tuple[int, int, int, int] | None:
    if raw is None:
        return None
    if (
        isinstance(raw, Sequence)
        and not isinstance(raw, str)
        and len(raw) == 4
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in raw)
    ):
        return (raw[0], raw[1], raw[2], raw[3])
    raise InputError(source, field, f"four integers from 0 to 255 (got {raw!r})")


def _label_path(path: Any, source: str, field: str) -> str:
    if not isinstance(path, str) or not path:
        raise InputError(source, field, f"a non-empty relative path (got {path!r})")
    segments = path.split("/")
    if any(segment in {"", ".", ".."} for segment in segments) or "\\" in path:
        raise InputError(
            source, field, f"a relative path inside the labels group, like 'cells' (got {path!r})"
        )
    return path
