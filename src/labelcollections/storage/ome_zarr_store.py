"""One OME-Zarr store of a reference image with its labels and collection documents.

Layout (docs/format.md)::

    <image>.ome.zarr/
      0 … n                     reference image levels (absent for a registered image)
      labels/<collection>/<name@version>/0 … n   label images (NGFF image-label)
      collections/<collection>.json              RFC-8 collection documents

Everything of ours sits under the ``labelcollections`` attribute key of each group, beside the
NGFF ``ome`` metadata, so other readers see a plain OME-Zarr image with labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import zarr
from numcodecs import Blosc
from zarr.codecs import BloscCodec

from labelcollections.errors import InputError, NotFoundError
from labelcollections.formats.ngff.labels import (
    group_attributes,
    labels_group_metadata,
    parse_labels_group,
)
from labelcollections.formats.ngff.multiscales import (
    NgffVersion,
    multiscales_metadata,
    ngff_version_of,
    ome_attributes,
    parse_multiscales,
)
from labelcollections.formats.ngff.omero import channels_from_omero
from labelcollections.formats.ome_xml import METADATA_FILE, OME_GROUP
from labelcollections.model.images import Axis, Channel, Level
from labelcollections.progress import Progress, SilentProgress
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.locations import (
    child_folders,
    is_url,
    join,
    list_json_files,
    read_json,
    read_text,
)
from labelcollections.storage.publish import (
    Location,
    StagedDirectory,
    StagedObjects,
    location_exists,
    stage,
    withdraw,
    write_json_atomic,
    write_text_atomic,
)
from labelcollections.storage.pyramid import Reduction
from labelcollections.storage.remote import reading, remote_failure
from labelcollections.storage.sharding import Shards, shard_shape
from labelcollections.storage.split import Split, write_split
from labelcollections.storage.streaming import Observer, pass_length, write_levels

OUR_KEY = "labelcollections"
BIOFORMATS2RAW_KEY = "bioformats2raw.layout"
ZarrArray: TypeAlias = "zarr.Array[Any]"
CHUNK_SIZE = 1024
BLOSC: dict[str, Any] = {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}
"""Blosc with lz4: numcodecs' default, and the fastest to decode when viewers fetch tiles."""
Attributes = Mapping[str, Any] | Callable[[str], Mapping[str, Any]]
"""Our attributes of a group, or a function giving them from the content hash of level 0 once
the arrays are written (the hash is computed during the write)."""


@dataclass(frozen=True)
class LevelWriting:
    """How the levels of a multiscale are written: how a level is reduced to the next, who
    sees the chunks of level 0 on the way (e.g. the instance statistics), how levels are
    sharded, and where progress goes."""

    reduction: Reduction = "nearest"
    observers: Sequence[Observer] = ()
    shards: Shards = None
    progress: Progress | None = None
    title: str = ""
    split: Split | None = None
    """Write as tasks of a runner instead of in one pass here (:mod:`.split`); the observers
    are then left out, the split's summaries take their place."""


@dataclass(frozen=True)
class Multiscale:
    """The multiscale metadata of a group with the shapes of its level arrays."""

    axes: tuple[Axis, ...]
    levels: tuple[Level, ...]
    dtype: str


def chunks_for(shape: Sequence[int], axes: Sequence[str]) -> tuple[int, ...]:
    """One plane per chunk in t, c, z; square tiles of CHUNK_SIZE in y and x."""
    return tuple(
        min(n, CHUNK_SIZE) if name in ("y", "x") else 1 for n, name in zip(shape, axes, strict=True)
    )


