"""Key-value annotation codec: model objects as OMERO map-annotation pairs and back, losslessly.

OMERO map annotations hold ordered ``(key, value)`` string pairs whose keys may repeat. Label
images and collections are written as such pairs so that OMERO users can read and query them,
and read back into equal model objects. The full schema is in docs/annotation-schema.md.

Two layers:

* :func:`flatten` / :func:`unflatten` turn any JSON value into pairs under a key prefix and back:
  dict keys become ``.key`` segments (``\\``-escaping ``.``, ``[``, ``]``, ``\\``), list items
  ``[i]`` segments, empty containers the leaves ``{}`` / ``[]``; a string leaf is written as is
  unless it would read back as something else, in which case it is JSON-quoted.
* :func:`label_image_to_pairs` / :func:`label_image_from_pairs` and :func:`collection_to_pairs` /
  :func:`collection_from_pairs` write typed fields plainly under fixed keys and use the generic
  layer only for free-form JSON (parameters, class properties, attributes).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import JsonValue

from labelcollections.errors import InputError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import Axis, LabelImage, Level
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.names import check_display_name, check_name
from labelcollections.model.parsing import validate_model
from labelcollections.model.provenance import Provenance
from labelcollections.model.vocabulary import LABEL_DTYPES, Downsampling, LabelType

__all__ = [
    "NS_COLLECTION",
    "NS_LABEL_IMAGE",
    "CollectionAnnotation",
    "LabelImageAnnotation",
    "Pairs",
    "collection_from_pairs",
    "collection_to_pairs",
    "flatten",
    "label_image_from_pairs",
    "label_image_to_pairs",
    "unflatten",
]

NS_LABEL_IMAGE = "labelcollections/label-image/v1"
"""Namespace of the map annotation that describes one label image."""
NS_COLLECTION = "labelcollections/collection/v1"
"""Namespace of the map annotation that describes one label collection."""

Pairs = list[tuple[str, str]]
"""Ordered key-value pairs as OMERO stores them in a map annotation."""

_DEFAULT_SOURCE = "key-value pairs"
_ESCAPED = frozenset(".[]\\")
_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_INDEX = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|inf|nan)")
_CLASS_KEY = re.compile(r"class\.([^.\[\]\\]*)\.")


# --------------------------------------------------------------------------------------------
# Integers of any size (str/int refuse more than sys.get_int_max_str_digits() digits)


def _int_text(value: int) -> str:
    """Decimal text of ``value``, split into halves when ``str`` refuses it for its size."""
    if value < 0:
        return "-" + _int_text(-value)
    try:
        return str(value)
    except ValueError:
        half = max(1, int(value.bit_length() * math.log10(2)) // 2)
        high, low = divmod(value, 10**half)
        return _int_text(high) + _int_text(low).zfill(half)


def _text_int(text: str) -> int:
    """Inverse of :func:`_int_text` for text matching ``_INTEGER``."""
    if text.startswith("-"):
        return -_text_int(text[1:])
    try:
        return int(text)
    except ValueError:
        half = len(text) // 2
        shift: int = 10**half
        return _text_int(text[:-half]) * shift + _text_int(text[-half:])


# --------------------------------------------------------------------------------------------
# Generic layer: any JSON value <-> pairs under a prefix


def _escape_key(key: str) -> str:
    return "".join("\\" + ch if ch in _ESCAPED else ch for ch in key)


def _read_json(text: str) -> tuple[bool, JsonValue]:
    """``(True, value)`` if ``text`` is a JSON document, else ``(False, None)``."""
    if _INTEGER.fullmatch(text):
        return True, _text_int(text)
    try:
        value: JsonValue = json.loads(text)
    except (ValueError, RecursionError):
        return False, None
    return True, value


def _encode_leaf(value: JsonValue) -> str:
    """A scalar as text: JSON for non-strings, strings as is unless they would read as JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _read_json(value)[0] else value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return _int_text(value)
    if isinstance(value, float):
        return json.dumps(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _decode_leaf(text: str) -> JsonValue:
    parsed, value = _read_json(text)
    return value if parsed else text


def flatten(value: JsonValue, prefix: str) -> Pairs:
    """Write a JSON value as pairs whose keys start with ``prefix`` (see the module docstring).

    Every value in the result is a string, and :func:`unflatten` with the same prefix gives
    ``value`` back, whatever it holds.
    """
    pairs: Pairs = []
    _flatten_into(value, prefix, pairs)
    return pairs


def _flatten_into(value: JsonValue, key: str, pairs: Pairs) -> None:
    if isinstance(value, dict):
        if not value:
            pairs.append((key, "{}"))
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"JSON object keys must be strings, not {type(name).__name__}")
            _flatten_into(item, f"{key}.{_escape_key(name)}", pairs)
    elif isinstance(value, list):
        if not value:
            pairs.append((key, "[]"))
        for index, item in enumerate(value):
            _flatten_into(item, f"{key}[{index}]", pairs)
    else:
        pairs.append((key, _encode_leaf(value)))


