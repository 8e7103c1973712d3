"""Comparing two segmentations of one image, and remembering which object is which when one
version was derived from the other."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from labelcollections.errors import InputError
from labelcollections.instances import Comparison, compare_labels
from labelcollections.instances.table import block_count
from labelcollections.model.images import LabelImage
from labelcollections.model.vocabulary import LabelType
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.layout import correspondence_table, stored_table_name
from labelcollections.repository.pixels import label_levels
from labelcollections.repository.references import image, label_image
from labelcollections.repository.tables import store_table
from labelcollections.storage.tables import (
    INSTANCE_KEY,
    feature_table_attributes,
)


def compare(
    repo: RepositoryContext,
    a_reference: str,
    b_reference: str,
    iou: float = 0.5,
    *,
    record: bool = True,
) -> Comparison:
    """Compare two label images of one reference image (``a`` is the reference).

    Instance and panoptic labels are matched object to object; semantic labels are compared
    class by class. When ``b`` was derived from ``a`` and ``record`` is True, the matches are
    stored as the correspondence between the two versions (see ``Repository.instance``).
    """
    if not 0.0 < iou <= 1.0:
        raise InputError(str(iou), "iou", "a threshold above 0 and at most 1")
    a, b = label_image(repo, a_reference), label_image(repo, b_reference)
    if a.image_id != b.image_id:
        raise InputError(
            f"{a.key} / {b.key}", "image", "two label images of the same reference image"
        )
    if a.shape != b.shape:
        raise InputError(f"{a.key} / {b.key}", "shape", f"equal shapes ({a.shape}, {b.shape})")
    semantic = LabelType.SEMANTIC in (a.label_type, b.label_type)
    if semantic and a.label_type != b.label_type:
        raise InputError(
            f"{a.key} / {b.key}", "label type", "two semantic or two instance label images"
        )
    a_pixels, b_pixels = label_levels(repo, a)[0], label_levels(repo, b)[0]
    with repo.progress.task(f"Comparing {a.key} with {b.key}", block_count(a_pixels)) as advance:
        result = compare_labels(
            a_pixels,
            b_pixels,
            semantic=semantic,
            threshold=iou,
            schema=a.label_schema if a.label_schema.classes else b.label_schema,
            advance=advance,
        )
    if record and not semantic and b.provenance.derived_from == a.id:
        _store_correspondence(repo, a, b, result)
    return result


def _store_correspondence(
    repo: RepositoryContext, a: LabelImage, b: LabelImage, result: Comparison
) -> None:
    b_path = repo.label_path(b)
    name = stored_table_name(b_path, correspondence_table(repo.label_path(a), result.threshold))
    reference = image(repo, b.image_id)
    a_labels, b_labels, ious = result.matches or (np.zeros(0), np.zeros(0), np.zeros(0))
    matches = pa.table(
        {
            "a_label": pa.array(a_labels.astype(np.uint64), pa.uint64()),
            INSTANCE_KEY: pa.array(b_labels.astype(np.uint64), pa.uint64()),
            "iou": pa.array(ious, pa.float64()),
        }
    )
    attributes = feature_table_attributes(
        b_path,
        {
            "kind": "correspondence",
            "label_image_id": b.id,
            "a": a.id,
            "b": b.id,
            "iou_threshold": result.threshold,
            "metrics": result.to_dict()["metrics"],
        },
    )
    store_table(repo, reference, name, matches, attributes, exist_ok=True)
