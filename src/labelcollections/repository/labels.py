"""Adding label images: checked against their reference image, written as a pyramid with their
content hash and instance table computed alongside, then indexed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from labelcollections.catalog import CatalogReader
from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.ngff.labels import image_label_metadata, image_path_from_label
from labelcollections.instances.statistics import StatisticsCollector, block_statistics
from labelcollections.instances.table import statistics_table
from labelcollections.model.geometry import (
    check_label_dtype,
    check_label_shape,
    expanded_shape,
    label_axes_order,
    label_levels,
)
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.label_schema import LabelSchema
from labelcollections.model.names import check_display_name, check_name, new_id
from labelcollections.model.provenance import Provenance
from labelcollections.model.vocabulary import Downsampling, LabelType
from labelcollections.repository.collections import collection_or_new
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.documents import save_collection
from labelcollections.repository.journal import Intent, publishing
from labelcollections.repository.layout import label_attributes, new_label_path
from labelcollections.repository.references import image, label_image
from labelcollections.repository.tables import store_instance_table
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.ome_zarr_store import ImageStore, LevelWriting
from labelcollections.storage.publish import StagedDirectory, StagedObjects
from labelcollections.storage.sharding import Shards
from labelcollections.storage.sources import Pixels, PixelSource, read_pixels
from labelcollections.storage.split import Runner, Split

SPLIT_BYTES = 256 * 1024 * 1024
"""Label images larger than this are split over a runner's tasks, when one is given."""


def add_labels(
    repo: RepositoryContext,
    image_name: str,
    source: PixelSource,
    *,
    collection: str,
    name: str,
    label_type: LabelType | str,
    provenance: Provenance,
    version: str = "v1",
    label_schema: LabelSchema | None = None,
    axes: Sequence[str] | None = None,
    downsampling: Downsampling = "nearest",
    shards: Shards = None,
    runner: Runner | None = None,
    split_bytes: int = SPLIT_BYTES,
) -> LabelImage:
    """Add a label image of ``image_name`` to ``collection`` (created when new).

    The pixels must be integers with the image's shape (or 1 in an irrelevant axis, e.g. the
    channel axis). ``axes`` names the source's axes (``zyx``). The pixels are read once, chunk
    by chunk: the pyramid (the image's number of levels), the content hash (into the
    provenance) and the instance table are made in the same pass, in bounded memory.
    """
    reference = image(repo, image_name)
    check_display_name(collection, "collection name")
    check_display_name(name, "label image name")
    check_name(version, "label image version")
    pixels = read_pixels(source, axes)
    data = _aligned_pixels(pixels, reference)
    label_type = LabelType(label_type)
    with repo.catalog.reading() as reader:
        check_new_label(reader, reference, f"{name}@{version}")
        known = reader.label_images(reference.id)
    derived_from = provenance.derived_from
    if derived_from is not None:
        derived_from = label_image(repo, derived_from, reference.name).id
    draft = LabelImage(
        id=new_id(),
        name=name,
        version=version,
        image_id=reference.id,
        label_type=label_type,
        label_schema=label_schema or LabelSchema(),
        provenance=provenance.model_copy(
            update={"reference_hash": reference.content_hash, "derived_from": derived_from}
        ),
        axes=reference.axes,
        dtype=str(data.dtype),
        levels=label_levels(data.shape, reference.levels),
        downsampling=downsampling,
    )
    store = repo.store(reference, writable=True)
    label_path = new_label_path(draft, (path for _, path in known))
    split = None
    if runner is not None and data.nbytes > split_bytes:
        split = Split(runner, partial(aligned_source, source, axes, reference), block_statistics)
    try:
        label, table, staged = _stage_label_group(
            repo, store, draft, data, label_path, pixels.source, LevelOptions(shards, split)
        )
    except InputError:
        # A concurrent writer of the same name@version may have published its path meanwhile:
        # once it has committed, say so rather than that the path is taken.
        with repo.catalog.writing(reference.name) as writer:
            check_new_label(writer, reference, draft.key)
        raise
    try:
        with publishing(repo, Intent(reference.id, reference.name)) as writer:
            check_new_label(writer, reference, label.key)
            store.publish_label_group(label_path, staged)
            record = store_instance_table(repo, store, label, label_path, table)
            updated = collection_or_new(
                reference, collection, provenance, writer.collections(reference.id)
            ).with_member(label.id)
            writer.put_labels(reference.name, [(label, label_path)])
            save_collection(writer, store, updated, reference)
            writer.put_table(record)
    finally:
        staged.discard()
    return label


