"""The RFC-8 rules a document must follow, with the messages users see.

:func:`validate_document` checks the raw ``ome`` object rather than the parsed model, because the
messages quote the offending JSON values as they are (``got None``, ``Id 7 …``). The rule ids,
messages and locations follow the shared conformance cases of the ngff-zarr RFC-8 validator, so a
document gets the same verdict here as there.

Reporting order: the rules run in the order of :data:`RULES`, and each rule reports what it finds
in document order (a node before its attributes, a node before its children, siblings in order).
The first violation is therefore the earliest rule broken, at its first place in the document.
This is what lets, for example, a repeated name be reported before a malformed id.

Versions: the rules describe the ``0.9.dev3`` draft and apply from that version on. The version
that decides is the caller's, when given, or else the string ``version`` of the document's root.
An earlier version (``0.6``, ``0.8``, ``0.9.dev1`` …) makes every rule inert, since older drafts
used other syntax (plain-string paths, ``{"ref": ...}`` references). With no version at all, or
one that cannot be read as a version number (such as the ``"0.x"`` placeholder used in the
draft's examples), the rules apply in full: a document that does not say otherwise is held to
the current draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from labelcollections.errors import InputError
from labelcollections.formats.rfc8.nodes import CORE_NODE_TYPES, CORE_PATH_TYPES

__all__ = [
    "RULES",
    "RULES_SINCE",
    "RuleViolation",
    "check_document",
    "rules_apply",
    "validate_document",
]

RULES_SINCE = "0.9.dev3"
"""The first version whose documents the rules apply to."""

_ID_PATTERN = re.compile(r"[a-zA-Z0-9_.\-]+")
_VERSION_PATTERN = re.compile(
    r"v?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[._-]?(?P<pre>a|alpha|b|beta|c|rc)[._-]?(?P<pre_n>\d*))?"
    r"(?:[._-]?post[._-]?(?P<post>\d*))?"
    r"(?:[._-]?dev[._-]?(?P<dev>\d*))?",
    re.IGNORECASE,
)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2}


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: its id, the message users see and where (``ome.nodes[1].id``)."""

    rule: str
    message: str
    location: str


# --- versions ---------------------------------------------------------------------------------


def _version_key(version: str) -> tuple[Any, ...] | None:
    """A sort key for a PEP 440-style version string, or ``None`` if it is not one.

    Development releases sort before pre-releases, which sort before the release itself, so
    ``0.9.dev1 < 0.9.dev3 < 0.9a1 < 0.9 < 0.9.post1``. ``0.7dev0`` reads as ``0.7.dev0``.
    """
    match = _VERSION_PATTERN.fullmatch(version.strip())
    if match is None:
        return None
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = match["pre"]
    post = match["post"]
    dev = match["dev"]
    # (stage, number): dev-only releases first, then a/b/rc, then the release, then post.
    if pre is not None:
        stage: tuple[int, int] = (1 + _PRE_RANK[pre.lower()], int(match["pre_n"] or 0))
    elif post is not None:
        stage = (5, int(post or 0))
    elif dev is not None:
        stage = (0, 0)
    else:
        stage = (4, 0)
    dev_key = (0, int(dev or 0)) if dev is not None else (1, 0)
    return (tuple(release), stage, dev_key)


def rules_apply(version: str | None) -> bool:
    """Whether the rules apply to a document of ``version`` (``None``: no version declared).

    Versions that cannot be parsed (``"0.x"``) are held to the rules, like a missing one.
    """
    if version is None:
        return True
    key = _version_key(version)
    threshold = _version_key(RULES_SINCE)
    return key is None or threshold is None or key >= threshold


# --- the document as the rules see it ---------------------------------------------------------


