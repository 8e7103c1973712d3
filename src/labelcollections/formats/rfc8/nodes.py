"""The RFC-8 "Collections" document model (v1 draft).

A document is the value of the ``ome`` key of a collection JSON file (``{"ome": {...}}``) or of a
Zarr group's ``attributes.ome``. It is a tree of nodes: ``collection``, ``multiscale`` and
``singlescale`` nodes are core; any other type (normally prefixed, such as ``mobie:spots_table``)
is an extension the reader does not understand and keeps as an :class:`OpaqueNode`.

Every class is an immutable dataclass written out with ``to_json``; a node tree is read with
:func:`parse_document`, the smaller objects with their ``from_json``. Reading never loses
anything: keys the model does not know, and known keys whose value has a JSON type the typed
field cannot hold (``"version": null``, ``"id": 7``), are kept verbatim in ``extra``, and the
original key order is remembered. Reading and writing a document therefore gives equal JSON, and
nothing is added that the input did not have. Whether a document follows the rules is a separate
question answered by :func:`labelcollections.formats.rfc8.rules.validate_document`; that is
also why every typed field is optional here.

Attribute values are plain JSON, except that a model object placed in them when building a
document in code (``attributes={"labels": Labels(...)}``) is written out with its ``to_json``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "CollectionNode",
    "DocumentError",
    "LabelAttribute",
    "Labels",
    "MultiscaleNode",
    "Node",
    "OpaqueNode",
    "Path",
    "Reference",
    "SinglescaleNode",
    "parse_document",
]

CORE_NODE_TYPES: frozenset[str] = frozenset({"collection", "multiscale", "singlescale"})
"""Node types defined by the RFC itself; every other type is an extension."""

CORE_PATH_TYPES: frozenset[str] = frozenset({"zarr", "json"})
"""Path types defined by the RFC itself."""


class DocumentError(ValueError):
    """A document whose node tree cannot be read at all.

    Only a node that is not a JSON object, or whose ``type`` is not a non-empty string, is
    refused: without a type there is no way to tell which kind of node it is.
    """

    def __init__(self, location: str, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")


def _to_json_value(value: Any) -> Any:
    """A deep copy of ``value`` as plain JSON, writing model objects with their ``to_json``."""
    if isinstance(value, _JsonObject):
        return value.to_json()
    if isinstance(value, Mapping):
        return {key: _to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json_value(item) for item in value]
    return value


@dataclass(frozen=True, kw_only=True)
class _JsonObject:
    """Shared JSON writing: typed fields first, then ``extra``, in the remembered key order.

    ``_FIELDS`` maps each JSON key to the attribute that holds its typed value, in the order used
    for objects built in code. A typed value of ``None`` means the key is absent. ``extra``
    keeps every other key verbatim.
    """

    _FIELDS: ClassVar[Mapping[str, str]]
    extra: dict[str, Any] = field(default_factory=dict)
    key_order: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        self._check_extra()

    def _check_extra(self) -> None:
        """Refuse a key given both as a typed field and in ``extra``: one would silently win."""
        for key, attribute in self._FIELDS.items():
            if key in self.extra and getattr(self, attribute) is not None:
                raise ValueError(f"{key!r} is given both as {attribute} and in extra")

    def to_json(self) -> dict[str, Any]:
        """This object as plain JSON (a fresh copy that the caller may change)."""
        items: dict[str, Any] = {}
        for key, attribute in self._FIELDS.items():
            value = getattr(self, attribute)
            if value is not None:
                items[key] = _to_json_value(value)
        for key, value in self.extra.items():
            items[key] = _to_json_value(value)
        ordered = {key: items[key] for key in self.key_order if key in items}
        ordered.update((key, value) for key, value in items.items() if key not in ordered)
        return ordered


class _Reader:
    """Splits one JSON object into typed values and the verbatim rest.

    Each ``take_*`` removes a key from the rest only when its value fits the typed field.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.rest: dict[str, Any] = {key: copy.deepcopy(value) for key, value in data.items()}
        self.order: tuple[str, ...] = tuple(data)

    def take_str(self, key: str) -> str | None:
        value = self.rest.get(key)
        if isinstance(value, str):
            del self.rest[key]
            return value
        return None

    def take_object(self, key: str) -> dict[str, Any] | None:
        value = self.rest.get(key)
        if isinstance(value, dict):
            del self.rest[key]
            return value
        return None

    def take_number(self, key: str) -> int | float | None:
        value = self.rest.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            del self.rest[key]
            return value
        return None

    def take_path(self, key: str = "path") -> Path | None:
        value = self.take_object(key)
        return None if value is None else Path.from_json(value)

    def take_objects(self, key: str) -> list[dict[str, Any]] | None:
        """A list whose items are all objects; anything else stays in the rest."""
        value = self.rest.get(key)
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            del self.rest[key]
            return value
        return None


