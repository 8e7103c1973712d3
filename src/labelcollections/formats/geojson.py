"""GeoJSON FeatureCollections as QuPath reads and writes them.

QuPath trades objects as GeoJSON Features in image pixel coordinates (origin at the top-left
corner of the full-resolution image). Beside the geometry it uses these members:

- ``id``: a UUID; ``geometry.plane``: ``{"c": -1, "z": z, "t": t}`` for objects off the first
  plane;
- ``properties.objectType`` (``annotation``, ``detection``, ``cell`` …),
  ``properties.classification`` (``{"name": …, "color": [r, g, b]}``; QuPath needs the colour),
  ``properties.measurements`` (name → number) and ``properties.metadata`` (name → string).

Writing builds each geometry's text from integer vertex arrays in one go (see
:mod:`.coordinates`); reading accepts a FeatureCollection, a list of Features (QuPath's export
without ``FEATURE_COLLECTION``) or one Feature, and reports the first thing it cannot use with
its place in the document (``features[3].geometry.type``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from labelcollections.errors import InputError
from labelcollections.formats.coordinates import pair_text
from labelcollections.model.parsing import parse_json

__all__ = [
    "AREAL_TYPES",
    "GeoJsonFeature",
    "classification",
    "geometry_texts",
    "read_features",
    "write_feature_collection",
]

AREAL_TYPES = ("Polygon", "MultiPolygon")
MIN_RING_POSITIONS = 3


def geometry_texts(
    coords: np.ndarray,
    ring_offsets: np.ndarray,
    polygon_offsets: np.ndarray,
    object_offsets: np.ndarray,
    planes: Sequence[Mapping[str, int] | None] | None = None,
) -> list[str]:
    """The GeoJSON geometry of each object: a Polygon, or a MultiPolygon of several polygons.

    ``coords`` are integer (x, y) vertices with every ring closed; ``ring_offsets``,
    ``polygon_offsets`` and ``object_offsets`` cut them into rings, rings into polygons (shell
    first) and polygons into objects. ``planes`` adds QuPath's ``plane`` member per object.
    """
    text, offsets = pair_text(coords, before=b"[", between=b",", after=b"],")
    decoded = text.decode("ascii")
    # Each position ends with a comma; a ring's text drops its last one.
    rings = [
        "[" + decoded[offsets[start] : offsets[end] - 1] + "]"
        for start, end in zip(ring_offsets[:-1].tolist(), ring_offsets[1:].tolist(), strict=True)
    ]
    polygons = [
        "[" + ",".join(rings[start:end]) + "]"
        for start, end in zip(
            polygon_offsets[:-1].tolist(), polygon_offsets[1:].tolist(), strict=True
        )
    ]
    geometries = []
    bounds = zip(object_offsets[:-1].tolist(), object_offsets[1:].tolist(), strict=True)
    for index, (start, end) in enumerate(bounds):
        if end - start == 1:
            body = '{"type":"Polygon","coordinates":' + polygons[start]
        else:
            body = '{"type":"MultiPolygon","coordinates":[' + ",".join(polygons[start:end]) + "]"
        plane = planes[index] if planes is not None else None
        if plane:
            body += ',"plane":' + json.dumps({"c": -1, **plane}, separators=(",", ":"))
        geometries.append(body + "}")
    return geometries


def feature_text(geometry: str, properties: Mapping[str, Any], feature_id: str | None) -> str:
    """One Feature from its geometry's text and its properties."""
    head = '{"type":"Feature",'
    if feature_id is not None:
        head += '"id":' + json.dumps(feature_id) + ","
    encoded = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
    return head + '"geometry":' + geometry + ',"properties":' + encoded + "}"


