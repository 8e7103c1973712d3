"""Reading an OME-Zarr store into what an import will write.

Two kinds of store are understood: those written by ``export`` (restored exactly, ids and all)
and third-party ones, either an NGFF image with a ``labels`` group or a draft-RFC-8 collection
root whose nodes point at an image and its label images (as early collection prototypes wrote
them, with bare string paths). Metadata is read and checked here, before anything is written;
pixels are read while they are copied, and each copy checks its content hash against the
record before it is published (see ``repository.transfer``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa

from labelcollections.errors import InputError
from labelcollections.formats.collection_document import from_document
from labelcollections.formats.ngff.labels import label_schema_from_image_label
from labelcollections.formats.ngff.multiscales import ome_attributes
from labelcollections.formats.ngff.plate import parse_plate, parse_well
from labelcollections.formats.rfc8 import resolve_path
from labelcollections.model.collection import LabelCollection
from labelcollections.model.geometry import check_label_dtype, check_label_shape, label_levels
from labelcollections.model.images import LabelImage, Level, ReferenceImage
from labelcollections.model.label_schema import LabelSchema
from labelcollections.model.lineage import check_lineage
from labelcollections.model.names import new_id, safe_name
from labelcollections.model.parsing import validate_model
from labelcollections.model.plates import Plate, PlateCollection, PlatePosition, Well, field_name
from labelcollections.model.provenance import Provenance, utc_now
from labelcollections.model.vocabulary import LabelType, Method
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.locations import escaping_links, is_url, join
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key
from labelcollections.storage.tables import read_table, table_attributes, table_names

LABEL_VOXEL_TYPES = {"labels", "label", "segmentation"}


@dataclass(frozen=True)
class PlannedLabel:
    """A label image with its pyramid; ``path`` is where it was found below ``labels/`` (the
    repository keeps it when it is a flat slug)."""

    label: LabelImage
    path: str
    arrays: Sequence[Any]


@dataclass(frozen=True)
class PlannedTable:
    """A table copied as it is (attributes and rows)."""

    name: str
    attributes: dict[str, Any]
    table: pa.Table


@dataclass(frozen=True)
class ImportPlan:
    """Everything an import will write; arrays are read lazily, level by level. ``source``
    names where it comes from, for errors found while copying."""

    image: ReferenceImage
    image_arrays: Sequence[Any]
    labels: tuple[PlannedLabel, ...]
    collections: tuple[LabelCollection, ...]
    tables: tuple[PlannedTable, ...] = ()
    ome_xml: str | None = None
    source: str = "<import>"


@dataclass(frozen=True)
class PlatePlan:
    """Everything the import of an HCS plate will write: the plate, and each field's import."""

    plate: Plate
    fields: tuple[ImportPlan, ...]


def is_plate(store: ImageStore) -> bool:
    """Whether the store's root is an NGFF plate."""
    return "plate" in ome_attributes(store.attributes)


def plan_plate_import(
    store: ImageStore, name: str | None, collection: str, label_type: LabelType
) -> PlatePlan:
    """Plan the import of a plate: every field becomes a reference image that knows its plate,
    well and field, with its labels in a collection named ``collection`` (a third-party
    plate), and the plate gets a plate-level collection of those collections. A plate written
    by ``export`` comes back exactly."""
    if "plate" in store.ours:
        own = Plate.model_validate(store.ours["plate"])
        plate = own if name is None else own.model_copy(update={"name": name})
        fields = []
        for well in plate.wells:
            for index in range(len(well.fields)):
                planned = _plan_own_store(
                    ImageStore.open(join(store.location, well.well, str(index))), None
                )
                fields.append(_placed(planned, plate.name, well, index))
        return PlatePlan(plate, tuple(fields))
    layout = parse_plate(ome_attributes(store.attributes), store.location)
    plate_name = name or safe_name(PurePosixPath(store.location.rstrip("/")).name.split(".")[0])
    plans: list[ImportPlan] = []
    wells = []
    for path, row, column in layout.wells:
        paths = parse_well(ome_attributes(store.group_attributes(path)), join(store.location, path))
        well = Well(row=row, column=column)
        for index, field_path in enumerate(paths):
            location = join(store.location, path, field_path)
            planned = _plan_foreign_store(
                ImageStore.open(location),
                field_name(plate_name, row, column, index),
                collection,
                label_type,
            )
            plans.append(_placed(planned, plate_name, well, index))
        wells.append(
            well.model_copy(update={"fields": tuple(p.image.id for p in plans[-len(paths) :])})
        )
    members = tuple(c.id for planned in plans for c in planned.collections)
    plate = Plate(
        id=new_id(),
        name=plate_name,
        rows=layout.rows,
        columns=layout.columns,
        wells=tuple(wells),
        collections=(
            PlateCollection(
                id=new_id(),
                name=collection,
                members=members,
                provenance=Provenance(
                    method=Method.IMPORTED,
                    software="labelcollections",
                    parameters={"source": store.location},
                    created=utc_now(),
                ),
            ),
        )
        if members
        else (),
        attributes=layout.extra,
    )
    return PlatePlan(plate, tuple(plans))


