"""Adding reference images: pixels copied into a new store, or an OME-Zarr registered in place."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.model.geometry import (
    AXIS_TYPES,
    NGFF_AXIS_ORDER,
    image_levels,
    ngff_axis_order,
)
from labelcollections.model.images import Axis, ReferenceImage
from labelcollections.model.names import check_name, new_id
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.layout import image_attributes
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.locations import looks_like_zarr, normalise
from labelcollections.storage.ome_zarr_store import (
    ImageStore,
    write_multiscale_group,
    write_plain_group,
)
from labelcollections.storage.publish import staged_directory
from labelcollections.storage.pyramid import downsample_image
from labelcollections.storage.sources import read_pixels


def add_image(
    repo: RepositoryContext,
    source: str | Path | np.ndarray,
    name: str,
    *,
    axes: Sequence[str] | None = None,
    scale: Sequence[float] | None = None,
    units: dict[str, str] | None = None,
) -> ReferenceImage:
    """Add a reference image from a TIFF/OME-TIFF/.npy file or an array, or register an
    existing OME-Zarr (path or URL) read-only."""
    check_name(name, "image name")
    if any(known.name == name for known, _ in repo.catalog.images()):
        raise ConflictError(name, "image name", "a name not used by another image")
    if isinstance(source, str | Path) and looks_like_zarr(str(source)):
        return _register_image(repo, str(source), name)
    pixels = read_pixels(source)
    data = np.asarray(pixels.data)  # reference pixels are held in memory
    if data.dtype.kind not in "uif" or data.ndim < 2 or data.ndim > 5:
        raise InputError(
            pixels.source, "pixels", f"a 2D to 5D numeric array (got {data.ndim}D {data.dtype})"
        )
    given_axes = tuple(axes or pixels.axes or NGFF_AXIS_ORDER[5 - data.ndim :])
    if len(given_axes) != data.ndim:
        raise InputError(pixels.source, "axes", f"{data.ndim} axis names (got {given_axes})")
    order = ngff_axis_order(given_axes, pixels.source)
    data = np.ascontiguousarray(np.transpose(data, order))
    axis_names = tuple(given_axes[i] for i in order)
    given_scale = scale or pixels.scale or (1.0,) * data.ndim
    levels = image_levels(data.shape, axis_names, [given_scale[i] for i in order])
    unit_map = units or pixels.units
    image = ReferenceImage(
        id=new_id(),
        name=name,
        axes=tuple(Axis(name=a, type=AXIS_TYPES.get(a), unit=unit_map.get(a)) for a in axis_names),
        dtype=str(data.dtype),
        levels=levels,
        content_hash=content_hash(data),
    )
    arrays = [data]
    for level in levels[1:]:
        arrays.append(downsample_image(arrays[-1], level.shape))
    destination = repo.layout.store_path(name)
    with staged_directory(destination) as staging:
        write_image_group(repo, staging, arrays, image, "0.5", f"Writing image {name}")
    repo.catalog.index_image(image, repo.layout.relative(destination))
    return image


def write_image_group(
    repo: RepositoryContext,
    directory: Path,
    arrays: Sequence[Any],
    image: ReferenceImage,
    ngff: NgffVersion,
    title: str,
) -> None:
    """Write an image's levels and metadata into a new (staged) group, with a progress bar."""
    with repo.progress.task(title, len(arrays)) as advance:
        write_multiscale_group(
            directory,
            arrays,
            image.axes,
            image.levels,
            ngff,
            {},
            image_attributes(image),
            name=image.name,
            on_level=lambda done, total: advance(1),
        )


def _register_image(repo: RepositoryContext, location: str, name: str) -> ReferenceImage:
    location = normalise(location)
    store = ImageStore.open(location)
    multiscale = store.multiscale()
    if multiscale is None:
        raise InputError(location, "multiscales", "an OME-Zarr image (a group with multiscales)")
    with repo.progress.task(f"Hashing {name}", 1) as advance:
        digest = content_hash(store.array(multiscale.levels[0].path))
        advance(1)
    image = ReferenceImage(
        id=new_id(),
        name=name,
        axes=multiscale.axes,
        dtype=multiscale.dtype,
        levels=multiscale.levels,
        source=location,
        content_hash=digest,
    )
    destination = repo.layout.store_path(name)
    with staged_directory(destination) as staging:
        write_plain_group(staging, image_attributes(image), store.ngff_version)
    repo.catalog.index_image(image, repo.layout.relative(destination))
    return image


def images(repo: RepositoryContext) -> list[ReferenceImage]:
    """Every reference image, by name."""
    return [image for image, _ in repo.catalog.images()]