def write_feature_collection(
    handle: IO[str],
    geometries: Sequence[str],
    properties: Sequence[Mapping[str, Any]],
    ids: Sequence[str | None],
    collection_properties: Mapping[str, Any],
) -> None:
    """A FeatureCollection, one Feature per line; the collection's own ``properties`` (a
    foreign member GeoJSON allows) come first."""
    handle.write('{"type":"FeatureCollection","properties":')
    handle.write(json.dumps(collection_properties, ensure_ascii=False, separators=(",", ":")))
    handle.write(',"features":[\n')
    handle.write(
        ",\n".join(
            feature_text(geometry, props, feature_id)
            for geometry, props, feature_id in zip(geometries, properties, ids, strict=True)
        )
    )
    handle.write("\n]}\n")


def classification(name: str, color: Sequence[int] | None) -> dict[str, Any]:
    """QuPath's classification: a name and an RGB colour (QuPath needs one; a colour is made
    from the name when none is given). An alpha other than 255 is kept as a fourth number."""
    if color is None:
        digest = sum((index + 1) * ord(char) for index, char in enumerate(name))
        color = ((digest * 97) % 256, (digest * 57) % 256, (digest * 31) % 256, 255)
    rgb = [int(channel) for channel in color[:3]]
    if len(color) > 3 and int(color[3]) not in (0, 255):
        rgb.append(int(color[3]))
    return {"name": name, "color": rgb}


@dataclass(frozen=True)
class GeoJsonFeature:
    """One areal Feature: its polygons (each a tuple of closed rings of (x, y) positions,
    shell first), its properties, its class and its plane."""

    index: int
    polygons: tuple[tuple[np.ndarray, ...], ...]
    properties: dict[str, Any] = field(default_factory=dict)
    class_name: str | None = None
    class_color: tuple[int, int, int, int] | None = None
    plane: dict[str, int] = field(default_factory=dict)


def read_features(path: str | Path) -> tuple[list[GeoJsonFeature], dict[str, Any]]:
    """The areal Features of a GeoJSON file (see the module docstring for what is accepted),
    and the FeatureCollection's own ``properties`` (empty when it has none)."""
    source = str(path)
    try:
        text = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(source, "file", "an existing GeoJSON file") from None
    except OSError as error:
        raise InputError(source, "file", f"a readable GeoJSON file ({error})") from None
    document = parse_json(text, source)
    header = document.get("properties") if isinstance(document, dict) else None
    return parse_features(document, source), header if isinstance(header, dict) else {}


def parse_features(document: Any, source: str) -> list[GeoJsonFeature]:
    """The areal Features of a parsed GeoJSON document."""
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        items = document.get("features")
        if not isinstance(items, list):
            raise InputError(source, "features", "a list of Features")
        where = "features"
    elif isinstance(document, list):
        items, where = document, ""
    elif isinstance(document, dict) and document.get("type") == "Feature":
        items, where = [document], "<feature>"
    else:
        raise InputError(source, "type", "a FeatureCollection, a list of Features or a Feature")
    return [
        _feature(item, index, source, f"{where}[{index}]" if where != "<feature>" else where)
        for index, item in enumerate(items)
    ]


def _feature(item: Any, index: int, source: str, where: str) -> GeoJsonFeature:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise InputError(source, where, "a Feature object")
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        raise InputError(source, f"{where}.properties", "an object or null")
    geometry = item.get("geometry")
    if not isinstance(geometry, dict):
        raise InputError(source, f"{where}.geometry", "a Polygon or MultiPolygon geometry")
    polygons = _polygons(geometry, source, f"{where}.geometry")
    name, color = _class(properties.get("classification"), source, f"{where}.properties")
    return GeoJsonFeature(
        index=index,
        polygons=polygons,
        properties=properties,
        class_name=name,
        class_color=color,
        plane=_plane(geometry, properties, source, where),
    )