def _at(location: str, *parts: str | int) -> str:
    """Extend a JSON location: ``_at("ome", "nodes", 0, "id") == "ome.nodes[0].id"``."""
    for part in parts:
        location += f"[{part}]" if isinstance(part, int) else f".{part}"
    return location


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one, so absent and malformed read alike."""
    return value if isinstance(value, Mapping) else {}


def _entries(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _ref_id(value: Any) -> str | None:
    """The id of a reference object, or ``None`` if it is not ``{"id": <non-empty string>}``."""
    ref_id = _object(value).get("id")
    return ref_id if isinstance(ref_id, str) and ref_id else None


@dataclass(frozen=True)
class _Site:
    """One node of the document, with where it is and what encloses it."""

    value: Any
    location: str
    parent: _Site | None

    @property
    def node(self) -> Mapping[str, Any]:
        return _object(self.value)

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, Mapping)

    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def type(self) -> Any:
        return self.node.get("type")

    @property
    def attributes(self) -> Mapping[str, Any]:
        return _object(self.node.get("attributes"))

    def at(self, *parts: str | int) -> str:
        return _at(self.location, *parts)

    def ancestors(self) -> Iterator[_Site]:
        site = self.parent
        while site is not None:
            yield site
            site = site.parent


@dataclass(frozen=True)
class _Declaration:
    """Something that declares an id: a node, a coordinate system or a plate entry."""

    id: Any
    location: str
    kind: str  # "node", "coordinateSystem" or "plate"


@dataclass(frozen=True)
class _Document:
    """The sites of a document in document order, and what they declare."""

    sites: tuple[_Site, ...]
    children: Mapping[str, tuple[_Site, ...]]
    root_version: Any
    root_declares_version: bool

    @classmethod
    def read(cls, ome: Mapping[str, Any], version: str | None) -> _Document:
        sites: list[_Site] = []
        children: dict[str, tuple[_Site, ...]] = {}

        def walk(site: _Site) -> None:
            sites.append(site)
            if not _descends(site):
                return
            kids = tuple(
                _Site(item, site.at("nodes", index), site)
                for index, item in enumerate(_entries(site.node.get("nodes")))
            )
            children[site.location] = kids
            for kid in kids:
                walk(kid)

        walk(_Site(ome, "ome", None))
        declared = "version" in ome
        return cls(
            sites=tuple(sites),
            children=children,
            root_version=ome.get("version") if declared else version,
            root_declares_version=declared,
        )

    @property
    def nodes(self) -> Iterator[_Site]:
        """The sites that are JSON objects (the others only break ``node-type-required``)."""
        return (site for site in self.sites if site.is_object)

    def of_type(self, node_type: str) -> Iterator[_Site]:
        return (site for site in self.nodes if site.type == node_type)

    def declaring(self, attribute: str) -> Iterator[tuple[_Site, Any]]:
        """The nodes whose attributes declare ``attribute``, with its value."""
        return (
            (site, site.attributes[attribute])
            for site in self.nodes
            if attribute in site.attributes
        )

    def children_of(self, site: _Site) -> tuple[_Site, ...]:
        return self.children.get(site.location, ())

    def declarations(self) -> Iterator[_Declaration]:
        """Every id declaration, in document order."""
        for site in self.nodes:
            if "id" in site.node:
                yield _Declaration(site.node["id"], site.at("id"), "node")
            for systems, location in _coordinate_system_arrays(site):
                for index, system in enumerate(_entries(systems)):
                    system_id = _object(system).get("id")
                    if system_id is not None:
                        yield _Declaration(
                            system_id, _at(location, index, "id"), "coordinateSystem"
                        )
            plate = site.attributes.get("plate")
            for key in ("columns", "rows", "acquisitions"):
                for index, entry in enumerate(_entries(_object(plate).get(key))):
                    yield _Declaration(
                        _object(entry).get("id"),
                        site.at("attributes", "plate", key, index, "id"),
                        "plate",
                    )

    def ids(self, *kinds: str) -> frozenset[str]:
        return frozenset(
            declaration.id
            for declaration in self.declarations()
            if declaration.kind in kinds and isinstance(declaration.id, str)
        )

    def multiscale_ids(self) -> frozenset[str]:
        return frozenset(
            site.node["id"]
            for site in self.of_type("multiscale")
            if isinstance(site.node.get("id"), str)
        )


def _descends(site: _Site) -> bool:
    """Whether the rules look at a node's children: an extension node's content is opaque."""
    node_type = site.type
    is_extension = (
        isinstance(node_type, str) and bool(node_type) and node_type not in CORE_NODE_TYPES
    )
    return site.is_object and not is_extension


def _transformation_arrays(site: _Site) -> Iterator[tuple[Any, str]]:
    """A node's ``coordinateTransformations`` and its scene's, with their locations."""
    attributes = site.attributes
    if "coordinateTransformations" in attributes:
        yield (
            attributes["coordinateTransformations"],
            site.at("attributes", "coordinateTransformations"),
        )
    scene = _object(attributes.get("scene"))
    if "coordinateTransformations" in scene:
        yield (
            scene["coordinateTransformations"],
            site.at("attributes", "scene", "coordinateTransformations"),
        )


def _transformation_references(site: _Site) -> Iterator[tuple[Any, str]]:
    """The ``input`` and ``output`` of a node's top-level transformations, with locations."""
    for transformations, location in _transformation_arrays(site):
        for index, transformation in enumerate(_entries(transformations)):
            for end in ("input", "output"):
                yield _object(transformation).get(end), _at(location, index, end)