@dataclass(frozen=True, kw_only=True)
class Path(_JsonObject):
    """Where a node or a referenced object lives: ``{"type": ..., "path": ...}``.

    ``type`` is ``"zarr"`` (a Zarr group or array; readers append ``zarr.json``), ``"json"`` (a
    standalone JSON document) or a prefixed extension type such as ``"myorg:zip"``. ``path`` is a
    relative path, a ``file:`` URL or an http(s) URL; see :mod:`.paths`.
    """

    _FIELDS: ClassVar[Mapping[str, str]] = {"type": "type", "path": "path"}

    type: str | None = None
    path: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Path:
        reader = _Reader(data)
        return cls(
            type=reader.take_str("type"),
            path=reader.take_str("path"),
            extra=reader.rest,
            key_order=reader.order,
        )


@dataclass(frozen=True, kw_only=True)
class Reference(_JsonObject):
    """A link to an object with an ``id``: in this document, or in the one ``path`` names."""

    _FIELDS: ClassVar[Mapping[str, str]] = {"id": "id", "path": "path"}

    id: str | None = None
    path: Path | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reference:
        reader = _Reader(data)
        return cls(
            id=reader.take_str("id"),
            path=reader.take_path(),
            extra=reader.rest,
            key_order=reader.order,
        )


Color = tuple[int, int, int, int]
"""An RGBA colour, each channel 0–255."""


