"""The instance table of a label image: one row per label value, computed in one pass.

Columns (``axes`` are the label image's non-channel axes, e.g. ``z, y, x``):

- ``label`` (uint64; int64 for signed label pixels) and ``instance_id``
  (``<label-image-id>:<label>``);
- ``area``: the number of pixels (voxels in 3D, as scikit-image counts them);
- ``area_physical`` (2D) or ``volume`` and ``volume_physical`` (3D: a z axis longer than one
  plane): the object's size in voxels and in the product of the spatial axes' units (µm³);
- ``bbox_min_<axis>`` and ``bbox_max_<axis>``: the bounding box in pixels, end exclusive (as
  scikit-image's ``bbox``);
- ``centroid_<axis>`` in pixels and ``centroid_<axis>_physical`` in the axis' unit (level-0
  scale and translation applied);
- ``touches_border``: whether the object reaches the edge of a spatial axis;
- ``class``: the class name the label schema gives the value, if any.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from labelcollections.instances.blocks import Region, block_regions, reduce_blocks
from labelcollections.instances.statistics import (
    ObjectStatistics,
    block_statistics,
    merge_statistics,
)
from labelcollections.model.images import Axis, Level
from labelcollections.model.label_schema import LabelSchema

INSTANCE_KEY = "label"


def object_statistics(
    labels: Any,
    *,
    regions: Sequence[Region] | None = None,
    advance: Callable[[int], None] | None = None,
) -> ObjectStatistics:
    """Exact statistics of every object of ``labels`` (numpy, Zarr or dask), block by block."""

    def work(blocks: Sequence[np.ndarray], region: Region) -> ObjectStatistics:
        return block_statistics(blocks[0], [part.start for part in region])

    return reduce_blocks(
        [labels],
        block_regions(labels) if regions is None else regions,
        work,
        merge_statistics,
        advance=advance,
    )


def block_count(labels: Any) -> int:
    """How many blocks :func:`object_statistics` reads (for progress bars)."""
    return len(block_regions(labels))


def instance_table(
    labels: Any,
    *,
    label_image_id: str,
    axes: Sequence[Axis],
    level: Level,
    label_schema: LabelSchema | None = None,
    advance: Callable[[int], None] | None = None,
) -> pa.Table:
    """The instance table (see the module's docstring) of level-0 pixels ``labels``."""
    statistics = object_statistics(labels, advance=advance)
    return statistics_table(statistics, label_image_id, axes, level, label_schema)


def statistics_table(
    statistics: ObjectStatistics,
    label_image_id: str,
    axes: Sequence[Axis],
    level: Level,
    label_schema: LabelSchema | None = None,
) -> pa.Table:
    """Turn exact statistics into the instance table's columns."""
    signed = statistics.values.dtype.kind == "i"
    values = statistics.values.astype(np.int64 if signed else np.uint64)
    counts = statistics.counts
    columns: dict[str, Any] = {
        INSTANCE_KEY: pa.array(values, pa.int64() if signed else pa.uint64()),
        "instance_id": pa.array(_instance_ids(label_image_id, values), pa.string()),
        "area": pa.array(counts, pa.int64()),
    }
    kept = [i for i, axis in enumerate(axes) if axis.type != "channel"]
    shape = level.shape
    touches = np.zeros(values.size, dtype=bool)
    for i in kept:
        name = axes[i].name
        columns[f"bbox_min_{name}"] = pa.array(statistics.mins[:, i], pa.int64())
        columns[f"bbox_max_{name}"] = pa.array(statistics.maxs[:, i] + 1, pa.int64())
        if axes[i].type == "space" and shape[i] > 1:
            touches |= (statistics.mins[:, i] == 0) | (statistics.maxs[:, i] == shape[i] - 1)
    for i in kept:
        name = axes[i].name
        centroid = statistics.sums[:, i] / np.maximum(counts, 1)
        columns[f"centroid_{name}"] = pa.array(centroid, pa.float64())
        scale = level.scale[i] if level.scale else 1.0
        offset = level.translation[i] if level.translation else 0.0
        columns[f"centroid_{name}_physical"] = pa.array(centroid * scale + offset, pa.float64())
    spatial = [i for i, axis in enumerate(axes) if axis.type == "space"]
    voxel = float(np.prod([level.scale[i] for i in spatial])) if level.scale else 1.0
    if any(axes[i].name == "z" and shape[i] > 1 for i in spatial):
        columns["volume"] = columns["area"]
        columns["volume_physical"] = pa.array(counts * voxel, pa.float64())
    else:
        columns["area_physical"] = pa.array(counts * voxel, pa.float64())
    columns["touches_border"] = pa.array(touches, pa.bool_())
    columns["class"] = pa.array(_class_names(values, label_schema), pa.string())
    return pa.table(columns)


def _instance_ids(label_image_id: str, values: np.ndarray) -> np.ndarray:
    return np.char.add(f"{label_image_id}:", values.astype(str))


def _class_names(values: np.ndarray, schema: LabelSchema | None) -> np.ndarray:
    """The schema's class name per value (None where the schema names none), as objects."""
    result = np.full(values.size, None, dtype=object)
    limits = np.iinfo(values.dtype)
    named = [
        c
        for c in (schema.classes if schema else ())
        if c.name is not None and limits.min <= c.value <= limits.max
    ]
    if not named or values.size == 0:
        return result
    known = np.array([c.value for c in named], dtype=values.dtype)
    names = np.array([c.name for c in named], dtype=object)
    position = np.clip(np.searchsorted(known, values), 0, known.size - 1)
    found = known[position] == values
    result[found] = names[position[found]]
    return result