def _label_sources(site: _Site) -> Iterator[tuple[Any, str]]:
    """The entries of a node's ``labels.source`` array, with locations."""
    labels = _object(site.attributes.get("labels"))
    for index, source in enumerate(_entries(labels.get("source"))):
        yield source, site.at("attributes", "labels", "source", index)


def _plate_references(site: _Site) -> Iterator[tuple[Any, str]]:
    """A node's well ``column``/``row`` and ``acquisition`` references, with locations."""
    well = _object(site.attributes.get("well"))
    for key in ("column", "row"):
        if key in well:
            yield well[key], site.at("attributes", "well", key)
    if "acquisition" in site.attributes:
        yield site.attributes["acquisition"], site.at("attributes", "acquisition")


def _coordinate_system_arrays(site: _Site) -> Iterator[tuple[Any, str]]:
    """A node's ``coordinateSystems`` and its scene's, with their locations."""
    attributes = site.attributes
    if "coordinateSystems" in attributes:
        yield attributes["coordinateSystems"], site.at("attributes", "coordinateSystems")
    scene = _object(attributes.get("scene"))
    if "coordinateSystems" in scene:
        yield scene["coordinateSystems"], site.at("attributes", "scene", "coordinateSystems")


# --- the rules --------------------------------------------------------------------------------

Rule = Callable[[_Document], Iterable[RuleViolation]]


def _violation(rule: str, location: str, text: str) -> RuleViolation:
    return RuleViolation(rule, f"Spec rule [{rule}] violated: {text}", location)


def _not_an_object(rule: str, site: _Site, attribute: str, value: Any) -> RuleViolation | None:
    """The violation of ``rule`` when an attribute that must be an object is not one."""
    if isinstance(value, Mapping):
        return None
    return _violation(
        rule,
        site.at("attributes", attribute),
        f"A {attribute!r} attribute must be an object; got {value!r}.",
    )


def node_type_required(doc: _Document) -> Iterator[RuleViolation]:
    """Every node is an object with a non-empty string ``type``."""
    for site in doc.sites:
        if not site.is_object:
            yield _violation(
                "node-type-required", site.location, f"Node must be an object; got {site.value!r}."
            )
        elif not isinstance(site.type, str) or not site.type:
            yield _violation(
                "node-type-required",
                site.location,
                f"Node must declare a non-empty string 'type'; got {site.type!r}.",
            )


def node_name_required(doc: _Document) -> Iterator[RuleViolation]:
    """Every node has a non-empty string ``name`` for display."""
    for site in doc.nodes:
        name = site.node.get("name")
        if not isinstance(name, str) or not name:
            yield _violation(
                "node-name-required",
                site.location,
                f"Node must declare a non-empty string 'name'; got {name!r}.",
            )


def node_name_unique(doc: _Document) -> Iterator[RuleViolation]:
    """Names are unique among the children of one node (not across the document)."""
    for site in doc.nodes:
        seen: set[str] = set()
        for child in doc.children_of(site):
            name = child.node.get("name")
            if not isinstance(name, str) or not name:
                continue
            if name in seen:
                yield _violation(
                    "node-name-unique",
                    child.location,
                    f"Node name {name!r} is repeated; node names must be unique within the"
                    " enclosing collection.",
                )
            seen.add(name)


def node_id_format(doc: _Document) -> Iterator[RuleViolation]:
    """Ids of nodes, coordinate systems and plate entries match ``[a-zA-Z0-9-_.]+``."""
    for declaration in doc.declarations():
        value = declaration.id
        if not isinstance(value, str) or _ID_PATTERN.fullmatch(value) is None:
            yield _violation(
                "node-id-format",
                declaration.location,
                f"Id {value!r} does not match [a-zA-Z0-9-_.]+.",
            )