def unflatten(
    pairs: Iterable[tuple[str, str]], prefix: str, *, source: str = _DEFAULT_SOURCE
) -> JsonValue:
    """Rebuild the JSON value that :func:`flatten` wrote under ``prefix``.

    Keys outside ``prefix`` (neither ``prefix`` itself nor ``prefix`` followed by ``.`` or
    ``[``) are ignored. A missing value, a malformed key or keys that contradict each other
    raise an :class:`InputError` naming ``source`` and the key.
    """
    return _unflatten(pairs, prefix, source, _decode_leaf)


@dataclass
class _Node:
    """One position of a value being rebuilt: a leaf, a dict or a list (keyed by index)."""

    key: str
    has_leaf: bool = False
    leaf: JsonValue = None
    children: dict[str | int, _Node] | None = None
    is_list: bool = False


def _in_prefix(key: str, prefix: str) -> bool:
    return key.startswith(prefix) and (len(key) == len(prefix) or key[len(prefix)] in ".[")


def _unflatten(
    pairs: Iterable[tuple[str, str]],
    prefix: str,
    source: str,
    decode: Callable[[str], JsonValue],
) -> JsonValue:
    root = _Node(prefix)
    for key, text in pairs:
        if not _in_prefix(key, prefix):
            continue
        node = root
        for segment, end in _split_key(key, len(prefix), source):
            if node.has_leaf:
                raise InputError(source, key, f"no key below {node.key!r}, which holds a value")
            if node.children is None:
                node.children = {}
                node.is_list = isinstance(segment, int)
            elif node.is_list != isinstance(segment, int):
                raise InputError(
                    source, key, f"either list items or object keys below {node.key!r}, not both"
                )
            node = node.children.setdefault(segment, _Node(key[:end]))
        if node.has_leaf:
            raise InputError(source, key, "one value (the key is repeated)")
        if node.children is not None:
            raise InputError(source, key, "no value, since longer keys continue this one")
        node.has_leaf, node.leaf = True, decode(text)
    if not root.has_leaf and root.children is None:
        raise InputError(source, prefix or "<root>", "at least one key (none found)")
    return _build(root, source)


def _split_key(key: str, start: int, source: str) -> list[tuple[str | int, int]]:
    """The dict-key and list-index segments of ``key`` after ``start``, each with its end."""
    segments: list[tuple[str | int, int]] = []
    i = start
    while i < len(key):
        if key[i] == "[":
            end = key.find("]", i)
            digits = key[i + 1 : end] if end >= 0 else ""
            if not _INDEX.fullmatch(digits):
                raise InputError(source, key, "list indexes written [0], [1], … (got a bad one)")
            i = end + 1
            segments.append((int(digits), i))
        elif key[i] == ".":
            i += 1
            chars: list[str] = []
            while i < len(key) and key[i] not in ".[":
                if key[i] == "]":
                    raise InputError(source, key, "']' in a key segment escaped as '\\]'")
                if key[i] == "\\":
                    if i + 1 == len(key) or key[i + 1] not in _ESCAPED:
                        raise InputError(
                            source, key, "'\\' only before '.', '[', ']' or '\\' in a key"
                        )
                    i += 1
                chars.append(key[i])
                i += 1
            segments.append(("".join(chars), i))
        else:
            raise InputError(source, key, "'.' or '[' between key segments")
    return segments