def check_new_label(reader: CatalogReader, reference: ReferenceImage, key: str) -> None:
    """``key`` (``name@version``) must not name a label image of ``reference`` yet: checked
    before writing, and again in the image's write transaction, where a concurrent writer
    that published it first makes this one lose."""
    if any(label.key == key for label, _ in reader.label_images(reference.id)):
        raise ConflictError(
            key, "label image", f"a name and version not yet used on {reference.name}"
        )


def present_label(
    repo: RepositoryContext,
    image_name: str,
    name: str,
    version: str,
    source: PixelSource,
    axes: Sequence[str] | None = None,
) -> LabelImage | None:
    """The label image ``name@version`` of ``image_name`` if it is there with the pixels of
    ``source`` (compared by content hash, read in one pass); None if it is not there.

    What makes adding again resumable: a label image that is there with other pixels is a
    :class:`ConflictError`.
    """
    reference = image(repo, image_name)
    key = f"{name}@{version}"
    known = next(
        (label for label, _ in repo.catalog.label_images(reference.id) if label.key == key), None
    )
    if known is None:
        return None
    digest = content_hash(_aligned_pixels(read_pixels(source, axes), reference))
    if digest != known.provenance.content_hash:
        raise ConflictError(
            key, "label image", f"the pixels of {reference.name}/{key} already there ({digest})"
        )
    return known


def label_images(repo: RepositoryContext, image_name: str | None = None) -> list[LabelImage]:
    """Every label image, or those of one image."""
    image_id = image(repo, image_name).id if image_name else None
    return [label for label, _ in repo.catalog.label_images(image_id)]


def aligned_source(
    source: PixelSource, axes: Sequence[str] | None, reference: ReferenceImage
) -> Any:
    """The pixels of ``source`` aligned to ``reference`` (what a task of a split write opens
    where it runs)."""
    return _aligned_pixels(read_pixels(source, axes), reference)


def _aligned_pixels(pixels: Pixels, reference: ReferenceImage) -> Any:
    """The label pixels in the reference image's axis order and dimensionality (lazily for
    file, Zarr and dask sources), after checking their type and shape."""
    check_label_dtype(str(pixels.data.dtype), pixels.source)
    order, covered = label_axes_order(
        pixels.axes, pixels.data.ndim, reference.axis_names, pixels.source
    )
    shape = expanded_shape([pixels.data.shape[i] for i in order], covered, reference.axis_names)
    check_label_shape(shape, reference.shape, reference.axis_names, pixels.source)
    return pixels.data.transpose(order).reshape(shape)


@dataclass(frozen=True)
class LevelOptions:
    """How the levels of a new label image are laid out and who writes them."""

    shards: Shards = None
    split: Split | None = None


def _stage_label_group(
    repo: RepositoryContext,
    store: ImageStore,
    draft: LabelImage,
    data: Any,
    label_path: str,
    source: str,
    options: LevelOptions,
) -> tuple[LabelImage, pa.Table, StagedDirectory | StagedObjects]:
    """Write the label group of ``draft`` aside: its pyramid, then its metadata with the
    content hash. The hash and the instance statistics are computed in the same pass as the
    pyramid (or by the tasks of a split write)."""
    finished: list[LabelImage] = []
    statistics = StatisticsCollector(len(draft.axes), np.dtype(data.dtype))

    def record(digest: str) -> dict[str, Any]:
        if draft.provenance.content_hash not in (None, digest):
            raise InputError(source, "provenance.content_hash", f"the hash of the pixels, {digest}")
        update = {"content_hash": digest}
        finished.append(
            draft.model_copy(update={"provenance": draft.provenance.model_copy(update=update)})
        )
        return label_attributes(finished[0])

    staged = store.stage_label_group(
        label_path,
        [data, *(None for _ in draft.levels[1:])],
        draft.axes,
        draft.levels,
        image_label_metadata(
            draft.label_schema, store.ngff_version, image_path_from_label(label_path)
        ),
        record,
        LevelWriting(
            reduction=draft.downsampling,
            observers=(statistics.add,),
            shards=options.shards,
            progress=repo.progress,
            title=f"Writing labels {label_path}",
            split=None
            if options.split is None
            else replace(options.split, collect=statistics.add_part),
        ),
    )
    try:
        label = finished[0]
        table = statistics_table(
            statistics.result(), label.id, label.axes, label.levels[0], label.label_schema
        )
    except BaseException:
        staged.discard()
        raise
    return label, table, staged
