"""Import of the collection documents written by the BioHackathon Germany 2025 prototype.

The prototype links OMERO images in ``{"ome": {"version": "0.x", "type": "collection", …}}``
documents: nodes carry ``omero:image_id`` (its OMERO exporter writes ``omero_image_id``),
``category`` (``intensities | annotations``), ``origin`` (``raw | processed | masks | …``) and
``source`` (the name of the node an annotation was made from). Users of that prototype keep their
collections by importing them here; nothing they wrote is dropped: what the model has no field
for is kept under ``attributes`` with the ``biohackathon:`` prefix.

Ids are derived from a digest of the normalised document and the node's position in it, so
importing the same document again (or its OMERO round trip) gives equal objects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from labelcollections.errors import InputError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import check_name, safe_name
from labelcollections.model.parsing import validate_model
from labelcollections.model.provenance import Provenance, utc_now
from labelcollections.model.vocabulary import LabelType, Method

PROTOTYPE_SOFTWARE = "BioHackathon prototype"
PREFIX = "biohackathon:"
OMERO_ID_KEYS = ("omero:image_id", "omero_image_id")
"""The prototype's documents write ``omero:image_id``; its OMERO exporter drops the alias."""
NOT_LABEL_ORIGINS = frozenset({"tracks", "shapes", "points"})
"""Annotation origins that are not dense masks: kept verbatim, not imported as label images."""

_NodeKind = Literal["reference", "label", "other"]


@dataclass(frozen=True)
class PrototypeCollection:
    """One prototype collection as the model sees it: a collection of one reference image."""

    collection: LabelCollection
    image: ReferenceImage
    labels: tuple[LabelImage, ...]