def _build(node: _Node, source: str) -> JsonValue:
    if node.has_leaf:
        return node.leaf
    children = node.children or {}
    if not node.is_list:
        return {str(name): _build(child, source) for name, child in children.items()}
    if sorted(children) != list(range(len(children))):
        raise InputError(source, node.key, "list items numbered [0], [1], … without gaps")
    return [_build(children[index], source) for index in range(len(children))]


# --------------------------------------------------------------------------------------------
# Schema layer: typed results


@dataclass(frozen=True)
class LabelImageAnnotation:
    """A label image read from pairs, with the OMERO ids the pairs link it to."""

    label: LabelImage
    ref_omero_image_id: int | None = None
    collection_omero_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CollectionAnnotation:
    """A collection read from pairs, with the OMERO id of its reference image."""

    collection: LabelCollection
    ref_omero_image_id: int | None = None


# --------------------------------------------------------------------------------------------
# Schema layer: writing


def _time_text(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as short as the time allows without losing precision."""
    micro = value.microsecond
    spec = "seconds" if micro == 0 else "milliseconds" if micro % 1000 == 0 else "microseconds"
    return value.astimezone(UTC).isoformat(timespec=spec).removesuffix("+00:00") + "Z"


def _float_text(value: float) -> str:
    return repr(float(value))


def _ints_text(values: Sequence[int]) -> str:
    return ",".join(_int_text(v) for v in values)


def _floats_text(values: Sequence[float]) -> str:
    return ",".join(_float_text(v) for v in values)


def _provenance_pairs(provenance: Provenance) -> Pairs:
    pairs: Pairs = []
    for name in Provenance.model_fields:
        value = getattr(provenance, name)
        key = f"provenance.{name}"
        if name == "parameters":
            if value:
                pairs.extend(flatten(value, key))
        elif name == "created":
            pairs.append((key, _time_text(value)))
        elif value is not None:
            pairs.append((key, str(value)))
    return pairs


def _attribute_pairs(attributes: dict[str, JsonValue]) -> Pairs:
    return flatten(dict(attributes), "attributes") if attributes else []


def _axis_pairs(axes: Sequence[Axis]) -> Pairs:
    pairs: Pairs = []
    for index, axis in enumerate(axes):
        key = f"label.axes[{index}]"
        pairs.append((f"{key}.name", axis.name))
        if axis.type is not None:
            pairs.append((f"{key}.type", axis.type))
        if axis.unit is not None:
            pairs.append((f"{key}.unit", axis.unit))
    return pairs


def _level_pairs(levels: Sequence[Level]) -> Pairs:
    pairs: Pairs = []
    for index, level in enumerate(levels):
        key = f"label.levels[{index}]"
        pairs.append((f"{key}.path", level.path))
        pairs.append((f"{key}.shape", _ints_text(level.shape)))
        pairs.append((f"{key}.scale", _floats_text(level.scale)))
        if level.translation is not None:
            pairs.append((f"{key}.translation", _floats_text(level.translation)))
    return pairs


def _class_pairs(schema: LabelSchema) -> Pairs:
    pairs: Pairs = []
    for label_class in schema.classes:
        key = f"class.{_int_text(label_class.value)}"
        if label_class.name is not None:
            pairs.append((f"{key}.name", label_class.name))
        if label_class.color is not None:
            pairs.append((f"{key}.color", ",".join(str(c) for c in label_class.color)))
        if label_class.properties or (label_class.name is None and label_class.color is None):
            # A class with nothing else still needs one pair, else it would vanish.
            pairs.extend(flatten(dict(label_class.properties), f"{key}.properties"))
    return pairs


def label_image_to_pairs(
    label: LabelImage,
    *,
    ref_omero_image_id: int | None = None,
    collection_omero_ids: Sequence[int] = (),
) -> Pairs:
    """The pairs of a :data:`NS_LABEL_IMAGE` map annotation describing ``label``.

    ``ref_omero_image_id`` is the OMERO Image of the reference image and
    ``collection_omero_ids`` the OMERO ids of the collections that hold the label image.
    """
    pairs: Pairs = []
    if label.omero_image_id is not None:
        pairs.append(("omero.image_id", _int_text(label.omero_image_id)))
    if ref_omero_image_id is not None:
        pairs.append(("omero.ref_image_id", _int_text(ref_omero_image_id)))
    pairs.extend(("omero.collection_id", _int_text(i)) for i in collection_omero_ids)
    pairs.append(("label.id", label.id))
    pairs.append(("label.name", label.name))
    pairs.append(("label.version", label.version))
    pairs.append(("label.type", label.label_type.value))
    pairs.append(("label.image_id", label.image_id))
    if label.dtype is not None:
        pairs.append(("label.dtype", label.dtype))
    if label.downsampling != "nearest":
        pairs.append(("label.downsampling", label.downsampling))
    pairs.extend(_axis_pairs(label.axes))
    pairs.extend(_level_pairs(label.levels))
    pairs.extend(_provenance_pairs(label.provenance))
    pairs.extend(_class_pairs(label.label_schema))
    pairs.extend(_attribute_pairs(label.attributes))
    return pairs


def collection_to_pairs(
    collection: LabelCollection, *, ref_omero_image_id: int | None = None
) -> Pairs:
    """The pairs of a :data:`NS_COLLECTION` map annotation describing ``collection``."""
    pairs: Pairs = []
    if ref_omero_image_id is not None:
        pairs.append(("omero.ref_image_id", _int_text(ref_omero_image_id)))
    if collection.omero_collection_id is not None:
        pairs.append(("omero.collection_id", _int_text(collection.omero_collection_id)))
    pairs.append(("collection.id", collection.id))
    pairs.append(("collection.name", collection.name))
    pairs.append(("collection.image_id", collection.image_id))
    if collection.description is not None:
        pairs.append(("collection.description", collection.description))
    pairs.extend(("collection.member", member) for member in collection.members)
    if collection.provenance is not None:
        pairs.extend(_provenance_pairs(collection.provenance))
    pairs.extend(_attribute_pairs(collection.attributes))
    return pairs


# --------------------------------------------------------------------------------------------
# Schema layer: reading


@dataclass
class _Reader:
    """The pairs of one annotation, handing out values by key and noting which were read.

    Every pair must be read by the end, so a mistyped or unknown key is reported rather than
    silently dropped.
    """

    pairs: list[tuple[str, str]]
    source: str
    namespace: str
    read: set[int] = field(default_factory=set)
    by_key: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for index, (key, _) in enumerate(self.pairs):
            self.by_key.setdefault(key, []).append(index)

    def all(self, key: str) -> list[str]:
        found = self.by_key.get(key, [])
        self.read.update(found)
        return [self.pairs[i][1] for i in found]

    def one(self, key: str) -> str | None:
        values = self.all(key)
        if len(values) > 1:
            raise InputError(self.source, key, "one value (the key is repeated)")
        return values[0] if values else None

    def required(self, key: str) -> str:
        value = self.one(key)
        if value is None:
            raise InputError(self.source, key, "a value (the key is missing)")
        return value

    def has(self, prefix: str) -> bool:
        return any(_in_prefix(k, prefix) for k, _ in self.pairs)

    def tree(self, prefix: str, decode: Callable[[str], JsonValue] = _decode_leaf) -> JsonValue:
        self.read.update(i for i, (k, _) in enumerate(self.pairs) if _in_prefix(k, prefix))
        return _unflatten(self.pairs, prefix, self.source, decode)

    def finish(self) -> None:
        for index, (key, _) in enumerate(self.pairs):
            if index not in self.read:
                raise InputError(
                    self.source,
                    key,
                    f"a key of the {self.namespace} schema (see docs/annotation-schema.md)",
                )


def _parse_int(text: str, source: str, key: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise InputError(source, key, f"an integer (got {text!r})")
    return _text_int(text)


def _parse_numbers(text: str, kind: type[int] | type[float], source: str, key: str) -> list[Any]:
    """Comma-separated integers or floats; the empty string is the empty list."""
    numbers: list[Any] = []
    for item in text.split(",") if text else []:
        if kind is int and _INTEGER.fullmatch(item):
            numbers.append(_text_int(item))
        elif kind is float and _FLOAT.fullmatch(item):
            numbers.append(float(item))
        else:
            noun = "integers" if kind is int else "numbers"
            raise InputError(source, key, f"{noun} separated by commas (got {text!r})")
    return numbers


def _optional_int(reader: _Reader, key: str) -> int | None:
    text = reader.one(key)
    return None if text is None else _parse_int(text, reader.source, key)


def _read_provenance(reader: _Reader) -> Provenance:
    data: dict[str, Any] = {}
    for name in Provenance.model_fields:
        key = f"provenance.{name}"
        if name == "parameters":
            if reader.has(key):
                data[name] = reader.tree(key)
        elif name in {"method", "created"}:
            data[name] = reader.required(key)
        elif (value := reader.one(key)) is not None:
            data[name] = value
    return validate_model(Provenance, data, reader.source, "provenance")


def _read_attributes(reader: _Reader) -> JsonValue:
    return reader.tree("attributes") if reader.has("attributes") else {}


def _read_list(reader: _Reader, prefix: str, example: str) -> list[dict[str, JsonValue]]:
    """Items written as ``prefix[i].field`` with plain (not JSON) values."""
    if not reader.has(prefix):
        return []
    items = reader.tree(prefix, decode=lambda text: text)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InputError(reader.source, prefix, f"one key per field, e.g. {example}")
    return [item for item in items if isinstance(item, dict)]


def _read_axes(reader: _Reader) -> list[Axis]:
    return [
        validate_model(Axis, item, reader.source, f"label.axes[{index}]")
        for index, item in enumerate(_read_list(reader, "label.axes", "label.axes[0].name"))
    ]


def _read_levels(reader: _Reader) -> list[Level]:
    levels: list[Level] = []
    for index, item in enumerate(_read_list(reader, "label.levels", "label.levels[0].path")):
        key = f"label.levels[{index}]"
        data: dict[str, Any] = dict(item)
        for name, kind in (("shape", int), ("scale", float), ("translation", float)):
            text = data.get(name)
            if isinstance(text, str):
                data[name] = _parse_numbers(text, kind, reader.source, f"{key}.{name}")
        levels.append(validate_model(Level, data, reader.source, key))
    return levels


def _read_classes(reader: _Reader) -> LabelSchema:
    """The ``class.<value>.*`` pairs, grouped by value in one pass so many classes stay cheap."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for index, (key, value) in enumerate(reader.pairs):
        if match := _CLASS_KEY.match(key):
            groups.setdefault(match.group(1), []).append((key, value))
            reader.read.add(index)
    classes: list[LabelClass] = []
    for text, pairs in groups.items():
        key = f"class.{text}"
        group = _Reader(pairs, reader.source, reader.namespace)
        data: dict[str, Any] = {"value": _parse_int(text, reader.source, key)}
        if (name := group.one(f"{key}.name")) is not None:
            data["name"] = name
        if (color := group.one(f"{key}.color")) is not None:
            channels = _parse_numbers(color, int, reader.source, f"{key}.color")
            if len(channels) != 4 or not all(0 <= c <= 255 for c in channels):
                raise InputError(
                    reader.source, f"{key}.color", f"r,g,b,a with each 0-255 (got {color!r})"
                )
            data["color"] = channels
        if group.has(f"{key}.properties"):
            data["properties"] = group.tree(f"{key}.properties")
        group.finish()
        classes.append(validate_model(LabelClass, data, reader.source, key))
    return validate_model(LabelSchema, {"classes": classes}, reader.source, "class")


def _check_choice(value: str, choices: Sequence[str], source: str, key: str) -> str:
    if value not in choices:
        raise InputError(source, key, f"one of {', '.join(choices)} (got {value!r})")
    return value


def label_image_from_pairs(pairs: Iterable[tuple[str, str]], source: str) -> LabelImageAnnotation:
    """Read the pairs of a :data:`NS_LABEL_IMAGE` map annotation.

    Raises an :class:`InputError` naming ``source`` and the key for a missing required key, a
    value that breaks its rule, a repeated single key or a key outside the schema.
    """
    reader = _Reader(list(pairs), source, NS_LABEL_IMAGE)
    collection_ids = tuple(
        _parse_int(text, source, "omero.collection_id")
        for text in reader.all("omero.collection_id")
    )
    data: dict[str, Any] = {
        "omero_image_id": _optional_int(reader, "omero.image_id"),
        "id": reader.required("label.id"),
        "name": check_display_name(reader.required("label.name"), source, "label.name"),
        "image_id": reader.required("label.image_id"),
        "label_type": _check_choice(
            reader.required("label.type"), [t.value for t in LabelType], source, "label.type"
        ),
        "axes": _read_axes(reader),
        "levels": _read_levels(reader),
        "provenance": _read_provenance(reader),
        "label_schema": _read_classes(reader),
        "attributes": _read_attributes(reader),
    }
    if (version := reader.one("label.version")) is not None:
        data["version"] = check_name(version, source, "label.version")
    if (dtype := reader.one("label.dtype")) is not None:
        data["dtype"] = _check_choice(dtype, LABEL_DTYPES, source, "label.dtype")
    if (downsampling := reader.one("label.downsampling")) is not None:
        data["downsampling"] = _check_choice(
            downsampling, list(get_args(Downsampling)), source, "label.downsampling"
        )
    ref_id = _optional_int(reader, "omero.ref_image_id")
    reader.finish()
    label = validate_model(LabelImage, data, source)
    return LabelImageAnnotation(label, ref_id, collection_ids)


def collection_from_pairs(pairs: Iterable[tuple[str, str]], source: str) -> CollectionAnnotation:
    """Read the pairs of a :data:`NS_COLLECTION` map annotation.

    Raises an :class:`InputError` like :func:`label_image_from_pairs`.
    """
    reader = _Reader(list(pairs), source, NS_COLLECTION)
    members = reader.all("collection.member")
    if len(set(members)) != len(members):
        repeated = next(m for m in members if members.count(m) > 1)
        raise InputError(source, "collection.member", f"each label image once (got {repeated!r})")
    data: dict[str, Any] = {
        "omero_collection_id": _optional_int(reader, "omero.collection_id"),
        "id": reader.required("collection.id"),
        "name": check_display_name(reader.required("collection.name"), source, "collection.name"),
        "image_id": reader.required("collection.image_id"),
        "description": reader.one("collection.description"),
        "members": members,
        "provenance": _read_provenance(reader) if reader.has("provenance") else None,
        "attributes": _read_attributes(reader),
    }
    ref_id = _optional_int(reader, "omero.ref_image_id")
    reader.finish()
    collection = validate_model(LabelCollection, data, source)
    return CollectionAnnotation(collection, ref_id)