def _placed(planned: ImportPlan, plate: str, well: Well, index: int) -> ImportPlan:
    """A field's import plan whose image knows where it sits on the plate."""
    position = PlatePosition(plate=plate, row=well.row, column=well.column, field=index)
    return replace(planned, image=planned.image.model_copy(update={"plate": position}))


def plan_import(
    store: ImageStore, name: str | None, collection: str, label_type: LabelType
) -> ImportPlan:
    """Plan the import of ``store``: exact for our exports, best effort for third-party ones.

    Everything is checked here, before anything is written: links out of a local store, our
    records, that the arrays are what the records say, the lineage of the label images.
    """
    if not is_url(store.location):
        escaping = escaping_links(Path(store.location))
        if escaping:
            raise InputError(
                str(escaping[0]), "link", "files inside the store, not links out of it"
            )
    if "image" in store.ours:
        return _plan_own_store(store, name)
    return _plan_foreign_store(store, name, collection, label_type)


def _plan_own_store(store: ImageStore, name: str | None) -> ImportPlan:
    record = {**store.ours["image"], **({"name": name} if name is not None else {})}
    image = validate_model(ReferenceImage, record, store.location, f"{OUR_KEY}.image")
    image = image.model_copy(update={"source": None})
    image_arrays = _recorded_arrays(store, "", image.levels, image.dtype)
    labels = []
    for path in store.label_paths():
        where = join_key("labels", path)
        record = store.group_attributes(where).get(OUR_KEY, {}).get("label_image")
        if record is None:
            raise InputError(store.location, where, "a label image written by export")
        label = validate_model(LabelImage, record, store.location, f"{where}.{OUR_KEY}.label_image")
        arrays = _recorded_arrays(store, where, label.levels, label.dtype)
        labels.append(PlannedLabel(label, path, arrays))
    check_lineage(
        {planned.label.id: planned.label.provenance.derived_from for planned in labels},
        store.location,
    )
    label_ids = {planned.label.id for planned in labels}
    collections = []
    for collection_name in store.collection_names():
        source = f"{store.location}/collections/{collection_name}.json"
        document = from_document(store.collection_document(collection_name), source)
        missing = [m for m in document.collection.members if m not in label_ids]
        if document.image.id != image.id or missing:
            raise InputError(source, "ome.nodes", "members that are label images of this store")
        collections.append(document.collection)
    tables = tuple(
        PlannedTable(name, table_attributes(store, name), read_table(store, name))
        for name in table_names(store)
    )
    return ImportPlan(
        image,
        image_arrays,
        tuple(labels),
        tuple(collections),
        tables,
        store.ome_xml(),
        store.location,
    )


def _recorded_arrays(
    store: ImageStore, group: str, levels: Sequence[Level], dtype: str | None
) -> list[Any]:
    """The level arrays of ``group``, each of the shape and type its record says."""
    arrays = []
    for level in levels:
        key = join_key(group, level.path)
        array = store.array(key)
        if tuple(array.shape) != tuple(level.shape) or (dtype and str(array.dtype) != dtype):
            raise InputError(
                store.location,
                key,
                f"an array of shape {tuple(level.shape)} and type {dtype}, as recorded"
                f" (got {tuple(array.shape)} {array.dtype})",
            )
        arrays.append(array)
    return arrays