def node_id_unique(doc: _Document) -> Iterator[RuleViolation]:
    """No id is declared twice in one JSON document, whatever declares it."""
    seen: set[str] = set()
    for declaration in doc.declarations():
        value = declaration.id
        if not isinstance(value, str):
            continue
        if value in seen:
            yield _violation(
                "node-id-unique",
                declaration.location,
                f"Id {value!r} is already used in this document; ids must be unique within the"
                " JSON document.",
            )
        seen.add(value)


def node_version_consistent(doc: _Document) -> Iterator[RuleViolation]:
    """A non-root node may repeat the root's ``version`` but not differ from it.

    When the root declares no version, the version the caller validates against stands in.
    """
    if not doc.root_declares_version and doc.root_version is None:
        return
    for site in doc.nodes:
        if site.is_root or "version" not in site.node:
            continue
        version = site.node["version"]
        if version != doc.root_version:
            yield _violation(
                "node-version-consistent",
                site.at("version"),
                f"Node declares version {version!r}, but the root declares"
                f" {doc.root_version!r}; a non-root node must not differ.",
            )


def node_nodes_xor_path(doc: _Document) -> Iterator[RuleViolation]:
    """Collections and multiscales have ``nodes`` or ``path``, never both.

    Singlescale nodes (whose content is their own array) and extension types are exempt.
    """
    for site in doc.nodes:
        if site.type not in ("collection", "multiscale"):
            continue
        has_nodes = "nodes" in site.node
        has_path = "path" in site.node
        if has_nodes and has_path:
            text = "Node declares both 'nodes' and 'path'; exactly one must be present."
        elif not has_nodes and not has_path:
            text = "Node declares neither 'nodes' nor 'path'; exactly one must be present."
        elif has_nodes and not isinstance(site.node["nodes"], list):
            text = f"Node 'nodes' must be an array of nodes; got {site.node['nodes']!r}."
        else:
            continue
        yield _violation("node-nodes-xor-path", site.location, text)


def _is_prefixed(identifier: str) -> bool:
    """An extension identifier: ``prefix:name`` with both parts non-empty."""
    prefix, colon, name = identifier.partition(":")
    return bool(prefix and colon and name)


def _path_violation(value: Any, location: str) -> RuleViolation | None:
    if not isinstance(value, Mapping):
        return _violation(
            "path-type-known",
            location,
            f"Path must be an object with a 'type' and a 'path'; got {value!r}.",
        )
    path_type = value.get("type")
    if not isinstance(path_type, str) or not path_type:
        return _violation(
            "path-type-known",
            _at(location, "type"),
            f"Path must declare a non-empty string 'type'; got {path_type!r}.",
        )
    if path_type not in CORE_PATH_TYPES and not _is_prefixed(path_type):
        return _violation(
            "path-type-known",
            _at(location, "type"),
            f"Path type {path_type!r} is not 'zarr', 'json', or a prefixed extension type.",
        )
    return None


def path_type_known(doc: _Document) -> Iterator[RuleViolation]:
    """Every Path (of a node or of a reference) is ``zarr``, ``json`` or a prefixed type."""
    for site in doc.nodes:
        places: list[tuple[Any, str]] = []
        if "path" in site.node:
            places.append((site.node["path"], site.at("path")))
        for reference, location in (
            *_transformation_references(site),
            *_label_sources(site),
            *_plate_references(site),
        ):
            if isinstance(reference, Mapping) and "path" in reference:
                places.append((reference["path"], _at(location, "path")))
        for value, location in places:
            violation = _path_violation(value, location)
            if violation is not None:
                yield violation


def coordinate_system_id_required(doc: _Document) -> Iterator[RuleViolation]:
    """Coordinate systems declare an ``id``, since references name them by id."""
    for site in doc.nodes:
        for systems, location in _coordinate_system_arrays(site):
            for index, system in enumerate(_entries(systems)):
                if _object(system).get("id") is None:
                    yield _violation(
                        "coordinate-system-id-required",
                        _at(location, index),
                        "Coordinate system declares no 'id'; RFC-8 references coordinate"
                        " systems by id.",
                    )