def _polygons(
    geometry: dict[str, Any], source: str, where: str
) -> tuple[tuple[np.ndarray, ...], ...]:
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise InputError(source, f"{where}.geometries", "a list of geometries")
        found: list[tuple[np.ndarray, ...]] = []
        for index, member in enumerate(members):
            if not isinstance(member, dict):
                raise InputError(source, f"{where}.geometries[{index}]", "a geometry object")
            found.extend(_polygons(member, source, f"{where}.geometries[{index}]"))
        return tuple(found)
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return (_rings(coordinates, source, f"{where}.coordinates"),)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list):
            raise InputError(source, f"{where}.coordinates", "a list of polygons")
        return tuple(
            _rings(polygon, source, f"{where}.coordinates[{index}]")
            for index, polygon in enumerate(coordinates)
        )
    raise InputError(
        source, f"{where}.type", f"an areal geometry ({', '.join(AREAL_TYPES)}; got {kind!r})"
    )


def _rings(rings: Any, source: str, where: str) -> tuple[np.ndarray, ...]:
    if not isinstance(rings, list) or not rings:
        raise InputError(source, where, "a list of linear rings (the shell first)")
    found = []
    for index, ring in enumerate(rings):
        try:
            positions = np.asarray(ring, dtype=np.float64)
        except (TypeError, ValueError):
            positions = np.zeros((0, 0))
        if positions.ndim != 2 or positions.shape[1] not in (2, 3):
            raise InputError(source, f"{where}[{index}]", "a list of [x, y] positions")
        positions = positions[:, :2]
        if not np.isfinite(positions).all():
            raise InputError(source, f"{where}[{index}]", "finite coordinates")
        if len(positions) and (positions[0] != positions[-1]).any():
            positions = np.concatenate([positions, positions[:1]])
        if len(positions) < MIN_RING_POSITIONS + 1:
            raise InputError(source, f"{where}[{index}]", "a ring of at least 3 distinct positions")
        found.append(positions)
    return tuple(found)


def _class(
    value: Any, source: str, where: str
) -> tuple[str | None, tuple[int, int, int, int] | None]:
    """Name and RGBA colour of a QuPath classification (object, plain name, or the older
    ``colorRGB`` packed integer)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict):
        raise InputError(source, f"{where}.classification", "an object with a name and a color")
    name = value.get("name")
    if name is None and isinstance(value.get("names"), list):
        name = ": ".join(str(part) for part in value["names"])
    if not isinstance(name, str):
        raise InputError(source, f"{where}.classification.name", "a class name")
    color = value.get("color", value.get("colorRGB"))
    if color is None:
        return name, None
    if isinstance(color, int) and not isinstance(color, bool):
        packed = color & 0xFFFFFFFF
        return name, ((packed >> 16) & 0xFF, (packed >> 8) & 0xFF, packed & 0xFF, 255)
    if (
        isinstance(color, list)
        and len(color) in (3, 4)
        and all(isinstance(c, int) and 0 <= c <= 255 for c in color)
    ):
        alpha = color[3] if len(color) == 4 else 255
        return name, (color[0], color[1], color[2], alpha)
    raise InputError(source, f"{where}.classification.color", "[r, g, b] with values 0–255")


def _plane(
    geometry: dict[str, Any], properties: dict[str, Any], source: str, where: str
) -> dict[str, int]:
    """The z and t of a Feature: its ``z``/``t`` properties, else QuPath's ``geometry.plane``."""
    plane = geometry.get("plane")
    found: dict[str, int] = {}
    for axis in ("z", "t"):
        for holder, place in ((properties, "properties"), (plane, "geometry.plane")):
            if isinstance(holder, dict) and axis in holder and axis not in found:
                value = holder[axis]
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise InputError(source, f"{where}.{place}.{axis}", "an index of at least 0")
                found[axis] = value
    return found


def numeric_measurements(row: Mapping[str, Any], skip: Iterable[str]) -> dict[str, float]:
    """The numbers of ``row`` as QuPath measurements (booleans as 0/1; text and missing or
    non-finite values left out: QuPath keeps numbers only)."""
    excluded = set(skip)
    found = {}
    for key, value in row.items():
        if key in excluded or value is None or isinstance(value, str):
            continue
        number = float(value)
        if math.isfinite(number):
            found[key] = number
    return found
