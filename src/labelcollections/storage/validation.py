"""``validate``: check an RFC-8 collection document or an OME-Zarr store before anyone relies on it.

NGFF image and label metadata are checked by ome-zarr-models; RFC-8 documents by our rule set;
on top come the label rules NGFF states in prose (integer pixels, the image's number of levels,
matching shapes), which no schema expresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import zarr
from ome_zarr_models.v04.image import Image as ImageV04
from ome_zarr_models.v04.image_label import ImageLabel as ImageLabelV04
from ome_zarr_models.v05.image import Image as ImageV05
from ome_zarr_models.v05.image_label import ImageLabel as ImageLabelV05
from pydantic import ValidationError
from zarr.core.metadata import ArrayV3Metadata

from labelcollections.errors import InputError
from labelcollections.formats.collection_document import COLLECTION_KEY, from_document
from labelcollections.formats.ngff.multiscales import ome_attributes
from labelcollections.formats.rfc8 import check_document
from labelcollections.model.geometry import check_label_dtype, check_label_shape
from labelcollections.storage.locations import ZIPPED_SUFFIX, is_url, normalise, read_json
from labelcollections.storage.ome_zarr_store import ImageStore, Multiscale, join_key


def validate_path(path: str) -> str:
    """Validate a document or a store (a folder, a zipped ``.ozx`` file or a URL); return a
    one-line summary or raise :class:`InputError`."""
    zipped = path.lower().endswith(ZIPPED_SUFFIX)
    if not is_url(path) and Path(path).is_file() and not zipped:
        return validate_document_file(path)
    return validate_store(normalise(path))


def validate_document_file(path: str) -> str:
    data = read_json(path)
    return validate_document(data, path)


def validate_document(data: Any, source: str) -> str:
    """An RFC-8 document (``{"ome": …}``); ours are also checked as collections."""
    ome = data.get("ome") if isinstance(data, Mapping) else None
    if not isinstance(ome, Mapping):
        raise InputError(source, "ome", "an object holding the RFC-8 document")
    check_document(ome, source)
    nodes = ome.get("nodes") or []
    if COLLECTION_KEY in (ome.get("attributes") or {}):
        document = from_document(data, source)
        return (
            f"collection {document.collection.name!r} of image {document.image.name!r}"
            f" with {len(document.labels)} label images"
        )
    return f"RFC-8 {ome.get('type')} {ome.get('name')!r} with {len(nodes)} nodes"


def validate_store(location: str) -> str:
    """An OME-Zarr image store, its label images and collection documents."""
    store = ImageStore.open(location)
    ome = ome_attributes(store.attributes)
    if ome.get("type") is not None:
        check_document(ome, location)
        return f"RFC-8 {ome.get('type')} {ome.get('name')!r}"
    version = store.ngff_version
    image_model, label_model = (
        (ImageV05, ImageLabelV05) if version == "0.5" else (ImageV04, ImageLabelV04)
    )
    image = store.multiscale()
    if image is None:
        raise InputError(location, "multiscales", "an OME-Zarr image")
    _check_omero_windows(ome, location)
    _check_model(image_model, _image_group_alone(store.group, image), location)
    axes = tuple(axis.name for axis in image.axes)
    labels = store.label_paths()
    for path in labels:
        source = f"{location}/labels/{path}"
        group = store.group[join_key("labels", path)]
        assert isinstance(group, zarr.Group)
        _check_model(label_model, group, source)
        label = store.multiscale(join_key("labels", path))
        if label is None:
            raise InputError(source, "multiscales", "a label image with multiscales")
        check_label_dtype(label.dtype, source)
        if len(label.levels) != len(image.levels):
            raise InputError(
                source,
                "multiscales[0].datasets",
                f"{len(image.levels)} levels like the image (got {len(label.levels)})",
            )
        for index, (level, image_level) in enumerate(zip(label.levels, image.levels, strict=True)):
            check_label_shape(level.shape, image_level.shape, axes, f"{source}/{index}")
    for name in store.collection_names():
        validate_document(store.collection_document(name), f"{location}/collections/{name}.json")
    return (
        f"OME-Zarr {version} image with {len(image.levels)} levels, {len(labels)} label images,"
        f" {len(store.collection_names())} collection documents"
    )


def _check_omero_windows(ome: Mapping[str, Any], source: str) -> None:
    """NGFF's schemas require a complete rendering window; ome-zarr-models does not check it."""
    channels = (
        ome.get("omero", {}).get("channels", []) if isinstance(ome.get("omero"), Mapping) else []
    )
    for index, channel in enumerate(channels):
        window = channel.get("window") if isinstance(channel, Mapping) else None
        if window is None:
            continue
        missing = [
            k for k in ("min", "max", "start", "end") if not isinstance(window.get(k), int | float)
        ]
        if missing:
            raise InputError(
                source,
                f"omero.channels[{index}].window",
                f"numbers min, max, start and end (missing {', '.join(missing)})",
            )


def _image_group_alone(group: zarr.Group, image: Multiscale) -> zarr.Group:
    """The image group's metadata and level arrays without its ``labels`` subgroup.

    ome-zarr-models (1.7) cannot follow nested label paths such as ``collection/name@v1``,
    which NGFF 0.5 allows ("intermediate groups"), so the image is checked on its own and each
    label group separately.
    """
    zarr_format = group.metadata.zarr_format
    alone = zarr.open_group(zarr.storage.MemoryStore(), mode="w", zarr_format=zarr_format)
    alone.attrs.update(group.attrs.asdict())
    for level in image.levels:
        array = group[level.path]
        assert isinstance(array, zarr.Array)
        options: dict[str, Any] = {}
        if isinstance(array.metadata, ArrayV3Metadata):
            options["dimension_names"] = array.metadata.dimension_names
        alone.create_array(
            level.path, shape=array.shape, dtype=array.dtype, chunks=array.chunks, **options
        )
    return alone


def _check_model(model: Any, group: zarr.Group, source: str) -> None:
    try:
        model.from_zarr(group)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise InputError(source, location or "attributes", str(first["msg"])) from None
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(source, "attributes", f"valid OME-Zarr metadata ({error})") from None