def write_multiscale_group(
    directory: Location,
    levels: Sequence[Any | None],
    axes: Sequence[Axis],
    level_meta: Sequence[Level],
    version: NgffVersion,
    extra_ome: Mapping[str, Any],
    our_attributes: Attributes | None,
    name: str,
    writing: LevelWriting | None = None,
) -> str:
    """Write a complete multiscale group (arrays first, metadata last) into an empty directory
    in one streaming pass; return the content hash of level 0.

    ``levels[i]`` is the pixels of level i (numpy, Zarr or dask), or None for a level reduced
    from the one above (see :class:`LevelWriting`).
    """
    how = writing or LevelWriting()
    zarr_format: Literal[2, 3] = 3 if version == "0.5" else 2
    if zarr_format == 2 and how.shards:
        raise InputError(name, "shards", "NGFF 0.5 (Zarr v3) for sharding, or no --shards")
    group = zarr.open_group(str(directory), mode="w", zarr_format=zarr_format)
    axis_names = [axis.name for axis in axes]
    source = levels[0]
    if source is None:
        raise ValueError("level 0 needs pixels")
    data_type = np.dtype(source.dtype).newbyteorder("=")
    arrays = [
        _create_array(group, meta.path, meta.shape, data_type, axis_names, zarr_format, how.shards)
        for meta in level_meta
    ]
    title = how.title or f"Writing {name}"
    if how.split is not None:
        with (how.progress or SilentProgress()).task(title, 1) as advance:
            digest = write_split(arrays, how.split, how.reduction, keep=_holds_data)
            advance(1)
    else:
        with (how.progress or SilentProgress()).task(title, pass_length(arrays, levels)) as advance:
            digest = write_levels(
                arrays,
                levels,
                how.reduction,
                keep=_holds_data,
                observers=how.observers,
                advance=advance,
            )
    content = {"multiscales": multiscales_metadata(name, axes, level_meta, version), **extra_ome}
    attributes: dict[str, Any] = dict(group_attributes(content, version))
    if our_attributes is not None:
        ours = our_attributes(digest) if callable(our_attributes) else our_attributes
        attributes[OUR_KEY] = dict(ours)
    group.attrs.update(attributes)
    return digest


def _create_array(
    group: zarr.Group,
    name: str,
    shape: Sequence[int],
    dtype: np.dtype[Any],
    axis_names: list[str],
    zarr_format: int,
    shards: Shards,
) -> ZarrArray:
    chunks = chunks_for(shape, axis_names)
    if zarr_format == 3:
        return group.create_array(
            name,
            shape=tuple(shape),
            dtype=dtype,
            chunks=chunks,
            shards=shard_shape(shape, chunks, axis_names, shards),
            compressors=BloscCodec(**BLOSC),
            dimension_names=axis_names,
            fill_value=0,
            config={"write_empty_chunks": True},
        )
    return group.create_array(
        name,
        shape=tuple(shape),
        dtype=dtype,
        chunks=chunks,
        compressors=Blosc(cname=BLOSC["cname"], clevel=BLOSC["clevel"], shuffle=Blosc.SHUFFLE),
        chunk_key_encoding={"name": "v2", "separator": "/"},
        fill_value=0,
        config={"write_empty_chunks": True},
    )


def _holds_data(pixels: np.ndarray) -> bool:
    """Whether a chunk differs from the fill value 0 in any bit (all-zero chunks stay absent);
    read in place when its rows are contiguous, as the parts of a band are."""
    if pixels.ndim and pixels.strides[-1] == pixels.itemsize:
        return bool(pixels.view(np.uint8).any())
    return bool(pixels.reshape(-1).view(np.uint8).any())


def write_ome_xml(directory: Location, document: str, version: NgffVersion) -> None:
    """Keep OME-XML beside the image at ``OME/METADATA.ome.xml``, as bioformats2raw does."""
    write_plain_group(join(str(directory), OME_GROUP), {}, version)
    write_text_atomic(join(str(directory), OME_GROUP, METADATA_FILE), document)