def reference_id_required(doc: _Document) -> Iterator[RuleViolation]:
    """Transformation ends and label sources are reference objects with an ``id``."""
    for site in doc.nodes:
        for reference, location in _transformation_references(site):
            if _ref_id(reference) is None:
                yield _violation(
                    "reference-id-required",
                    location,
                    "Transformation reference must be an object with an 'id'.",
                )
        labels = _object(site.attributes.get("labels"))
        if "source" in labels and not isinstance(labels["source"], list):
            yield _violation(
                "reference-id-required",
                site.at("attributes", "labels", "source"),
                f"Label 'source' must be an array of references; got {labels['source']!r}.",
            )
        for source, location in _label_sources(site):
            if _ref_id(source) is None:
                yield _violation(
                    "reference-id-required",
                    location,
                    "Label source reference must be an object with an 'id'.",
                )


def _unresolved(reference: Any, location: str, declared: frozenset[str]) -> RuleViolation | None:
    ref_id = _ref_id(reference)
    if ref_id is None or ref_id in declared or "path" in _object(reference):
        return None
    return _violation(
        "reference-path-required",
        location,
        f"Reference id {ref_id!r} is not declared in this document, so the reference must carry"
        " a 'path'.",
    )


def reference_path_required(doc: _Document) -> Iterator[RuleViolation]:
    """A reference to something outside this document says where it is (``path``).

    Transformation ends resolve to nodes and coordinate systems; a label source resolves only to
    a multiscale image, the only thing labels can be drawn on.
    """
    transformation_targets = doc.ids("node", "coordinateSystem")
    images = doc.multiscale_ids()
    for site in doc.nodes:
        places = [
            *((ref, loc, transformation_targets) for ref, loc in _transformation_references(site)),
            *((ref, loc, images) for ref, loc in _label_sources(site)),
        ]
        for reference, location, declared in places:
            violation = _unresolved(reference, location, declared)
            if violation is not None:
                yield violation


def label_value_required(doc: _Document) -> Iterator[RuleViolation]:
    """Each ``labelAttributes`` entry says which label value it describes."""
    for site, labels in doc.declaring("labels"):
        location = site.at("attributes", "labels")
        if problem := _not_an_object("label-value-required", site, "labels", labels):
            yield problem
            continue
        entries = labels.get("labelAttributes")
        if "labelAttributes" in labels and not isinstance(entries, list):
            yield _violation(
                "label-value-required",
                _at(location, "labelAttributes"),
                f"Label 'labelAttributes' must be an array; got {entries!r}.",
            )
        for index, entry in enumerate(_entries(entries)):
            value = _object(entry).get("labelValue")
            if isinstance(value, bool) or not isinstance(value, int | float):
                yield _violation(
                    "label-value-required",
                    _at(location, "labelAttributes", index),
                    f"Label attributes must declare a numeric 'labelValue'; got {value!r}.",
                )


def _is_color(value: Any) -> bool:
    """Four integers (integral floats allowed) in 0..255."""
    if not isinstance(value, list) or len(value) != 4:
        return False
    for channel in value:
        if isinstance(channel, bool) or not isinstance(channel, int | float):
            return False
        if isinstance(channel, float) and not channel.is_integer():
            return False
        if not 0 <= channel <= 255:
            return False
    return True


def label_color_format(doc: _Document) -> Iterator[RuleViolation]:
    """A label ``color`` is RGBA: four integers between 0 and 255."""
    for site in doc.nodes:
        labels = _object(site.attributes.get("labels"))
        for index, entry in enumerate(_entries(labels.get("labelAttributes"))):
            entry = _object(entry)
            if "color" in entry and not _is_color(entry["color"]):
                yield _violation(
                    "label-color-format",
                    site.at("attributes", "labels", "labelAttributes", index, "color"),
                    "Label color must be an array of four integers between 0 and 255.",
                )


def _transformation_type(value: Any) -> Any:
    return _object(value).get("type")


def _is_singlescale_shape(transformations: Any) -> bool:
    """One ``scale``, or one ``sequence`` of a ``scale`` followed by a ``translation``."""
    if not isinstance(transformations, list) or len(transformations) != 1:
        return False
    only = transformations[0]
    if _transformation_type(only) == "scale":
        return True
    if _transformation_type(only) != "sequence":
        return False
    steps = _object(only).get("transformations")
    return isinstance(steps, list) and [_transformation_type(step) for step in steps] == [
        "scale",
        "translation",
    ]


