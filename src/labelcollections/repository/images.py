"""Adding reference images: pixels copied into a new store, or an OME-Zarr registered in place."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelcollections.catalog import CatalogReader, TableRecord
from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.formats.ngff.omero import omero_metadata
from labelcollections.model.collection import LabelCollection
from labelcollections.model.geometry import AXIS_TYPES, halving_prefix, image_levels
from labelcollections.model.images import Axis, LabelImage, ReferenceImage
from labelcollections.model.names import check_name, new_id
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.journal import Intent, publishing
from labelcollections.repository.layout import image_attributes
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.locations import join, looks_like_zarr, normalise
from labelcollections.storage.ome_zarr_store import (
    OUR_KEY,
    ImageStore,
    LevelWriting,
    Multiscale,
    write_multiscale_group,
    write_ome_xml,
    write_plain_group,
)
from labelcollections.storage.publish import Location, stage
from labelcollections.storage.sharding import Shards
from labelcollections.storage.sources import in_ngff_order, read_pixels


def add_image(
    repo: RepositoryContext,
    source: str | Path | np.ndarray,
    name: str,
    *,
    axes: Sequence[str] | None = None,
    scale: Sequence[float] | None = None,
    units: dict[str, str] | None = None,
    shards: Shards = None,
) -> ReferenceImage:
    """Add a reference image from a TIFF/OME-TIFF/.npy file or an array, or register an
    existing OME-Zarr (path or URL) read-only.

    Files are read chunk by chunk and written in one streaming pass (pyramid and content hash
    included), so images larger than memory can be added. ``axes`` names the source's axes
    (``zyx``), ``scale`` the pixel size along each of them; ``shards`` see
    :mod:`labelcollections.storage.sharding`.
    """
    check_name(name, "image name")
    with repo.catalog.reading() as reader:
        check_new_image(reader, name)
    if isinstance(source, str | Path) and looks_like_zarr(str(source)):
        return _register_image(repo, str(source), name)
    given = read_pixels(source, axes)
    pixels = in_ngff_order(given)
    data = pixels.data
    if data.dtype.kind not in "uif" or not 2 <= data.ndim <= 5 or 0 in data.shape:
        raise InputError(
            pixels.source,
            "pixels",
            f"a 2D to 5D numeric array without empty axes (got shape {data.shape}, {data.dtype})",
        )
    axis_names = pixels.axes or ()
    if scale is not None and len(scale) != data.ndim:
        raise InputError(pixels.source, "scale", f"{data.ndim} pixel sizes (got {len(scale)})")
    sizes = dict(zip(given.axes or axis_names, scale, strict=True)) if scale else pixels.sizes
    reused = halving_prefix([level.shape for level in pixels.levels], axis_names)
    levels = image_levels(
        data.shape, axis_names, [sizes.get(axis, 1.0) for axis in axis_names], reused
    )
    unit_map = units or pixels.units
    draft = ReferenceImage(
        id=new_id(),
        name=name,
        axes=tuple(Axis(name=a, type=AXIS_TYPES.get(a), unit=unit_map.get(a)) for a in axis_names),
        dtype=str(data.dtype),
        levels=levels,
        channels=pixels.channels or None,
    )
    sources: list[Any | None] = [*pixels.levels[: len(reused)]]
    sources += [None] * (len(levels) - len(sources))
    with new_store(repo, name) as staging:
        staging.image = write_image_group(
            repo,
            staging.path,
            sources,
            draft,
            ImageWriting(title=f"Writing image {name}", shards=shards, ome_xml=pixels.ome_xml),
        )
    return staging.image


@dataclass
class NewStore:
    """A new image store being written aside, and what to index with it when published: the
    image (once written) and what it brings."""

    path: Location
    image: ReferenceImage | None = None
    labels: list[tuple[LabelImage, str]] = field(default_factory=list)
    collections: Sequence[LabelCollection] = ()
    tables: list[TableRecord] = field(default_factory=list)


@contextmanager
def new_store(repo: RepositoryContext, name: str) -> Iterator[NewStore]:
    """The store of a new image named ``name``, written aside in the block, then published
    and indexed (with what the block put in the yielded :class:`NewStore`) in the image's
    write transaction."""
    destination = repo.layout.store_path(name)
    if isinstance(destination, Path) and destination.exists():
        raise ConflictError(name, "image", "an image not yet in this repository")
    if not isinstance(destination, Path):  # object storage: what is there unindexed is a leftover
        with repo.catalog.reading() as reader:
            check_new_image(reader, name)
    staged = stage(destination)
    try:
        pending = NewStore(staged.path)
        yield pending
        image = pending.image
        assert image is not None, "the block writes the image"
        with publishing(repo, Intent(image.id, name, new_image=True)) as writer:
            check_new_image(writer, name, image.id)
            staged.publish()
            entry = (image, repo.layout.relative(destination), pending.labels,
                     pending.collections, pending.tables)  # fmt: skip
            writer.add_entries([entry])
    finally:
        staged.discard()


def check_new_image(reader: CatalogReader, name: str, image_id: str | None = None) -> None:
    """No image named ``name`` (or with id ``image_id``) may be indexed yet."""
    for key in (name, image_id):
        known = reader.image(key) if key else None
        if known is not None and key in (known.name, known.id if image_id else None):
            raise ConflictError(name, "image", "an image not yet in this repository")


@dataclass(frozen=True)
class ImageWriting:
    """Options of writing an image group: NGFF version, progress title, shards, the OME-XML
    to keep beside it, and the content hash the pixels must have (export, import)."""

    title: str
    ngff: NgffVersion = "0.5"
    shards: Shards = None
    ome_xml: str | None = None
    expected_hash: str | None = None


def write_image_group(
    repo: RepositoryContext,
    directory: Location,
    levels: Sequence[Any | None],
    image: ReferenceImage,
    options: ImageWriting,
) -> ReferenceImage:
    """Write an image's levels and metadata into a new (staged) group in one streaming pass;
    return the image with its content hash."""
    finished: list[ReferenceImage] = []

    def record(digest: str) -> dict[str, Any]:
        if options.expected_hash not in (None, digest):
            raise InputError(
                image.name, "pixels", f"pixels matching the recorded hash {options.expected_hash}"
            )
        finished.append(image.model_copy(update={"content_hash": digest}))
        return image_attributes(finished[0])

    extra = (
        {"omero": omero_metadata(image.channels, image.dtype or "uint8")} if image.channels else {}
    )
    write_multiscale_group(
        directory,
        levels,
        image.axes,
        image.levels,
        options.ngff,
        extra,
        record,
        name=image.name,
        writing=LevelWriting(
            reduction="mean", shards=options.shards, progress=repo.progress, title=options.title
        ),
    )
    if options.ome_xml is not None:
        write_ome_xml(directory, options.ome_xml, options.ngff)
    return finished[0]


def _register_image(repo: RepositoryContext, location: str, name: str) -> ReferenceImage:
    """Register an OME-Zarr image in place: a multiscale group, or the first series of a
    bioformats2raw-layout store (whose OME-XML is kept)."""
    store, multiscale, ome_xml = _registered(location)
    location = store.location
    with repo.progress.task(f"Hashing {name}", 1) as advance:
        digest = content_hash(store.array(multiscale.levels[0].path))
        advance(1)
    image = ReferenceImage(
        id=new_id(),
        name=name,
        axes=multiscale.axes,
        dtype=multiscale.dtype,
        levels=multiscale.levels,
        channels=store.channels(),
        source=location,
        content_hash=digest,
    )
    with new_store(repo, name) as staging:
        write_plain_group(staging.path, {OUR_KEY: image_attributes(image)}, store.ngff_version)
        if ome_xml is not None:
            write_ome_xml(staging.path, ome_xml, store.ngff_version)
        staging.image = image
    return image


def present_image(
    repo: RepositoryContext,
    source: str | Path | np.ndarray,
    name: str,
    *,
    axes: Sequence[str] | None = None,
) -> ReferenceImage | None:
    """The image ``name`` if it is there with the pixels of ``source`` (compared by content
    hash, read in one pass); None if there is no image of that name. An image of that name
    with other pixels is a :class:`ConflictError`."""
    known = repo.catalog.image(name, by="name")
    if known is None:
        return None
    if isinstance(source, str | Path) and looks_like_zarr(str(source)):
        store, multiscale, _ = _registered(str(source))
        digest = content_hash(store.array(multiscale.levels[0].path))
    else:
        digest = content_hash(in_ngff_order(read_pixels(source, axes)).data)
    if digest != known.content_hash:
        raise ConflictError(name, "image", f"the pixels of the image already there ({digest})")
    return known


def _registered(location: str) -> tuple[ImageStore, Multiscale, str | None]:
    """The store of an OME-Zarr image to register (a multiscale group, or the first series of
    a bioformats2raw-layout store), its multiscale and the OME-XML kept beside it."""
    store = ImageStore.open(normalise(location))
    ome_xml = store.ome_xml()
    series = store.image_series()
    if series is not None:
        store = ImageStore.open(join(store.location, series))
    multiscale = store.multiscale()
    if multiscale is None:
        raise InputError(
            store.location, "multiscales", "an OME-Zarr image (a group with multiscales)"
        )
    return store, multiscale, ome_xml


def images(
    repo: RepositoryContext, plate: str | None = None, well: str | None = None
) -> list[ReferenceImage]:
    """Every reference image, by name (the fields of a plate, or of one of its wells)."""
    return [image for image, _ in repo.catalog.images(plate, well)]