def import_prototype_collection(
    data: Any,
    source: str,
    *,
    label_type: LabelType = LabelType.INSTANCE,
    created: datetime | None = None,
) -> list[PrototypeCollection]:
    """Turn a prototype collection document into collections, reference and label images.

    Every (nested) collection gives one result per reference image it holds or its labels
    name; a node's ``source`` is looked up among the image nodes of its own collection, then of
    the enclosing ones. ``label_type`` applies where a node has no ``label.type`` attribute;
    ``created`` is the provenance time (now, if not given; pass it to get equal objects from
    repeated imports).
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("ome"), Mapping):
        raise InputError(source, "ome", 'a prototype collection document {"ome": {...}}')
    root = _read_collection(data["ome"], "ome", (), source)
    digest = _digest(root, source)
    provenance = validate_model(
        Provenance,
        {
            "method": Method.IMPORTED,
            "software": PROTOTYPE_SOFTWARE,
            "created": created if created is not None else utc_now(),
        },
        source,
        "created",
    )
    builder = _Builder(source, digest, provenance, label_type)
    builder.walk(root, ())
    return builder.results


@dataclass
class _Node:
    """An image node of the document, with where it sits for error messages and ids."""

    at: str
    name: str
    attributes: Mapping[str, Any]
    extras: dict[str, Any]
    raw: Mapping[str, Any]


@dataclass
class _Collection:
    at: str
    name: str
    attributes: Mapping[str, Any]
    extras: dict[str, Any]
    version: Any
    images: list[_Node] = field(default_factory=list)
    children: list[_Collection] = field(default_factory=list)


def _read_collection(
    raw: Mapping[str, Any], at: str, parents: tuple[str, ...], source: str
) -> _Collection:
    kind = raw.get("type", "collection")
    if kind != "collection":
        raise InputError(source, f"{at}.type", f"'collection' (got {kind!r})")
    name = _node_name(raw, at, source)
    attributes = _mapping(raw.get("attributes"), source, f"{at}.attributes")
    nodes = raw.get("nodes")
    if not isinstance(nodes, Sequence) or isinstance(nodes, str):
        raise InputError(source, f"{at}.nodes", "a list of nodes")
    extras = {
        k: v for k, v in raw.items() if k not in {"type", "name", "attributes", "nodes", "version"}
    }
    collection = _Collection(at, name, attributes, extras, raw.get("version"))
    seen: set[str] = set()
    for index, node in enumerate(nodes):
        node_at = f"{at}.nodes[{index}]"
        if not isinstance(node, Mapping):
            raise InputError(source, node_at, "a node object with a name")
        if "nodes" in node or node.get("type") == "collection":
            collection.children.append(_read_collection(node, node_at, (*parents, name), source))
            continue
        node_type = node.get("type", "multiscale")
        if node_type != "multiscale":
            raise InputError(
                source, f"{node_at}.type", f"'multiscale' or 'collection' (got {node_type!r})"
            )
        node_name = _node_name(node, node_at, source)
        if node_name in seen:
            raise InputError(
                source,
                f"{node_at}.name",
                f"a name no other image node of this collection uses (got {node_name!r} twice)",
            )
        seen.add(node_name)
        extras = {k: v for k, v in node.items() if k not in {"type", "name", "attributes"}}
        node_attributes = _mapping(node.get("attributes"), source, f"{node_at}.attributes")
        collection.images.append(_Node(node_at, node_name, node_attributes, extras, node))
    return collection


def _node_name(raw: Mapping[str, Any], at: str, source: str) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, f"{at}.name", f"a non-empty name (got {name!r})")
    return name


def _mapping(raw: Any, source: str, at: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(source, at, "an object of attributes")
    return raw


def _kind(node: _Node) -> _NodeKind:
    category = node.attributes.get("category")
    origin = node.attributes.get("origin")
    if category == "annotations" or origin == "masks":
        return "other" if origin in NOT_LABEL_ORIGINS else "label"
    return "reference"


def _source_name(node: _Node, source: str) -> str | None:
    raw = node.attributes.get("source")
    if isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw) == 1:
        raw = raw[0]
    if raw is None or (isinstance(raw, str) and raw):
        return raw
    raise InputError(
        source,
        f"{node.at}.attributes.source",
        f"the name of the one image node this one was made from (got {raw!r})",
    )


def _omero_image_id(node: _Node, source: str) -> int | None:
    found: dict[int, str] = {}
    for key in OMERO_ID_KEYS:
        raw = node.attributes.get(key)
        if raw is None:
            continue
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and raw.strip().isdigit():  # map annotations stringify ids
            value = int(raw.strip())
        if value is None or value <= 0:
            raise InputError(
                source, f"{node.at}.attributes.{key}", f"a positive OMERO image id (got {raw!r})"
            )
        found.setdefault(value, key)
    if len(found) > 1:
        raise InputError(
            source,
            f"{node.at}.attributes.{OMERO_ID_KEYS[1]}",
            f"the same id as {OMERO_ID_KEYS[0]} (got {sorted(found)})",
        )
    return next(iter(found), None)


def _normalised_node(node: _Node, source: str) -> dict[str, Any]:
    """The node as the digest sees it: the exporter's spellings folded into the document's."""
    attributes = {
        k: v for k, v in node.attributes.items() if k not in OMERO_ID_KEYS and v is not None
    }
    omero_id = _omero_image_id(node, source)
    if omero_id is not None:
        attributes[OMERO_ID_KEYS[0]] = omero_id
    return {"name": node.name, "attributes": attributes, "extras": node.extras}


def _normalised_collection(collection: _Collection, source: str) -> dict[str, Any]:
    return {
        "name": collection.name,
        "version": collection.version,
        "attributes": dict(collection.attributes),
        "extras": collection.extras,
        "images": [_normalised_node(node, source) for node in collection.images],
        "children": [_normalised_collection(child, source) for child in collection.children],
    }


def _digest(root: _Collection, source: str) -> str:
    try:
        text = json.dumps(
            _normalised_collection(root, source),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )
    except (TypeError, ValueError):
        raise InputError(
            source, "ome", "JSON values only (strings, numbers, lists, objects)"
        ) from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _attributes(raw: Mapping[str, Any], consumed: set[str]) -> dict[str, Any]:
    """Keep unknown keys: another tool's prefixed ones verbatim, bare ones as ``biohackathon:``."""
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        if key in consumed:
            continue
        kept[key if ":" in key else f"{PREFIX}{key}"] = value
    return kept


@dataclass
class _Group:
    """The labels of one collection that name the same reference image node."""

    reference: _Node
    labels: list[_Node] = field(default_factory=list)
    others: list[_Node] = field(default_factory=list)