def singlescale_transform_shape(doc: _Document) -> Iterator[RuleViolation]:
    """A singlescale maps its own array (``input`` = its id) by a scale (and a translation).

    Only a singlescale that is a document of its own must carry its transformation; one listed
    inside a multiscale may leave it to the array it points to.
    """
    for site in doc.of_type("singlescale"):
        location = site.at("attributes", "coordinateTransformations")
        if "coordinateTransformations" not in site.attributes:
            if site.is_root:
                yield _violation(
                    "singlescale-transform-shape",
                    location,
                    "A singlescale document must declare its 'coordinateTransformations'.",
                )
            continue
        transformations = site.attributes["coordinateTransformations"]
        if not _is_singlescale_shape(transformations):
            yield _violation(
                "singlescale-transform-shape",
                location,
                "Singlescale transformations must be a single scale, or a sequence of a scale"
                " followed by a translation.",
            )
            continue
        input_id = _ref_id(_object(transformations[0]).get("input"))
        own_id = site.node.get("id")
        if input_id is None or input_id == own_id:
            continue
        if own_id is None:
            text = (
                f"Singlescale transformation input references {input_id!r}, but the node"
                " declares no id."
            )
        else:
            text = (
                f"Singlescale transformation input references {input_id!r}, but the node's own"
                f" id is {own_id!r}."
            )
        yield _violation("singlescale-transform-shape", _at(location, 0, "input"), text)


def multiscale_output_consistent(doc: _Document) -> Iterator[RuleViolation]:
    """The levels of a multiscale all map into one of the multiscale's coordinate systems."""
    for site in doc.of_type("multiscale"):
        declared = {
            _object(system).get("id")
            for system in _entries(site.attributes.get("coordinateSystems"))
        }
        first: str | None = None
        for child in doc.children_of(site):
            if child.type != "singlescale":
                continue
            transformations = child.attributes.get("coordinateTransformations")
            for index, transformation in enumerate(_entries(transformations)):
                output = _ref_id(_object(transformation).get("output"))
                if output is None:
                    continue
                location = child.at("attributes", "coordinateTransformations", index, "output")
                if output not in declared:
                    yield _violation(
                        "multiscale-output-consistent",
                        location,
                        f"Singlescale output references {output!r}, which the multiscale's"
                        " 'coordinateSystems' do not declare.",
                    )
                elif first is None:
                    first = output
                elif output != first:
                    yield _violation(
                        "multiscale-output-consistent",
                        location,
                        "Singlescale outputs must all reference the same coordinate system;"
                        f" got {first!r} and {output!r}.",
                    )


def scene_transformations_required(doc: _Document) -> Iterator[RuleViolation]:
    """A ``scene`` exists to place things, so it has at least one transformation."""
    rule = "scene-transformations-required"
    for site, scene in doc.declaring("scene"):
        if problem := _not_an_object(rule, site, "scene", scene):
            yield problem
        elif not _entries(scene.get("coordinateTransformations")):
            yield _violation(
                rule,
                site.at("attributes", "scene"),
                "Scene must declare a non-empty 'coordinateTransformations' array.",
            )


def plate_columns_rows_required(doc: _Document) -> Iterator[RuleViolation]:
    """A ``plate`` declares its columns and rows (and, optionally, its acquisitions)."""
    for site, plate in doc.declaring("plate"):
        location = site.at("attributes", "plate")
        if problem := _not_an_object("plate-columns-rows-required", site, "plate", plate):
            yield problem
            continue
        for key in ("columns", "rows"):
            if not _entries(plate.get(key)):
                yield _violation(
                    "plate-columns-rows-required",
                    location,
                    f"Plate must declare a non-empty {key!r} array.",
                )
        if "acquisitions" in plate and not isinstance(plate["acquisitions"], list):
            yield _violation(
                "plate-columns-rows-required",
                location,
                f"Plate 'acquisitions' must be an array; got {plate['acquisitions']!r}.",
            )


def _enclosing_plate(site: _Site) -> Mapping[str, Any] | None:
    """The ``plate`` of the nearest enclosing node that declares one (the node itself excluded)."""
    for ancestor in site.ancestors():
        if "plate" in ancestor.attributes:
            return _object(ancestor.attributes["plate"])
    return None


