"""Label images to GeoJSON (QuPath) and GeoJSON annotations to label images.

``export_polygons`` writes one FeatureCollection per plane of a label image: one Feature per
object, its exact pixel-edge outline in level-0 pixels (rasterising it gives the label image
back, bit for bit), its label value and stable ``instance_id``, its class as a QuPath
classification, and optionally its instance-table row as QuPath measurements. The label image's
record (provenance included) goes into the collection's ``properties``.

``add_annotations`` rasterises a GeoJSON FeatureCollection (a QuPath export, say) into a new
label image of an image in the repository, block by block, with provenance.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
import zarr

from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.geojson import (
    GeoJsonFeature,
    classification,
    geometry_texts,
    numeric_measurements,
    read_features,
    write_feature_collection,
)
from labelcollections.model.images import LabelImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import LABEL_DTYPES, Downsampling, LabelType
from labelcollections.polygons import Outlines, trace_outlines
from labelcollections.polygons.rasterise import BLOCK_ROWS as RASTER_BLOCK
from labelcollections.polygons.rasterise import rasterise_into
from labelcollections.polygons.scan import scan_blocks
from labelcollections.repository import Repository
from labelcollections.storage.publish import STAGING_PREFIX, staged_file
from labelcollections.storage.sharding import Shards
from labelcollections.storage.tables import INSTANCE_KEY

__all__ = [
    "GEOJSON_SUFFIXES",
    "OBJECT_TYPES",
    "PlaneFile",
    "add_annotations",
    "export_polygons",
    "plane_features",
]

GEOJSON_SUFFIXES = (".geojson", ".json")
"""File names ``add-labels`` reads as GeoJSON."""
OBJECT_TYPES = ("annotation", "detection")
PLANE_AXES = ("t", "c", "z")
FEATURE_NAMESPACE = uuid.UUID("5f8c1d2e-8b7a-4c1e-9a55-6c0a7b3e2d10")
"""Feature ids are UUID-5 of the instance id in this namespace: stable across exports."""
NAMESPACE_BYTES = FEATURE_NAMESPACE.bytes
TABLE_ONLY = (INSTANCE_KEY, "instance_id", "class")
"""Instance-table columns the Feature already carries elsewhere."""


@dataclass(frozen=True)
class PlaneFile:
    """A FeatureCollection written for one plane (``plane``: its t/c/z indices)."""

    path: Path
    plane: dict[str, int]
    features: int


def plane_features(
    outlines: Outlines,
    label: LabelImage,
    plane: Mapping[str, int],
    *,
    object_type: str = "annotation",
    table: pa.Table | None = None,
) -> tuple[list[str], list[dict[str, Any]], list[str | None]]:
    """Geometry texts, properties and ids of the Features of ``outlines`` (one plane)."""
    located = {axis: index for axis, index in plane.items() if axis in ("z", "t")}
    on_default_plane = not any(located.values())
    geometries = geometry_texts(
        np.asarray(outlines.coords),
        outlines.ring_offsets,
        outlines.polygon_offsets,
        outlines.object_offsets,
        None if on_default_plane else [located] * len(outlines),
    )
    classes = {c.value: c for c in label.label_schema.classes if c.name is not None}
    rows = _table_rows(table)
    properties: list[dict[str, Any]] = []
    ids: list[str | None] = []
    for value in outlines.labels.tolist():
        instance_id = label.instance_id(value)
        props: dict[str, Any] = {"objectType": object_type, "label": value}
        props["instance_id"] = instance_id
        props.update(located)
        found = classes.get(value)
        if found is not None and found.name is not None:
            props["classification"] = classification(found.name, found.color)
        if rows is not None and value in rows:
            props["measurements"] = numeric_measurements(rows[value], TABLE_ONLY)
        # QuPath keeps ``metadata`` when it saves objects again; the other properties it drops.
        props["metadata"] = {"instance_id": instance_id, "label": str(value)}
        properties.append(props)
        ids.append(_feature_id(instance_id))
    return geometries, properties, ids


def _feature_id(instance_id: str) -> str:
    """``str(uuid.uuid5(FEATURE_NAMESPACE, instance_id))``, without building UUID objects (the
    ids of many thousand Features are made per export)."""
    digest = bytearray(hashlib.sha1(NAMESPACE_BYTES + instance_id.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _table_rows(table: pa.Table | None) -> dict[int, dict[str, Any]] | None:
    if table is None:
        return None
    return {int(row[INSTANCE_KEY]): row for row in table.to_pylist()}


def export_polygons(
    repository: Repository,
    label_reference: str,
    output: str | Path,
    *,
    simplify: float | None = None,
    measurements: bool = False,
    object_type: str = "annotation",
) -> list[PlaneFile]:
    """Write the label image's objects as GeoJSON, one FeatureCollection per plane.

    A label image with one plane goes to ``output``; with several (t, c or z larger than 1),
    plane ``z=3`` of ``out.geojson`` goes to ``out_z3.geojson`` (indices zero-padded). No file
    may exist yet, and none is written when one does. ``simplify`` (in pixels) simplifies the
    outlines together, so neighbours still share their borders, at the cost of exactness.
    """
    if object_type not in OBJECT_TYPES:
        raise InputError(object_type, "object type", f"one of {', '.join(OBJECT_TYPES)}")
    if simplify is not None and simplify <= 0:
        raise InputError(str(simplify), "simplify", "a tolerance above 0 (pixels)")
    label = repository.label_image(label_reference)
    image = repository.image(label.image_id)
    pixels = repository.label_levels(label)[0]
    axes = [axis.name for axis in label.axes]
    lead = [(axis, n) for axis, n in zip(axes[:-2], pixels.shape[:-2], strict=True)]
    targets = _plane_targets(Path(output), lead)
    taken = [str(path) for path, _ in targets if path.exists()]
    if taken:
        raise ConflictError(taken[0], "output", "a file that does not exist yet")
    table = repository.instance_table(label.id, store=False) if measurements else None
    with repository.progress.task(f"Tracing {label.key}", scan_blocks(pixels)) as advance:
        outlines = trace_outlines(pixels, advance=advance)
    written = []
    for number, (path, plane) in enumerate(targets):
        found = outlines.select(outlines.planes == number)
        if simplify is not None:
            found = _simplified(found, simplify)
        geometries, properties, ids = plane_features(
            found, label, plane, object_type=object_type, table=table
        )
        header = {
            "label_image": to_record(label),
            "image": {"id": image.id, "name": image.name},
            "coordinates": "pixel edges, level-0 pixels, origin at the image's top-left corner",
            "lossless": simplify is None,
            **({"simplify_tolerance": simplify} if simplify is not None else {}),
            **({"plane": plane} if plane else {}),
        }
        with staged_file(path) as staging, staging.open("w", encoding="utf-8") as handle:
            write_feature_collection(handle, geometries, properties, ids, header)
        written.append(PlaneFile(path, dict(plane), len(found)))
    return written


def _plane_targets(
    output: Path, lead: Sequence[tuple[str, int]]
) -> list[tuple[Path, dict[str, int]]]:
    """The file and the t/c/z indices of each plane, in C order of the leading axes."""
    several = [(axis, n) for axis, n in lead if n > 1]
    if not several:
        return [(output, {axis: 0 for axis, _ in lead if axis in PLANE_AXES})]
    targets = []
    for index in np.ndindex(*(n for _, n in lead)):
        plane = {axis: int(i) for (axis, _), i in zip(lead, index, strict=True)}
        tag = "_".join(f"{axis}{plane[axis]:0{len(str(n - 1))}d}" for axis, n in several)
        targets.append((output.with_name(f"{output.stem}_{tag}{output.suffix}"), plane))
    return targets


def _simplified(outlines: Outlines, tolerance: float) -> Outlines:
    """Outlines simplified as one coverage (GEOS), so touching objects keep touching; their
    vertices stay a subset of the pixel corners."""
    simplified = shapely.coverage_simplify(outlines.geometries(), tolerance)
    result = Outlines.from_geometries(np.asarray(simplified), outlines.labels, outlines.planes)
    return Outlines(
        coords=np.rint(result.coords).astype(np.int64),
        ring_offsets=result.ring_offsets,
        polygon_offsets=result.polygon_offsets,
        object_offsets=result.object_offsets,
        labels=result.labels,
        planes=result.planes,
    )


def add_annotations(
    repository: Repository,
    image_name: str,
    source: str | Path,
    *,
    collection: str,
    name: str,
    label_type: LabelType | str,
    provenance: Provenance,
    version: str = "v1",
    value_property: str | None = None,
    label_schema: LabelSchema | None = None,
    downsampling: Downsampling = "nearest",
    shards: Shards = None,
) -> LabelImage:
    """Rasterise the areal Features of a GeoJSON file into a new label image of an image.

    Values come from the property ``value_property`` (also looked up in QuPath's ``metadata``
    and ``measurements``); without it, instance labels are numbered 1, 2, … in file order and
    semantic labels take the value of their class (``label_schema``'s, else numbered by first
    appearance). Classes come from QuPath classifications. A Feature lies on the plane of its
    ``z``/``t`` properties or QuPath ``plane``; where Features overlap, the later one wins.
    """
    path = Path(source)
    features, header = read_features(path)
    if not features:
        raise InputError(str(path), "features", "at least one Polygon or MultiPolygon Feature")
    image = repository.image(image_name)
    kind = LabelType(label_type)
    values = _values(features, str(path), kind, value_property, label_schema)
    schema = label_schema or _schema(features, values, kind, str(path))
    sizes = dict(zip(image.axis_names, image.shape, strict=True))
    plane_axes = [
        axis
        for axis in image.axis_names
        if axis in ("t", "z") and any(axis in f.plane for f in features)
    ]
    planes = _plane_numbers(features, plane_axes, sizes, str(path))
    outlines = Outlines.from_polygons([f.polygons for f in features], values, planes)
    shape = (*(sizes[axis] for axis in plane_axes), sizes["y"], sizes["x"])
    parameters = dict(provenance.parameters)
    parameters["annotations"] = {
        "file": path.name,
        "features": len(features),
        "value_property": value_property,
    }
    # Filled once into a Zarr array beside the stores (hidden, removed afterwards): adding the
    # label image reads its pixels several times (hash, table, pyramid), chunk by chunk.
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=repository.root) as folder:
        pixels = zarr.create_array(
            store=str(Path(folder) / "labels.zarr"),
            shape=shape,
            chunks=(*(1 for _ in plane_axes), RASTER_BLOCK, RASTER_BLOCK),
            dtype=_dtype(int(values.max()), header),
            fill_value=0,
        )
        with repository.progress.task(f"Filling {path.name}", 1) as advance:
            rasterise_into(outlines, pixels)
            advance(1)
        return repository.add_labels(
            image_name,
            pixels,
            collection=collection,
            name=name,
            label_type=kind,
            provenance=provenance.model_copy(update={"parameters": parameters}),
            version=version,
            label_schema=schema,
            axes=[*plane_axes, "y", "x"],
            downsampling=downsampling,
            shards=shards,
        )


def _values(
    features: Sequence[GeoJsonFeature],
    source: str,
    kind: LabelType,
    value_property: str | None,
    schema: LabelSchema | None,
) -> np.ndarray:
    """The label value of each Feature."""
    if value_property is not None:
        return np.array(
            [_property_value(f, value_property, source) for f in features], dtype=np.uint64
        )
    if kind != LabelType.SEMANTIC:
        return np.arange(1, len(features) + 1, dtype=np.uint64)
    known = {c.name: c.value for c in (schema.classes if schema else ()) if c.name is not None}
    numbered: dict[str, int] = {}
    values = []
    for feature in features:
        where = f"features[{feature.index}].properties.classification"
        if feature.class_name is None:
            raise InputError(source, where, "a class for every Feature of a semantic label image")
        if schema is not None and feature.class_name not in known:
            raise InputError(source, where, f"a class of the given classes ({', '.join(known)})")
        value = known.get(feature.class_name) or numbered.setdefault(
            feature.class_name, len(numbered) + 1
        )
        values.append(value)
    return np.array(values, dtype=np.uint64)


def _property_value(feature: GeoJsonFeature, key: str, source: str) -> int:
    properties = feature.properties
    holders = [properties, properties.get("metadata"), properties.get("measurements")]
    where = f"features[{feature.index}].properties.{key}"
    for holder in holders:
        if isinstance(holder, dict) and key in holder:
            value = holder[key]
            try:
                number = float(value)
            except (TypeError, ValueError):
                break
            if number.is_integer() and 0 < number < 2**64 and not isinstance(value, bool):
                return int(number)
            break
    raise InputError(source, where, "a label value above 0 (an integer)")


def _schema(
    features: Sequence[GeoJsonFeature], values: np.ndarray, kind: LabelType, source: str
) -> LabelSchema:
    """The classes of the Features' values (a value's Features must agree on their class)."""
    classes: dict[int, LabelClass] = {}
    for feature, value in zip(features, values.tolist(), strict=True):
        if feature.class_name is None:
            continue
        found = LabelClass(value=value, name=feature.class_name, color=feature.class_color)
        if classes.setdefault(value, found).name != found.name:
            raise InputError(
                source,
                f"features[{feature.index}].properties.classification",
                f"the class of the other Features with value {value} ({classes[value].name})",
            )
    if kind == LabelType.SEMANTIC or classes:
        return LabelSchema(classes=tuple(classes.values()))
    return LabelSchema()


def _plane_numbers(
    features: Sequence[GeoJsonFeature],
    axes: Sequence[str],
    sizes: Mapping[str, int],
    source: str,
) -> np.ndarray:
    """Each Feature's plane as a C-order number over ``axes``."""
    numbers = np.zeros(len(features), dtype=np.int64)
    for feature_number, feature in enumerate(features):
        for axis, index in feature.plane.items():
            if index >= sizes.get(axis, 1):
                raise InputError(
                    source,
                    f"features[{feature.index}].properties.{axis}",
                    f"an index below the image's {axis} size {sizes.get(axis, 1)}",
                )
        number = 0
        for axis in axes:
            number = number * sizes[axis] + feature.plane.get(axis, 0)
        numbers[feature_number] = number
    return numbers


def _dtype(largest: int, header: Mapping[str, Any]) -> np.dtype[Any]:
    """The data type the file's label image had (written by :func:`export_polygons`), if it
    holds every value, else the smallest unsigned type that does."""
    recorded = header.get("label_image")
    dtype = recorded.get("dtype") if isinstance(recorded, dict) else None
    if dtype in LABEL_DTYPES and int(np.iinfo(dtype).max) >= largest:
        return np.dtype(dtype)
    for candidate in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(candidate).max:
            return np.dtype(candidate)
    return np.dtype(np.uint64)