def _as_color(value: Any) -> Color | None:
    """``value`` as an RGBA tuple if it is a list of four integral numbers, else ``None``."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    channels: list[int] = []
    for channel in value:
        if isinstance(channel, bool) or not isinstance(channel, int | float):
            return None
        if isinstance(channel, float) and not channel.is_integer():
            return None
        channels.append(int(channel))
    return (channels[0], channels[1], channels[2], channels[3])


@dataclass(frozen=True, kw_only=True)
class LabelAttribute(_JsonObject):
    """What one label value means: ``labelValue``, an optional ``color`` and any extra keys.

    Extra keys (for example ``"labelcollections:class"``) live in ``extra``, as the RFC allows
    additional keys that follow its naming rules. A colour written with integral floats
    (``255.0``) reads as integers, an equal JSON value.
    """

    _FIELDS: ClassVar[Mapping[str, str]] = {"labelValue": "label_value", "color": "color"}

    label_value: int | float | None = None
    color: Color | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LabelAttribute:
        reader = _Reader(data)
        color = _as_color(reader.rest.get("color"))
        if color is not None:
            del reader.rest["color"]
        return cls(
            label_value=reader.take_number("labelValue"),
            color=color,
            extra=reader.rest,
            key_order=reader.order,
        )


@dataclass(frozen=True, kw_only=True)
class Labels(_JsonObject):
    """The core ``labels`` attribute: its presence marks a multiscale image as a label map.

    Both fields are optional, so ``Labels()`` (``{}``) is a label map with nothing more said.
    ``source`` lists the images the labels were made from (any number, hence a list).
    """

    _FIELDS: ClassVar[Mapping[str, str]] = {
        "labelAttributes": "label_attributes",
        "source": "source",
    }

    label_attributes: list[LabelAttribute] | None = None
    source: list[Reference] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Labels:
        reader = _Reader(data)
        label_attributes = reader.take_objects("labelAttributes")
        source = reader.take_objects("source")
        return cls(
            label_attributes=(
                None
                if label_attributes is None
                else [LabelAttribute.from_json(item) for item in label_attributes]
            ),
            source=None if source is None else [Reference.from_json(item) for item in source],
            extra=reader.rest,
            key_order=reader.order,
        )


@dataclass(frozen=True, kw_only=True)
class Node(_JsonObject):
    """What every node has: a ``type``, a ``name``, an optional ``id`` and ``attributes``.

    ``version`` belongs on the root node only. ``nodes`` and ``path`` are where a node's content
    is: inline children, or a document elsewhere. Use a subclass to build a node.
    """

    _FIELDS: ClassVar[Mapping[str, str]] = {
        "version": "version",
        "type": "type",
        "id": "id",
        "name": "name",
        "path": "path",
        "nodes": "nodes",
        "attributes": "attributes",
    }

    type: str
    name: str | None = None
    id: str | None = None
    version: str | None = None
    path: Path | None = None
    nodes: list[Node] | None = None
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class CollectionNode(Node):
    """A group of nodes, given inline (``nodes``) or in another document (``path``)."""

    type: str = field(default="collection", init=False)


@dataclass(frozen=True, kw_only=True)
class MultiscaleNode(Node):
    """An image pyramid whose ``nodes`` are its :class:`SinglescaleNode` levels (or a ``path``)."""

    type: str = field(default="multiscale", init=False)

    @property
    def labels(self) -> Labels | None:
        """The ``labels`` attribute, or ``None`` when this image is not a label map."""
        value = (self.attributes or {}).get("labels")
        if value is None or isinstance(value, Labels):
            return value
        if isinstance(value, Mapping):
            return Labels.from_json(value)
        raise DocumentError("attributes.labels", f"'labels' must be an object; got {value!r}")


@dataclass(frozen=True, kw_only=True)
class SinglescaleNode(Node):
    """One resolution level of a multiscale image: an array and its coordinate transformation."""

    type: str = field(default="singlescale", init=False)


@dataclass(frozen=True, kw_only=True)
class OpaqueNode(Node):
    """A node of an extension type (``mobie:spots_table``, ``webknossos:mesh`` …).

    The reader does not know what such a node's content means, so apart from the base node
    fields and its ``path`` everything, including any ``nodes``, is kept untouched in ``extra``.
    """


_CORE_NODE_CLASSES: Mapping[str, type[Node]] = {
    "collection": CollectionNode,
    "multiscale": MultiscaleNode,
    "singlescale": SinglescaleNode,
}


def _parse_children(reader: _Reader, location: str) -> list[Node] | None:
    value = reader.rest.get("nodes")
    if not isinstance(value, list):
        return None
    del reader.rest["nodes"]
    return [_parse_node(item, f"{location}.nodes[{index}]") for index, item in enumerate(value)]


def _parse_node(data: Any, location: str) -> Node:
    """Read one node (and, for core types, its children); ``location`` is for errors."""
    if not isinstance(data, Mapping):
        raise DocumentError(location, f"a node must be a JSON object; got {data!r}")
    node_type = data.get("type")
    if not isinstance(node_type, str) or not node_type:
        raise DocumentError(
            location, f"a node must have a non-empty string 'type'; got {node_type!r}"
        )
    reader = _Reader(data)
    del reader.rest["type"]
    node_class = _CORE_NODE_CLASSES.get(node_type)
    nodes = None if node_class is None else _parse_children(reader, location)
    common: dict[str, Any] = {
        "name": reader.take_str("name"),
        "id": reader.take_str("id"),
        "version": reader.take_str("version"),
        "path": reader.take_path(),
        "nodes": nodes,
        "attributes": reader.take_object("attributes"),
        "extra": reader.rest,
        "key_order": reader.order,
    }
    if node_class is None:
        return OpaqueNode(type=node_type, **common)
    return node_class(**common)


def parse_document(data: Mapping[str, Any]) -> Node:
    """Read a whole document: ``data`` is the ``ome`` object, not the file around it."""
    return _parse_node(data, "ome")