def write_plain_group(
    directory: Location, attributes: Mapping[str, Any], version: NgffVersion
) -> None:
    """Write (or replace, in one rename or one PUT) the metadata of a group that holds no
    arrays."""
    folder = str(directory)
    if not is_url(folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
    if version == "0.5":
        document = {"zarr_format": 3, "node_type": "group", "attributes": dict(attributes)}
        write_json_atomic(join(folder, "zarr.json"), document)
    else:
        write_json_atomic(join(folder, ".zgroup"), {"zarr_format": 2})
        write_json_atomic(join(folder, ".zattrs"), dict(attributes))


class ImageStore:
    """An OME-Zarr image store, local or on object storage (any fsspec URL), writable when
    opened so."""

    def __init__(self, location: str, group: zarr.Group, writable: bool) -> None:
        self.location = location
        self.group = group
        self.writable = writable

    @classmethod
    def open(cls, location: str, writable: bool = False) -> ImageStore:
        """Open an existing store at a path or URL."""
        if not is_url(location) and not Path(location).exists():
            raise NotFoundError(location, "store", "an existing OME-Zarr store")
        try:
            group = _open_group(location, writable)
        except (FileNotFoundError, KeyError, ValueError, OSError) as error:
            failure = remote_failure(error, location) if is_url(location) else None
            expected = f"a readable Zarr group ({error})"
            raise failure or InputError(location, "store", expected) from None
        return cls(location, group, writable)

    # -- metadata -----------------------------------------------------------------------------

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.group.attrs.asdict())

    @property
    def ngff_version(self) -> NgffVersion:
        version = ngff_version_of(self.attributes)
        if version is not None:
            return version
        return "0.5" if self.group.metadata.zarr_format == 3 else "0.4"

    @property
    def ours(self) -> dict[str, Any]:
        """Our attributes of the root group (empty for third-party stores)."""
        value = self.attributes.get(OUR_KEY, {})
        return dict(value) if isinstance(value, Mapping) else {}

    def multiscale(self, path: str = "") -> Multiscale | None:
        """The multiscale at ``path`` (root by default), or None if it has none."""
        group = self.group if not path else self._subgroup(path)
        attributes = dict(group.attrs.asdict())
        ome = ome_attributes(attributes)
        if "multiscales" not in ome:
            return None
        source = join(self.location, path) if path else self.location
        axes, levels = parse_multiscales(ome["multiscales"], source)
        arrays = [self._array(join_key(path, level.path)) for level in levels]
        sized = tuple(
            level.model_copy(update={"shape": tuple(array.shape)})
            for level, array in zip(levels, arrays, strict=True)
        )
        return Multiscale(axes=axes, levels=sized, dtype=str(arrays[0].dtype))

    def image_series(self) -> str | None:
        """For a bioformats2raw-layout store: the path of its first image series (``OME``'s
        ``series`` list, else ``0``); None for any other store."""
        if BIOFORMATS2RAW_KEY not in ome_attributes(self.attributes):
            return None
        listed: Any = []
        if OME_GROUP in self.group:
            listed = ome_attributes(self.group_attributes(OME_GROUP)).get("series", [])
        first = listed[0] if isinstance(listed, list) and listed else "0"
        if not isinstance(first, str) or first not in self.group:
            raise InputError(self.location, f"{OME_GROUP}.series", "the path of an image series")
        return first

    def ome_xml(self) -> str | None:
        """The OME-XML kept beside the image (``OME/METADATA.ome.xml``), if any."""
        try:
            return read_text(join(self.location, OME_GROUP, METADATA_FILE))
        except NotFoundError:
            return None

    def channels(self, image_path: str = "") -> tuple[Channel, ...] | None:
        """Channel names and colours of the NGFF ``omero`` metadata of the image at
        ``image_path`` (the root by default)."""
        attributes = self.group_attributes(image_path) if image_path else self.attributes
        return channels_from_omero(ome_attributes(attributes).get("omero"))

    def group_attributes(self, path: str) -> dict[str, Any]:
        return dict(self._subgroup(path).attrs.asdict())

    def array(self, path: str) -> ZarrArray:
        """A level array by its key from the store root, e.g. ``labels/a/b@v1/0``."""
        return self._array(path)

    def label_paths(self, image_path: str = "") -> list[str]:
        """Label images listed in the ``labels`` group of the image at ``image_path`` (the
        root by default; the published ones only)."""
        labels = join_key(image_path, "labels")
        if labels not in self.group:
            return []
        return parse_labels_group(dict(self._subgroup(labels).attrs.asdict()))

    def collection_names(self) -> list[str]:
        return list_json_files(join(self.location, "collections"))

    def collection_document(self, name: str) -> Any:
        return read_json(join(self.location, "collections", f"{name}.json"))

    # -- writing ------------------------------------------------------------------------------

    def stage_label_group(
        self,
        label_path: str,
        levels: Sequence[Any | None],
        axes: Sequence[Axis],
        level_meta: Sequence[Level],
        image_label: Mapping[str, Any],
        our_attributes: Attributes,
        writing: LevelWriting | None = None,
    ) -> StagedDirectory | StagedObjects:
        """Write a label image aside, where no reader sees it, for :meth:`publish_label_group`
        (on object storage: in place, unlisted).

        Neither the image nor any other label image is touched, so writers of one store can
        stage at the same time (on object storage, writers of one image take turns).
        """
        self._check_writable()
        version = self.ngff_version
        self._check_new_label_path(label_path)
        staged = stage(join(self.location, "labels", label_path))
        try:
            write_multiscale_group(
                staged.path,
                levels,
                axes,
                level_meta,
                version,
                {"image-label": dict(image_label)},
                our_attributes,
                name=label_path,
                writing=writing,
            )
        except BaseException:
            staged.discard()
            raise
        return staged

    def publish_label_group(self, label_path: str, staged: StagedDirectory | StagedObjects) -> None:
        """Move a staged label image into place, then list it in ``labels``.

        Listing is the publishing step: until it happens no reader sees the label image. The
        listing is read, extended and replaced, so concurrent writers of one store must hold
        the image's write lock (see ``Catalog.writing``) around this call.
        """
        self.reopen()
        self._check_new_label_path(label_path)
        version = self.ngff_version
        labels = join(self.location, "labels")
        for parent in _parents(label_path):
            if not location_exists(join(labels, parent, _metadata_file(version))):
                write_plain_group(join(labels, parent), {}, version)
        staged.publish()
        listed = [*self.label_paths(), label_path]
        write_plain_group(labels, labels_group_metadata(listed, version), version)
        self.reopen()

    def withdraw_label_groups(self, keep: set[str]) -> None:
        """Unlist and remove every label group but those at the paths in ``keep`` (rolling
        back what a writer published without committing it)."""
        listed = self.label_paths()
        version = self.ngff_version
        labels = join(self.location, "labels")
        if any(path not in keep for path in listed):
            kept = [path for path in listed if path in keep]
            write_plain_group(labels, labels_group_metadata(kept, version), version)
        for name in child_folders(labels):
            if not any(path == name or path.startswith(f"{name}/") for path in keep):
                withdraw(join(labels, name))
        self.reopen()

    def reopen(self) -> None:
        """Read the group's metadata again after writing below it."""
        self.group = _open_group(self.location, self.writable)

    def write_collection_document(self, name: str, document: Mapping[str, Any]) -> None:
        self._check_writable()
        write_json_atomic(join(self.location, "collections", f"{name}.json"), document)

    def _check_writable(self) -> None:
        if not self.writable:
            raise InputError(self.location, "store", "a store opened for writing")

    def remove_collection_document(self, name: str) -> None:
        self._check_writable()
        withdraw(join(self.location, "collections", f"{name}.json"))

    def _check_new_label_path(self, label_path: str) -> None:
        """A label path neither listed nor (on a file system) there: on object storage an
        unlisted group there is a leftover, replaced by the next write."""
        destination = join(self.location, "labels", label_path)
        if label_path in self.label_paths() or (
            not is_url(destination) and Path(destination).exists()
        ):
            raise InputError(self.location, "labels", f"a new label path (got {label_path!r})")

    # -- internals ----------------------------------------------------------------------------

    def _subgroup(self, path: str) -> zarr.Group:
        node = self._node(path, "group")
        assert isinstance(node, zarr.Group)
        return node

    def _array(self, path: str) -> ZarrArray:
        node = self._node(path, "array")
        assert isinstance(node, zarr.Array)
        return node

    def _node(self, path: str, kind: Literal["group", "array"]) -> zarr.Group | ZarrArray:
        try:
            node = self.group[path]
        except KeyError:
            raise NotFoundError(self.location, path, f"an existing Zarr {kind}") from None
        except Exception as error:  # broken metadata fails inside zarr, each way its own
            raise InputError(
                self.location, path, f"readable Zarr metadata ({type(error).__name__}: {error})"
            ) from None
        expected = zarr.Group if kind == "group" else zarr.Array
        if not isinstance(node, expected):
            other = "an array" if kind == "group" else "a group"
            raise InputError(self.location, path, f"a Zarr {kind}, not {other}")
        return node


def _open_group(location: str, writable: bool) -> zarr.Group:
    """The Zarr group at a path or URL. At a URL, Zarr v3 metadata is asked for alone first:
    Zarr otherwise asks for four files at once, and when one request fails the other three
    are still under way as the command exits."""
    mode: Literal["r+", "r"] = "r+" if writable else "r"
    if not is_url(location):
        return zarr.open_group(location, mode=mode)
    with reading(location):
        try:
            return zarr.open_group(location, mode=mode, zarr_format=3)
        except FileNotFoundError:
            return zarr.open_group(location, mode=mode, zarr_format=2)


def stored_hash(location: str, key: str) -> str:
    """The content hash of the array ``key`` of the store at ``location``, read in bands (a
    function of plain arguments, so it runs anywhere: a thread, a Dask worker)."""
    return content_hash(ImageStore.open(location).array(key))


def join_key(*parts: str) -> str:
    """Join Zarr keys, skipping empty parts."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _metadata_file(version: NgffVersion) -> str:
    return "zarr.json" if version == "0.5" else ".zgroup"
