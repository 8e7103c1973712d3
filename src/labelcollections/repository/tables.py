"""Tables stored with label images: instance tables, user feature tables, and the objects
they describe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from labelcollections.catalog import Correspondence, InstanceMatch, InstanceSummary, TableRecord
from labelcollections.errors import InputError, NotFoundError
from labelcollections.instances import instance_table as measure_instances
from labelcollections.instances.table import block_count
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import check_name
from labelcollections.model.provenance import utc_now
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.layout import correspondence_table, stored_table_name
from labelcollections.repository.pixels import label_levels
from labelcollections.repository.references import image, label_image
from labelcollections.storage.locations import normalise
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, join_key
from labelcollections.storage.table_sources import read_feature_table
from labelcollections.storage.tables import (
    INSTANCE_KEY,
    feature_table_attributes,
    read_table,
    table_names,
    write_table,
)


@dataclass(frozen=True)
class Instance:
    """One object of a label image: its instance-table row and the objects of other versions
    recorded as the same object."""

    id: str
    label_image: LabelImage
    row: dict[str, Any]
    matches: tuple[InstanceMatch, ...]


def instance_table(
    repo: RepositoryContext, label_reference: str, *, store: bool = True
) -> pa.Table:
    """The label image's instance table.

    A label image without one (added before tables existed) gets it computed, and stored
    unless ``store`` is False (readers such as the server never write).
    """
    label = label_image(repo, label_reference)
    reference = image(repo, label.image_id)
    stored = next((r.name for r in repo.catalog.tables(label.id) if r.kind == "instances"), None)
    if stored is not None:
        return read_table(repo.store(reference), stored)
    table = measure(repo, label, label_levels(repo, label)[0])
    if store:
        label_path = repo.label_path(label)
        with repo.catalog.writing(reference.name) as writer:
            writable = repo.store(reference, writable=True)
            if stored_table_name(label_path) not in table_names(writable):
                writer.put_table(store_instance_table(repo, writable, label, label_path, table))
    return table


def instance(repo: RepositoryContext, instance_id: str, *, store: bool = True) -> Instance:
    """An object by its stable id ``<label-image-id>:<label value>`` (``store``: as for
    :func:`instance_table`)."""
    label_id, _, text = instance_id.rpartition(":")
    if not label_id or not text.lstrip("-").isdigit() or len(text) > 21:
        raise InputError(instance_id, "instance id", "<label-image-id>:<label value>")
    label = label_image(repo, label_id)
    table = instance_table(repo, label.id, store=store)
    key = table.column(INSTANCE_KEY)
    value = int(text)
    bounds = np.iinfo(key.type.to_pandas_dtype())
    if not bounds.min <= value <= bounds.max:
        raise NotFoundError(instance_id, "instance", f"a label value present in {label.key}")
    rows = table.filter(pc.equal(key, pa.scalar(value, key.type)))
    if rows.num_rows == 0:
        raise NotFoundError(instance_id, "instance", f"a label value present in {label.key}")
    matches = tuple(repo.catalog.instance_matches(label.id, value))
    return Instance(instance_id, label, rows.to_pylist()[0], matches)


def tables(repo: RepositoryContext, label_reference: str) -> list[TableRecord]:
    """The tables stored with a label image (instances, features, correspondences)."""
    return repo.catalog.tables(label_image(repo, label_reference).id)


def table(repo: RepositoryContext, label_reference: str, name: str) -> pa.Table:
    """A table of a label image by its short name (``instances``, a feature table's name)
    or its full stored name."""
    label = label_image(repo, label_reference)
    for record in repo.catalog.tables(label.id):
        if name in (record.name, _short_name(record)):
            if record.kind == "instances":
                break
            return read_table(repo.store(image(repo, label.image_id)), record.name)
    else:
        if name != "instances":
            raise NotFoundError(name, "table", f"the name of a table of {label.key}")
    return instance_table(repo, label.id)


def _short_name(record: TableRecord) -> str:
    """What users call a table: ``instances``, a feature table's own name, or for recorded
    matches the part of the stored name after the label image's."""
    if record.kind == "instances":
        return "instances"
    if record.kind == "features":
        return str(record.attributes.get(OUR_KEY, {}).get("name", record.name))
    return record.name.split(".", 1)[-1]


def add_table(
    repo: RepositoryContext,
    label_reference: str,
    source: str | Path | pa.Table,
    *,
    name: str | None = None,
    instance_key: str = INSTANCE_KEY,
) -> TableRecord:
    """Attach a feature table (CSV, Parquet or a pyarrow Table) to a label image.

    Every row must name a label value present in the label image.
    """
    label = label_image(repo, label_reference)
    given = None if isinstance(source, pa.Table) else normalise(source)
    table_name = check_name(name or (Path(given).stem if given else ""), "table name")
    if table_name == "instances":
        raise InputError(table_name, "table name", "a name other than 'instances'")
    features = read_feature_table(source, instance_key)
    known = instance_table(repo, label.id).column(INSTANCE_KEY).cast(pa.uint64(), safe=False)
    keys = features.column(INSTANCE_KEY)
    unknown = np.unique(keys.filter(pc.invert(pc.is_in(keys, value_set=known))).to_numpy())
    if unknown.size:
        first = ", ".join(str(v) for v in unknown[:10].tolist())
        raise InputError(
            given or "<table>",
            instance_key,
            f"label values of {label.key} ({unknown.size} values are not, first: {first})",
        )
    label_path = repo.label_path(label)
    stored = stored_table_name(label_path, table_name)
    attributes = feature_table_attributes(
        label_path,
        {
            "kind": "features",
            "label_image_id": label.id,
            "name": table_name,
            "source": given,
            "created": utc_now().isoformat(),
        },
    )
    record = store_table(repo, image(repo, label.image_id), stored, features, attributes)
    assert record is not None  # a table of that name is a conflict here
    return record


def store_table(
    repo: RepositoryContext,
    reference: ReferenceImage,
    name: str,
    table: pa.Table,
    attributes: dict[str, Any],
    *,
    exist_ok: bool = False,
) -> TableRecord | None:
    """Write a table into the image's store and index it, in the image's write transaction.

    A table of that name is a conflict, or with ``exist_ok`` left as it is (None).
    """
    with repo.catalog.writing(reference.name) as writer:
        store = repo.store(reference, writable=True)
        if exist_ok and name in table_names(store):
            return None
        write_table(store, name, table, attributes)
        record = table_record(name, attributes, table)
        writer.put_table(record)
        return record


def measure(repo: RepositoryContext, label: LabelImage, pixels: Any) -> pa.Table:
    """The instance table of ``label`` from its level-0 ``pixels``, with a progress bar."""
    with repo.progress.task(f"Measuring {label.key}", block_count(pixels)) as advance:
        return measure_instances(
            pixels,
            label_image_id=label.id,
            axes=label.axes,
            level=label.levels[0],
            label_schema=label.label_schema,
            advance=advance,
        )


def store_instance_table(
    repo: RepositoryContext,
    store: ImageStore,
    label: LabelImage,
    label_path: str,
    computed: pa.Table | None = None,
) -> TableRecord:
    """Write the instance table of a published label image (computed here if not given)."""
    if computed is None:
        pixels = store.array(join_key("labels", label_path, label.levels[0].path))
        computed = measure(repo, label, pixels)
    units = {axis.name: axis.unit for axis in label.axes if axis.unit}
    attributes = feature_table_attributes(
        label_path,
        {"kind": "instances", "label_image_id": label.id, "units": units},
    )
    name = stored_table_name(label_path)
    write_table(store, name, computed, attributes)
    return table_record(name, attributes, computed)


def relocated_table(
    name: str, attributes: Mapping[str, Any], paths: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """The name and attributes of one of our tables once the label images it refers to live
    at ``paths`` (by label image id): its stored name and ``region.path`` follow them."""
    ours = attributes.get(OUR_KEY, {})
    label_id = ours.get("label_image_id")
    if label_id not in paths:
        return name, dict(attributes)
    path = paths[label_id]
    kind = ours.get("kind")
    if kind == "instances":
        name = stored_table_name(path)
    elif kind == "features":
        name = stored_table_name(path, str(ours["name"]))
    elif kind == "correspondence" and ours.get("a") in paths:
        threshold = float(ours["iou_threshold"])
        name = stored_table_name(path, correspondence_table(paths[ours["a"]], threshold))
    return name, {**attributes, "region": {"path": f"../labels/{path}"}}


def table_record(name: str, attributes: dict[str, Any], stored: pa.Table) -> TableRecord:
    """The catalog's view of a stored table: its kind, size and what ``find`` filters on."""
    ours = attributes.get(OUR_KEY, {})
    kind = str(ours.get("kind", "features"))
    summary = None
    correspondence = None
    if kind == "instances":
        areas = stored.column("area").to_numpy()
        summary = InstanceSummary(
            instances=int(areas.size),
            total_area=int(areas.sum()),
            min_area=int(areas.min()) if areas.size else None,
            max_area=int(areas.max()) if areas.size else None,
            mean_area=float(areas.mean()) if areas.size else None,
        )
    elif kind == "correspondence":
        correspondence = Correspondence(
            a_id=str(ours["a"]),
            b_id=str(ours["b"]),
            threshold=float(ours["iou_threshold"]),
            a_labels=stored.column("a_label").to_numpy().tolist(),
            b_labels=stored.column(INSTANCE_KEY).to_numpy().tolist(),
            ious=stored.column("iou").to_numpy().tolist(),
        )
    return TableRecord(
        label_image_id=str(ours.get("label_image_id", "")),
        name=name,
        kind=kind,
        rows=stored.num_rows,
        attributes=attributes,
        summary=summary,
        correspondence=correspondence,
    )