def _plan_foreign_store(
    store: ImageStore, name: str | None, collection_name: str, label_type: LabelType
) -> ImportPlan:
    ome = ome_attributes(store.attributes)
    if ome.get("type") == "collection":
        image_path, label_nodes = _collection_root_layout(store, ome)
    else:
        image_path = store.image_series() or ""
        label_nodes = [
            (join_key(image_path, "labels", p), {}) for p in store.label_paths(image_path)
        ]
    multiscale = store.multiscale(image_path)
    if multiscale is None:
        raise InputError(store.location, "multiscales", "an OME-Zarr image or a collection of one")
    image_arrays = [store.array(join_key(image_path, level.path)) for level in multiscale.levels]
    default_name = PurePosixPath(store.location.rstrip("/")).name.split(".")[0]
    image = ReferenceImage(
        id=new_id(),
        name=name or safe_name(default_name),
        axes=multiscale.axes,
        dtype=multiscale.dtype,
        levels=multiscale.levels,
        channels=store.channels(image_path),
        content_hash=content_hash(image_arrays[0]),
    )
    labels = tuple(
        _foreign_label(store, path, attributes, image, label_type)
        for path, attributes in label_nodes
    )
    collections: tuple[LabelCollection, ...] = ()
    if labels:
        collections = (
            LabelCollection(
                id=new_id(),
                name=collection_name,
                image_id=image.id,
                provenance=Provenance(
                    method=Method.IMPORTED,
                    software="labelcollections",
                    parameters={"source": store.location},
                    created=utc_now(),
                ),
                members=tuple(planned.label.id for planned in labels),
            ),
        )
    return ImportPlan(
        image, image_arrays, labels, collections, ome_xml=store.ome_xml(), source=store.location
    )


def _foreign_label(
    store: ImageStore,
    path: str,
    node_attributes: Mapping[str, Any],
    image: ReferenceImage,
    label_type: LabelType,
) -> PlannedLabel:
    source = f"{store.location}/{path}"
    multiscale = store.multiscale(path)
    if multiscale is None:
        raise InputError(source, "multiscales", "a label image with multiscales metadata")
    check_label_dtype(multiscale.dtype, source)
    level0 = store.array(join_key(path, multiscale.levels[0].path))
    shape = tuple(level0.shape)
    check_label_shape(shape, image.shape, image.axis_names, source)
    ome = ome_attributes(store.group_attributes(path))
    schema = (
        label_schema_from_image_label(ome["image-label"], source)
        if "image-label" in ome
        else LabelSchema()
    )
    levels = label_levels(shape, image.levels)
    stored = [store.array(join_key(path, level.path)) for level in multiscale.levels]
    arrays: list[Any] = stored
    if [tuple(a.shape) for a in stored] != [level.shape for level in levels]:
        arrays = [level0, *(None for _ in levels[1:])]  # rebuilt from level 0 while copying
    label = LabelImage(
        id=new_id(),
        name=safe_name(PurePosixPath(path).name),
        image_id=image.id,
        label_type=label_type,
        label_schema=schema,
        provenance=Provenance(
            method=Method.IMPORTED,
            parameters={"source": store.location, "path": path},
            content_hash=content_hash(level0),
            reference_hash=image.content_hash,
            created=utc_now(),
        ),
        axes=image.axes,
        dtype=multiscale.dtype,
        levels=levels,
        attributes=dict(node_attributes),
    )
    return PlannedLabel(label, PurePosixPath(path).name, arrays)


def _collection_root_layout(
    store: ImageStore, ome: Mapping[str, Any]
) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """The image path and label paths of a collection root whose nodes point into the store."""
    image_paths: list[str] = []
    labels: list[tuple[str, dict[str, Any]]] = []
    for index, node in enumerate(ome.get("nodes", [])):
        if node.get("type") != "multiscale":
            continue
        raw = node.get("path")
        text = raw.get("path") if isinstance(raw, Mapping) else raw
        if not isinstance(text, str):
            raise InputError(store.location, f"ome.nodes[{index}].path", "a path into the store")
        resolved = resolve_path(f"{store.location}/", text, store.location)
        relative = resolved[len(store.location) :].strip("/")
        attributes = dict(node.get("attributes", {}))
        group_ome = ome_attributes(store.group_attributes(relative)) if relative else {}
        is_label = (
            "labels" in attributes
            or "image-label" in group_ome
            or str(attributes.get("ome-iviewer:voxelType", "")).lower() in LABEL_VOXEL_TYPES
        )
        if is_label:
            labels.append((relative, attributes))
        else:
            image_paths.append(relative)
    if len(image_paths) != 1:
        raise InputError(store.location, "ome.nodes", "exactly one image node beside label nodes")
    return image_paths[0], labels