class _Builder:
    """Walks the collection tree and builds model objects with deterministic ids."""

    def __init__(
        self, source: str, digest: str, provenance: Provenance, label_type: LabelType
    ) -> None:
        self.source = source
        self.digest = digest
        self.provenance = provenance
        self.label_type = label_type
        self.results: list[PrototypeCollection] = []
        self.images: dict[str, ReferenceImage] = {}
        self.label_keys: dict[str, set[tuple[str, str]]] = {}

    def walk(self, collection: _Collection, scopes: tuple[_Collection, ...]) -> None:
        scopes = (collection, *scopes)
        groups: dict[str, _Group] = {}
        for node in collection.images:
            if _kind(node) == "reference":
                groups.setdefault(node.at, _Group(node))
        for node in collection.images:
            kind = _kind(node)
            if kind == "reference":
                continue
            reference = self._resolve(node, scopes)
            group = groups.setdefault(reference.at, _Group(reference))
            (group.labels if kind == "label" else group.others).append(node)
        for group in groups.values():
            self.results.append(self._build(collection, scopes, group))
        for child in collection.children:
            self.walk(child, scopes)

    def _resolve(self, node: _Node, scopes: tuple[_Collection, ...]) -> _Node:
        field_name = f"{node.at}.attributes.source"
        wanted = _source_name(node, self.source)
        if wanted is None:
            raise InputError(
                self.source,
                field_name,
                "the name of the reference image node this label image was made from",
            )
        for scope in scopes:
            target = next((n for n in scope.images if n.name == wanted), None)
            if target is None:
                continue
            if _kind(target) != "reference":
                raise InputError(
                    self.source,
                    field_name,
                    f"the name of a reference image node (category 'intensities'); {wanted!r} "
                    "is itself an annotation",
                )
            return target
        raise InputError(
            self.source,
            field_name,
            f"the name of an image node of this or an enclosing collection (no node {wanted!r})",
        )

    def _id(self, kind: str, *where: str) -> str:
        text = "\0".join((self.digest, kind, *where))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def _named(self, name: str, attributes: dict[str, Any]) -> str:
        cleaned = safe_name(name)
        if cleaned != name:
            attributes[f"{PREFIX}name"] = name
        return cleaned

    def _reference(self, node: _Node) -> ReferenceImage:
        if node.at not in self.images:
            attributes = _attributes(node.attributes, {*OMERO_ID_KEYS})
            if node.attributes.get("source", "") is None:
                del attributes[f"{PREFIX}source"]  # the exporter adds "source": null to raw nodes
            if node.extras:
                attributes[f"{PREFIX}node"] = node.extras
            name = self._named(node.name, attributes)
            self.images[node.at] = validate_model(
                ReferenceImage,
                {
                    "id": self._id("image", node.at),
                    "name": name,
                    "omero_image_id": _omero_image_id(node, self.source),
                    "attributes": attributes,
                },
                self.source,
                node.at,
            )
        return self.images[node.at]

    def _label(self, node: _Node, image: ReferenceImage, reference: _Node) -> LabelImage:
        consumed = {*OMERO_ID_KEYS, "source", "label.type", "label.version"}
        attributes = _attributes(node.attributes, consumed)
        if node.extras:
            attributes[f"{PREFIX}node"] = node.extras
        name = self._named(node.name, attributes)
        version = node.attributes.get("label.version", "v1")
        if not isinstance(version, str):
            version = str(version)
        check_name(version, self.source, f"{node.at}.attributes.label.version")
        label_type = node.attributes.get("label.type", self.label_type)
        if label_type not in {t.value for t in LabelType}:
            raise InputError(
                self.source,
                f"{node.at}.attributes.label.type",
                f"one of semantic, instance, panoptic (got {label_type!r})",
            )
        used = self.label_keys.setdefault(reference.at, set())
        unique, suffix = name, 1
        while (unique, version) in used:
            suffix += 1
            unique = f"{name[: 127 - len(str(suffix))]}-{suffix}"
        if unique != name:
            attributes.setdefault(f"{PREFIX}name", node.name)
        used.add((unique, version))
        return validate_model(
            LabelImage,
            {
                "id": self._id("label", node.at),
                "name": unique,
                "version": version,
                "image_id": image.id,
                "label_type": label_type,
                "provenance": self.provenance,
                "omero_image_id": _omero_image_id(node, self.source),
                "attributes": attributes,
            },
            self.source,
            node.at,
        )

    def _build(
        self, collection: _Collection, scopes: tuple[_Collection, ...], group: _Group
    ) -> PrototypeCollection:
        image = self._reference(group.reference)
        labels = tuple(self._label(node, image, group.reference) for node in group.labels)
        attributes = _attributes(collection.attributes, {"description"})
        if collection.version is not None:
            attributes[f"{PREFIX}version"] = collection.version
        if len(scopes) > 1:
            attributes[f"{PREFIX}parents"] = [scope.name for scope in reversed(scopes[1:])]
        if collection.extras:
            attributes[f"{PREFIX}node"] = collection.extras
        if group.others:
            attributes[f"{PREFIX}nodes"] = [dict(node.raw) for node in group.others]
        name = self._named(collection.name, attributes)
        description = collection.attributes.get("description")
        if description is not None and not isinstance(description, str):
            attributes[f"{PREFIX}description"] = description
            description = None
        label_collection = validate_model(
            LabelCollection,
            {
                "id": self._id("collection", collection.at, group.reference.at),
                "name": name,
                "image_id": image.id,
                "description": description,
                "provenance": self.provenance,
                "members": [label.id for label in labels],
                "attributes": attributes,
            },
            self.source,
            collection.at,
        )
        return PrototypeCollection(label_collection, image, labels)