def _plate_ids(plate: Mapping[str, Any], key: str) -> set[str]:
    return {
        entry_id
        for entry in _entries(plate.get(key))
        if isinstance(entry_id := _object(entry).get("id"), str)
    }


def well_reference_resolves(doc: _Document) -> Iterator[RuleViolation]:
    """A ``well`` names a column and a row that its enclosing plate declares."""
    for site, well in doc.declaring("well"):
        if problem := _not_an_object("well-reference-resolves", site, "well", well):
            yield problem
            continue
        plate = _enclosing_plate(site)
        for key, plate_key in (("column", "columns"), ("row", "rows")):
            location = site.at("attributes", "well", key)
            ref_id = _ref_id(well.get(key))
            if ref_id is None:
                text = f"Well {key!r} must be a reference with an 'id'."
            elif plate is None:
                text = (
                    f"Well {key!r} references {ref_id!r}, but no enclosing collection declares"
                    " a 'plate'."
                )
            elif ref_id not in _plate_ids(plate, plate_key):
                text = (
                    f"Well {key!r} references {ref_id!r}, which the enclosing plate's"
                    f" {plate_key!r} do not declare."
                )
            else:
                continue
            yield _violation("well-reference-resolves", location, text)


def acquisition_reference_resolves(doc: _Document) -> Iterator[RuleViolation]:
    """An ``acquisition`` names one that its enclosing plate declares."""
    for site, acquisition in doc.declaring("acquisition"):
        ref_id = _ref_id(acquisition)
        plate = _enclosing_plate(site)
        if ref_id is None:
            text = "Acquisition must be a reference with an 'id'."
        elif plate is None:
            text = (
                f"Acquisition references {ref_id!r}, but no enclosing collection declares a"
                " 'plate'."
            )
        elif ref_id not in _plate_ids(plate, "acquisitions"):
            text = (
                f"Acquisition references {ref_id!r}, which the enclosing plate's 'acquisitions'"
                " do not declare."
            )
        else:
            continue
        yield _violation(
            "acquisition-reference-resolves", site.at("attributes", "acquisition"), text
        )


RULES: tuple[tuple[str, Rule], ...] = (
    ("node-type-required", node_type_required),
    ("node-name-required", node_name_required),
    ("node-name-unique", node_name_unique),
    ("node-id-format", node_id_format),
    ("node-id-unique", node_id_unique),
    ("node-version-consistent", node_version_consistent),
    ("node-nodes-xor-path", node_nodes_xor_path),
    ("path-type-known", path_type_known),
    ("coordinate-system-id-required", coordinate_system_id_required),
    ("reference-id-required", reference_id_required),
    ("reference-path-required", reference_path_required),
    ("label-value-required", label_value_required),
    ("label-color-format", label_color_format),
    ("singlescale-transform-shape", singlescale_transform_shape),
    ("multiscale-output-consistent", multiscale_output_consistent),
    ("scene-transformations-required", scene_transformations_required),
    ("plate-columns-rows-required", plate_columns_rows_required),
    ("well-reference-resolves", well_reference_resolves),
    ("acquisition-reference-resolves", acquisition_reference_resolves),
)
"""Every rule id with its check, in reporting order."""


# --- entry points -----------------------------------------------------------------------------


def validate_document(ome: Mapping[str, Any], version: str | None = None) -> list[RuleViolation]:
    """Every rule ``ome`` (a document's ``ome`` object) breaks, most important first.

    ``version`` is the version to validate against; see the module docstring for how it and the
    document's own ``version`` decide whether the rules apply.
    """
    if not isinstance(ome, Mapping):
        return [_violation("node-type-required", "ome", f"Node must be an object; got {ome!r}.")]
    governing = version if version is not None else ome.get("version")
    if not rules_apply(governing if isinstance(governing, str) else None):
        return []
    doc = _Document.read(ome, version)
    return [violation for _, rule in RULES for violation in rule(doc)]


def check_document(ome: Mapping[str, Any], source: str, version: str | None = None) -> None:
    """Raise :class:`InputError` for the first rule ``ome`` breaks; ``source`` names the input."""
    violations = validate_document(ome, version)
    if violations:
        first = violations[0]
        raise InputError(source, first.location, first.message)
