"""The repository: OME-Zarr stores plus the catalog that indexes them. Every use case lives here.

On disk::

    <repo>/
      labelcollections.json          marks the folder as a repository
      catalog.sqlite                 the index (rebuildable from the stores)
      images/<image>.ome.zarr/       one store per reference image, with its labels and collections

The stores are the truth; the catalog is updated after each store write, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zarr

from labelcollections import __version__
from labelcollections.catalog import (
    Catalog,
    Correspondence,
    InstanceMatch,
    InstanceSummary,
    LabelImageFilter,
    TableRecord,
)
from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.formats.collection_document import (
    document_paths,
    from_document,
    to_document,
)
from labelcollections.formats.ngff.labels import (
    image_label_metadata,
    image_path_from_label,
    labels_group_metadata,
)
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.instances import Comparison, compare_labels, instance_table
from labelcollections.instances.table import block_count
from labelcollections.model.collection import LabelCollection
from labelcollections.model.geometry import (
    AXIS_TYPES,
    NGFF_AXIS_ORDER,
    check_label_dtype,
    check_label_shape,
    expanded_shape,
    image_levels,
    label_axes_order,
    label_levels,
    ngff_axis_order,
)
from labelcollections.model.images import Axis, LabelImage, ReferenceImage
from labelcollections.model.label_schema import LabelSchema
from labelcollections.model.names import check_name, new_id
from labelcollections.model.provenance import Provenance, utc_now
from labelcollections.model.records import to_record
from labelcollections.model.references import choose_label
from labelcollections.model.vocabulary import Downsampling, LabelType, Method
from labelcollections.progress import Progress, SilentProgress
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.importing import (
    ImportPlan,
    PlannedLabel,
    PlannedTable,
    plan_import,
)
from labelcollections.storage.locations import is_url, normalise
from labelcollections.storage.ome_zarr_store import (
    OUR_KEY,
    ImageStore,
    ZarrArray,
    join_key,
    write_multiscale_group,
    write_plain_group,
)
from labelcollections.storage.publish import remove_leftovers, staged_directory, write_json_atomic
from labelcollections.storage.pyramid import (
    contiguous,
    downsample_image,
    downsample_labels,
)
from labelcollections.storage.sources import PixelSource, read_pixels
from labelcollections.storage.table_sources import read_feature_table
from labelcollections.storage.tables import (
    INSTANCE_KEY,
    feature_table_attributes,
    read_table,
    table_attributes,
    table_names,
    write_table,
)

MARKER_FILE = "labelcollections.json"
CATALOG_FILE = "catalog.sqlite"
IMAGES_DIR = "images"
STORE_SUFFIX = ".ome.zarr"
REPOSITORY_FORMAT = {"format": "labelcollections-repository", "version": 1}


@dataclass(frozen=True)
class VerifyProblem:
    """A recorded hash that the pixels no longer match."""

    what: str
    recorded: str | None
    actual: str


@dataclass(frozen=True)
class Instance:
    """One object of a label image: its instance-table row and the objects of other versions
    recorded as the same object."""

    id: str
    label_image: LabelImage
    row: dict[str, Any]
    matches: tuple[InstanceMatch, ...]


@dataclass(frozen=True)
class ImportResult:
    image: ReferenceImage
    collections: tuple[LabelCollection, ...]
    labels: tuple[LabelImage, ...]


def open_repository(path: str | Path, progress: Progress | None = None) -> Repository:
    """Open an existing repository (the Python API's entry point)."""
    return Repository.open(path, progress)


class Repository:
    """A local repository of reference images, label images and collections."""

    def __init__(self, root: Path, progress: Progress | None = None) -> None:
        self.root = root
        self.progress: Progress = progress or SilentProgress()
        self.catalog = Catalog(f"sqlite:///{root / CATALOG_FILE}")

    # -- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def init(cls, path: str | Path, progress: Progress | None = None) -> Repository:
        """Create a repository in an empty (or new) folder."""
        root = Path(path).expanduser().resolve()
        if (root / MARKER_FILE).exists():
            raise ConflictError(str(root), "repository", "a folder that is not a repository yet")
        if root.exists() and any(root.iterdir()):
            raise ConflictError(str(root), "folder", "an empty or new folder")
        (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        write_json_atomic(root / MARKER_FILE, REPOSITORY_FORMAT)
        return cls(root, progress)

    @classmethod
    def open(cls, path: str | Path, progress: Progress | None = None) -> Repository:
        root = Path(path).expanduser().resolve()
        if not (root / MARKER_FILE).is_file():
            raise NotFoundError(str(root), "repository", f"a folder made by 'init' ({MARKER_FILE})")
        return cls(root, progress)

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reference images ---------------------------------------------------------------------

    def add_image(
        self,
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
        if any(image.name == name for image, _ in self.catalog.images()):
            raise ConflictError(name, "image name", "a name not used by another image")
        if isinstance(source, str | Path) and _looks_like_zarr(str(source)):
            return self._register_image(str(source), name)
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
            axes=tuple(
                Axis(name=a, type=AXIS_TYPES.get(a), unit=unit_map.get(a)) for a in axis_names
            ),
            dtype=str(data.dtype),
            levels=levels,
            content_hash=content_hash(data),
        )
        arrays = [data]
        for level in levels[1:]:
            arrays.append(downsample_image(arrays[-1], level.shape))
        destination = self._store_path(name)
        with (
            self.progress.task(f"Writing image {name}", len(arrays)) as advance,
            staged_directory(destination) as staging,
        ):
            write_multiscale_group(
                staging,
                arrays,
                image.axes,
                image.levels,
                "0.5",
                {},
                _image_attributes(image),
                name=name,
                on_level=lambda done, total: advance(1),
            )
        self.catalog.index_image(image, self._relative(destination))
        return image

    def _register_image(self, location: str, name: str) -> ReferenceImage:
        location = normalise(location)
        store = ImageStore.open(location)
        multiscale = store.multiscale()
        if multiscale is None:
            raise InputError(
                location, "multiscales", "an OME-Zarr image (a group with multiscales)"
            )
        with self.progress.task(f"Hashing {name}", 1) as advance:
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
        destination = self._store_path(name)
        with staged_directory(destination) as staging:
            write_plain_group(staging, _image_attributes(image), store.ngff_version)
        self.catalog.index_image(image, self._relative(destination))
        return image

    def images(self) -> list[ReferenceImage]:
        return [image for image, _ in self.catalog.images()]

    def image(self, name_or_id: str) -> ReferenceImage:
        for image, _ in self.catalog.images():
            if name_or_id in (image.name, image.id):
                return image
        raise NotFoundError(name_or_id, "image", f"an image of the repository at {self.root}")

    def image_levels(self, image: ReferenceImage) -> list[ZarrArray]:
        """The reference pixels, level by level (read from the source if registered)."""
        store = ImageStore.open(image.source) if image.source else self._store(image)
        return [store.array(level.path) for level in image.levels]

    # -- label images -------------------------------------------------------------------------

    def add_labels(
        self,
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
    ) -> LabelImage:
        """Add a label image of ``image_name`` to ``collection`` (created when new).

        The pixels must be integers with the image's shape (or 1 in an irrelevant axis). The
        pyramid gets the image's number of levels; content hashes go into the provenance.
        """
        image = self.image(image_name)
        check_name(collection, "collection name")
        check_name(name, "label image name")
        check_name(version, "label image version")
        pixels = read_pixels(source)
        check_label_dtype(str(pixels.data.dtype), pixels.source)
        order, covered = label_axes_order(
            axes or pixels.axes, pixels.data.ndim, image.axis_names, pixels.source
        )
        shape = expanded_shape([pixels.data.shape[i] for i in order], covered, image.axis_names)
        data = np.transpose(pixels.data, order).reshape(shape)
        check_label_shape(shape, image.shape, image.axis_names, pixels.source)
        label_type = LabelType(label_type)
        known = self.catalog.label_images(image.id)
        key = f"{name}@{version}"
        if any(label.key == key for label, _ in known):
            raise ConflictError(
                key, "label image", f"a name and version not yet used on {image.name}"
            )
        derived_from = provenance.derived_from
        if derived_from is not None:
            derived_from = self.label_image(derived_from, image.name).id
        levels = label_levels(shape, image.levels)
        draft = LabelImage(
            id=new_id(),
            name=name,
            version=version,
            image_id=image.id,
            label_type=label_type,
            label_schema=label_schema or LabelSchema(),
            provenance=provenance.model_copy(
                update={"reference_hash": image.content_hash, "derived_from": derived_from}
            ),
            axes=image.axes,
            dtype=str(data.dtype),
            levels=levels,
            downsampling=downsampling,
        )
        store = self._store(image, writable=True)
        label_path = f"{collection}/{draft.key}"
        finished: list[LabelImage] = []
        # The hash and the instance table are computed beside the pyramid and the compression;
        # the hash is waited for only when the label group's metadata is written, after its
        # arrays.
        with ThreadPoolExecutor(max_workers=2) as helpers:
            pending_hash = helpers.submit(content_hash, data)
            pending_table = helpers.submit(
                instance_table,
                data,
                label_image_id=draft.id,
                axes=draft.axes,
                level=draft.levels[0],
                label_schema=draft.label_schema,
            )

            def record() -> dict[str, Any]:
                digest = pending_hash.result()
                if provenance.content_hash not in (None, digest):
                    raise InputError(
                        pixels.source,
                        "provenance.content_hash",
                        f"the hash of the pixels, {digest}",
                    )
                update = {"content_hash": digest}
                finished.append(
                    draft.model_copy(
                        update={"provenance": draft.provenance.model_copy(update=update)}
                    )
                )
                return _label_attributes(finished[0])

            arrays = [contiguous(data)]
            for level in levels[1:]:
                arrays.append(downsample_labels(arrays[-1], level.shape, draft.downsampling))
            with self.progress.task(f"Writing labels {label_path}", len(arrays)) as advance:
                store.add_label_group(
                    label_path,
                    arrays,
                    image.axes,
                    levels,
                    image_label_metadata(
                        draft.label_schema, store.ngff_version, image_path_from_label(label_path)
                    ),
                    record,
                    on_level=lambda done, total: advance(1),
                )
            label = finished[0]
            table = self._store_instance_table(store, label, label_path, pending_table.result())
        updated = self._collection_or_new(image, collection, provenance).with_member(label.id)
        self._write_collection(store, updated, image, [*known, (label, label_path)])
        self.catalog.index_label_image(label, label_path, [updated], [table])
        return label

    def label_image(self, reference: str, image_name: str | None = None) -> LabelImage:
        """Find a label image by id, ``name@version``, ``image/name@version`` or a unique name."""
        if "/" in reference and image_name is None:
            image_name, reference = reference.split("/", 1)
        image_id = self.image(image_name).id if image_name is not None else None
        label, _ = choose_label(
            reference,
            self.catalog.label_images(image_id),
            "an id or name@version in the repository",
        )
        return label

    def label_levels(self, label: LabelImage) -> list[ZarrArray]:
        image = self.image(label.image_id)
        store = self._store(image)
        path = self._label_path(label)
        return [store.array(join_key("labels", path, level.path)) for level in label.levels]

    def label_images(self, image_name: str | None = None) -> list[LabelImage]:
        image_id = self.image(image_name).id if image_name else None
        return [label for label, _ in self.catalog.label_images(image_id)]

    # -- instances and tables -----------------------------------------------------------------

    def instance_table(self, label_reference: str, *, store: bool = True) -> pa.Table:
        """The label image's instance table.

        A label image without one (added before tables existed) gets it computed, and stored
        unless ``store`` is False (readers such as the server never write).
        """
        label = self.label_image(label_reference)
        image = self.image(label.image_id)
        name = stored_table_name(label)
        image_store = self._store(image)
        if name in table_names(image_store):
            return read_table(image_store, name)
        table = self._measure(label, self.label_levels(label)[0])
        if store:
            writable = self._store(image, writable=True)
            record = self._store_instance_table(writable, label, self._label_path(label), table)
            self.catalog.index_table(record)
        return table

    def instance(self, instance_id: str, *, store: bool = True) -> Instance:
        """An object by its stable id ``<label-image-id>:<label value>`` (``store``: as for
        :meth:`instance_table`)."""
        label_id, _, value = instance_id.rpartition(":")
        if not label_id or not value.lstrip("-").isdigit():
            raise InputError(instance_id, "instance id", "<label-image-id>:<label value>")
        label = self.label_image(label_id)
        table = self.instance_table(label.id, store=store)
        key = table.column(INSTANCE_KEY)
        if int(value) < 0 and not pa.types.is_signed_integer(key.type):
            raise NotFoundError(instance_id, "instance", f"a label value present in {label.key}")
        rows = table.filter(pc.equal(key, pa.scalar(int(value), key.type)))
        if rows.num_rows == 0:
            raise NotFoundError(instance_id, "instance", f"a label value present in {label.key}")
        matches = tuple(self.catalog.instance_matches(label.id, int(value)))
        return Instance(instance_id, label, rows.to_pylist()[0], matches)

    def tables(self, label_reference: str) -> list[TableRecord]:
        """The tables stored with a label image (instances, features, correspondences)."""
        return self.catalog.tables(self.label_image(label_reference).id)

    def table(self, label_reference: str, name: str) -> pa.Table:
        """A table of a label image by its short name (``instances``, a feature table's name)
        or its full stored name."""
        label = self.label_image(label_reference)
        store = self._store(self.image(label.image_id))
        stored = name if name in table_names(store) else stored_table_name(label, name)
        if stored == stored_table_name(label):
            return self.instance_table(label.id)
        return read_table(store, stored)

    def add_table(
        self,
        label_reference: str,
        source: str | Path | pa.Table,
        *,
        name: str | None = None,
        instance_key: str = INSTANCE_KEY,
    ) -> TableRecord:
        """Attach a feature table (CSV, Parquet or a pyarrow Table) to a label image.

        Every row must name a label value present in the label image.
        """
        label = self.label_image(label_reference)
        given = None if isinstance(source, pa.Table) else str(source)
        table_name = check_name(name or (Path(given).stem if given else ""), "table name")
        if table_name == "instances":
            raise InputError(table_name, "table name", "a name other than 'instances'")
        table = read_feature_table(source, instance_key)
        known = self.instance_table(label.id).column(INSTANCE_KEY).cast(pa.uint64(), safe=False)
        keys = table.column(INSTANCE_KEY)
        unknown = np.unique(keys.filter(pc.invert(pc.is_in(keys, value_set=known))).to_numpy())
        if unknown.size:
            first = ", ".join(str(v) for v in unknown[:10].tolist())
            raise InputError(
                given or "<table>",
                instance_key,
                f"label values of {label.key} ({unknown.size} values are not, first: {first})",
            )
        image = self.image(label.image_id)
        store = self._store(image, writable=True)
        stored = stored_table_name(label, table_name)
        attributes = feature_table_attributes(
            self._label_path(label),
            {
                "kind": "features",
                "label_image_id": label.id,
                "name": table_name,
                "source": given,
                "created": utc_now().isoformat(),
            },
        )
        write_table(store, stored, table, attributes)
        record = table_record(stored, attributes, table)
        self.catalog.index_table(record)
        return record

    def compare(
        self, a_reference: str, b_reference: str, iou: float = 0.5, *, record: bool = True
    ) -> Comparison:
        """Compare two label images of one reference image (``a`` is the reference).

        Instance and panoptic labels are matched object to object; semantic labels are compared
        class by class. When ``b`` was derived from ``a`` and ``record`` is True, the matches are
        stored as the correspondence between the two versions (see :meth:`instance`).
        """
        if not 0.0 < iou <= 1.0:
            raise InputError(str(iou), "iou", "a threshold above 0 and at most 1")
        a, b = self.label_image(a_reference), self.label_image(b_reference)
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
        a_pixels, b_pixels = self.label_levels(a)[0], self.label_levels(b)[0]
        with self.progress.task(
            f"Comparing {a.key} with {b.key}", block_count(a_pixels)
        ) as advance:
            result = compare_labels(
                a_pixels,
                b_pixels,
                semantic=semantic,
                threshold=iou,
                schema=a.label_schema if a.label_schema.classes else b.label_schema,
                advance=advance,
            )
        if record and not semantic and b.provenance.derived_from == a.id:
            self._store_correspondence(a, b, result)
        return result

    def _store_correspondence(self, a: LabelImage, b: LabelImage, result: Comparison) -> None:
        name = stored_table_name(b, f"matches.{a.key}.iou{result.threshold:g}")
        image = self.image(b.image_id)
        if name in table_names(self._store(image)):
            return
        a_labels, b_labels, ious = result.matches or (np.zeros(0), np.zeros(0), np.zeros(0))
        table = pa.table(
            {
                "a_label": pa.array(a_labels.astype(np.uint64), pa.uint64()),
                INSTANCE_KEY: pa.array(b_labels.astype(np.uint64), pa.uint64()),
                "iou": pa.array(ious, pa.float64()),
            }
        )
        attributes = feature_table_attributes(
            self._label_path(b),
            {
                "kind": "correspondence",
                "label_image_id": b.id,
                "a": a.id,
                "b": b.id,
                "iou_threshold": result.threshold,
                "metrics": result.to_dict()["metrics"],
            },
        )
        write_table(self._store(image, writable=True), name, table, attributes)
        self.catalog.index_table(table_record(name, attributes, table))

    def _measure(self, label: LabelImage, pixels: Any) -> pa.Table:
        """The instance table of ``label`` from its level-0 ``pixels``, with a progress bar."""
        with self.progress.task(f"Measuring {label.key}", block_count(pixels)) as advance:
            return instance_table(
                pixels,
                label_image_id=label.id,
                axes=label.axes,
                level=label.levels[0],
                label_schema=label.label_schema,
                advance=advance,
            )

    def _store_instance_table(
        self, store: ImageStore, label: LabelImage, label_path: str, table: pa.Table | None = None
    ) -> TableRecord:
        """Write the instance table of a published label image (computed here if not given)."""
        if table is None:
            pixels = store.array(join_key("labels", label_path, label.levels[0].path))
            table = self._measure(label, pixels)
        units = {axis.name: axis.unit for axis in label.axes if axis.unit}
        attributes = feature_table_attributes(
            label_path,
            {"kind": "instances", "label_image_id": label.id, "units": units},
        )
        name = stored_table_name(label)
        write_table(store, name, table, attributes)
        return table_record(name, attributes, table)

    # -- collections --------------------------------------------------------------------------

    def collections(self, image_name: str | None = None) -> list[LabelCollection]:
        image_id = self.image(image_name).id if image_name else None
        return self.catalog.collections(image_id)

    def collection(self, name: str, image_name: str | None = None) -> LabelCollection:
        matches = [c for c in self.collections(image_name) if name in (c.name, c.id)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(name, "collection", "an existing collection name or id")
        raise InputError(name, "collection", "a name used by one image only (give the image)")

    def add_to_collection(self, label_reference: str, collection_name: str) -> LabelCollection:
        """Make an existing label image a member of another collection of the same image."""
        label = self.label_image(label_reference)
        image = self.image(label.image_id)
        collections = {c.name: c for c in self.catalog.collections(image.id)}
        check_name(collection_name, "collection name")
        target = collections.get(collection_name) or self._collection_or_new(
            image, collection_name, Provenance(method=Method.MANUAL, software="labelcollections")
        )
        if target.image_id != label.image_id:
            raise InputError(collection_name, "collection", "label images of one reference image")
        updated = target.with_member(label.id)
        store = self._store(image, writable=True)
        self._write_collection(store, updated, image, self.catalog.label_images(image.id))
        self.catalog.index_collection(updated)
        return updated

    def find(self, query: LabelImageFilter | None = None, **conditions: Any) -> list[LabelImage]:
        """Label images matching every condition (see :class:`LabelImageFilter`)."""
        return self.catalog.find(query or LabelImageFilter(**conditions))

    def lineage(self, label_reference: str) -> list[LabelImage]:
        """Ancestors, the label image itself and its descendants along ``derived_from``."""
        return self.catalog.lineage(self.label_image(label_reference).id)

    def set_omero_collection_id(self, collection_id: str, omero_id: int) -> LabelCollection:
        """Record the OMERO id a collection got when it was pushed, so pushes stay updates."""
        collection = self.collection(collection_id)
        updated = collection.model_copy(update={"omero_collection_id": omero_id})
        if updated != collection:
            image = self.image(collection.image_id)
            store = self._store(image, writable=True)
            self._write_collection(store, updated, image, self.catalog.label_images(image.id))
            self.catalog.index_collection(updated)
        return updated

    def collection_document(self, collection: LabelCollection) -> dict[str, Any]:
        """The collection's RFC-8 document exactly as the repository writes it in its store."""
        image = self.image(collection.image_id)
        stored = self.catalog.label_images(image.id)
        paths = document_paths(image.id, stored)
        return to_document(collection, image, [label for label, _ in stored], paths)

    def label_path(self, label: LabelImage) -> str:
        """The label image's path below its store's ``labels/`` group."""
        return self._label_path(label)

    def store_location(self, image: ReferenceImage) -> Path:
        """The directory of the image's OME-Zarr store."""
        return self._store_path(image.name)

    # -- export / import ----------------------------------------------------------------------

    def export(self, image_name: str, destination: str | Path, ngff: NgffVersion = "0.5") -> Path:
        """Write one image with all its labels and collection documents to a new OME-Zarr."""
        image = self.image(image_name)
        target = Path(destination).expanduser().resolve()
        if target.exists():
            raise ConflictError(str(target), "destination", "a path that does not exist yet")
        stored = self.catalog.label_images(image.id)
        with staged_directory(target) as staging:
            image_arrays = self.image_levels(image)
            with self.progress.task(f"Exporting image {image.name}", len(image_arrays)) as advance:
                write_multiscale_group(
                    staging,
                    image_arrays,
                    image.axes,
                    image.levels,
                    ngff,
                    {},
                    _image_attributes(image.model_copy(update={"source": None})),
                    name=image.name,
                    on_level=lambda done, total: advance(1),
                )
            source_store = self._store(image)
            with self.progress.task("Exporting labels", len(stored)) as advance:
                for label, path in stored:
                    write_multiscale_group(
                        staging / "labels" / path,
                        [
                            source_store.array(join_key("labels", path, lv.path))
                            for lv in label.levels
                        ],
                        label.axes,
                        label.levels,
                        ngff,
                        {
                            "image-label": image_label_metadata(
                                label.label_schema, ngff, image_path_from_label(path)
                            )
                        },
                        _label_attributes(label),
                        name=path,
                    )
                    advance(1)
            exported = ImageStore(str(staging), zarr.open_group(str(staging), mode="r+"), True)
            paths = [path for _, path in stored]
            for parent in sorted({path.split("/")[0] for path in paths if "/" in path}):
                write_plain_group(staging / "labels" / parent, {}, ngff)
            write_plain_group(staging / "labels", labels_group_metadata(paths, ngff), ngff)
            for collection in self.catalog.collections(image.id):
                self._write_collection(exported, collection, image, stored)
            for name in table_names(source_store):
                attributes = table_attributes(source_store, name)
                write_table(exported, name, read_table(source_store, name), attributes, ngff)
        return target

    def import_store(
        self,
        location: str | Path,
        *,
        name: str | None = None,
        collection: str = "imported",
        label_type: LabelType | str = LabelType.INSTANCE,
    ) -> ImportResult:
        """Copy an OME-Zarr image with its labels into the repository.

        Stores written by ``export`` are restored exactly (ids, provenance, collections).
        Third-party stores with a ``labels`` group become one collection named ``collection``.
        """
        source = ImageStore.open(normalise(location))
        check_name(collection, "collection name")
        return self._apply_import(plan_import(source, name, collection, LabelType(label_type)))

    def import_plan(self, plan: ImportPlan) -> ImportResult:
        """Write what a planned import (from a store, or pulled from OMERO) holds, exactly.

        Into a repository that already has the image (same id and pixels) only what it lacks is
        added: new label images, new collections and new members of known collections.
        """
        known = next((image for image in self.images() if image.id == plan.image.id), None)
        if known is None:
            return self._apply_import(plan)
        return self._merge_import(known, plan)

    # -- integrity ----------------------------------------------------------------------------

    def verify(self) -> list[VerifyProblem]:
        """Re-hash every image and label image and report what no longer matches."""
        problems = []
        images = self.images()
        labels = self.label_images()
        with self.progress.task("Verifying pixels", len(images) + len(labels)) as advance:
            for image in images:
                actual = content_hash(self.image_levels(image)[0])
                if actual != image.content_hash:
                    problems.append(
                        VerifyProblem(f"image {image.name}", image.content_hash, actual)
                    )
                advance(1)
            hashes = {image.id: image.content_hash for image in images}
            for label in labels:
                what = f"label image {self.image(label.image_id).name}/{label.key}"
                actual = content_hash(self.label_levels(label)[0])
                if actual != label.provenance.content_hash:
                    problems.append(VerifyProblem(what, label.provenance.content_hash, actual))
                reference = hashes[label.image_id]
                if label.provenance.reference_hash not in (None, reference):
                    problems.append(
                        VerifyProblem(
                            f"{what} (reference pixels)",
                            label.provenance.reference_hash,
                            str(reference),
                        )
                    )
                advance(1)
        return problems

    def reindex(self) -> None:
        """Rebuild the catalog from the stores, dropping leftovers of interrupted writes."""
        remove_leftovers(self.root / IMAGES_DIR)
        entries = []
        for directory in sorted((self.root / IMAGES_DIR).glob(f"*{STORE_SUFFIX}")):
            store = ImageStore.open(str(directory))
            image = ReferenceImage.model_validate(store.ours["image"])
            labels = []
            for path in store.label_paths():
                ours = store.group_attributes(join_key("labels", path)).get(OUR_KEY, {})
                labels.append((LabelImage.model_validate(ours["label_image"]), path))
            collections = [
                from_document(store.collection_document(c), str(directory)).collection
                for c in store.collection_names()
            ]
            tables = [
                table_record(name, table_attributes(store, name), read_table(store, name))
                for name in table_names(store)
            ]
            entries.append((image, self._relative(directory), labels, collections, tables))
        self.catalog.rebuild(entries)

    # -- internals ----------------------------------------------------------------------------

    def _store_path(self, image_name: str) -> Path:
        return self.root / IMAGES_DIR / f"{image_name}{STORE_SUFFIX}"

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def _store(self, image: ReferenceImage, writable: bool = False) -> ImageStore:
        return ImageStore.open(str(self._store_path(image.name)), writable=writable)

    def _label_path(self, label: LabelImage) -> str:
        for candidate, path in self.catalog.label_images(label.image_id):
            if candidate.id == label.id:
                return path
        raise NotFoundError(label.id, "label image", "a label image of the repository")

    def _collection_or_new(
        self, image: ReferenceImage, name: str, provenance: Provenance
    ) -> LabelCollection:
        for existing in self.catalog.collections(image.id):
            if existing.name == name:
                return existing
        return LabelCollection(
            id=new_id(),
            name=name,
            image_id=image.id,
            provenance=Provenance(
                method=Method.MANUAL,
                software="labelcollections",
                software_version=__version__,
                author=provenance.author,
                created=utc_now(),
            ),
        )

    def _write_collection(
        self,
        store: ImageStore,
        collection: LabelCollection,
        image: ReferenceImage,
        stored: Sequence[tuple[LabelImage, str]],
    ) -> None:
        """Write a collection's document; ``stored`` pairs the image's label images with their
        paths below ``labels/``."""
        paths = document_paths(image.id, stored)
        document = to_document(collection, image, [label for label, _ in stored], paths)
        store.write_collection_document(collection.name, document)

    def _write_planned_labels(
        self,
        store: ImageStore,
        labels: Sequence[PlannedLabel],
        planned_tables: Sequence[PlannedTable] = (),
    ) -> list[TableRecord]:
        """Write label images exactly as planned, with their tables (instance tables computed
        where none came along); return the tables for the catalog."""
        with self.progress.task("Importing labels", len(labels)) as advance:
            for planned in labels:
                label = planned.label
                store.add_label_group(
                    planned.path,
                    planned.arrays,
                    label.axes,
                    label.levels,
                    image_label_metadata(
                        label.label_schema, store.ngff_version, image_path_from_label(planned.path)
                    ),
                    _label_attributes(label),
                )
                advance(1)
        tables = []
        for planned_table in planned_tables:
            write_table(store, planned_table.name, planned_table.table, planned_table.attributes)
            tables.append(
                table_record(planned_table.name, planned_table.attributes, planned_table.table)
            )
        measured = {record.label_image_id for record in tables if record.kind == "instances"}
        for planned in labels:
            if planned.label.id not in measured:
                tables.append(self._store_instance_table(store, planned.label, planned.path))
        return tables

    def _merge_import(self, image: ReferenceImage, plan: ImportPlan) -> ImportResult:
        """Add what ``plan`` has and the repository lacks to an image already here."""
        if plan.image.content_hash != image.content_hash:
            raise ConflictError(
                image.name, "image", f"the pixels of the image already here ({image.content_hash})"
            )
        stored = self.catalog.label_images(image.id)
        present = {label.id for label, _ in stored}
        taken = {label.key for label, _ in stored} | {path for _, path in stored}
        new = [planned for planned in plan.labels if planned.label.id not in present]
        for planned in new:
            if planned.label.key in taken or planned.path in taken:
                raise ConflictError(
                    planned.label.key, "label image", f"a name@version not yet used on {image.name}"
                )
        local = {collection.id: collection for collection in self.catalog.collections(image.id)}
        names = {collection.name: collection.id for collection in local.values()}
        merged = []
        for incoming in plan.collections:
            if names.get(incoming.name, incoming.id) != incoming.id:
                raise ConflictError(
                    incoming.name, "collection", f"a collection name not yet used on {image.name}"
                )
            current = local.get(incoming.id, incoming.model_copy(update={"members": ()}))
            for member in incoming.members:
                current = current.with_member(member)
            if current.omero_collection_id is None:
                current = current.model_copy(
                    update={"omero_collection_id": incoming.omero_collection_id}
                )
            if current != local.get(incoming.id):
                merged.append(current)
        store = self._store(image, writable=True)
        added = {planned.label.id for planned in new}
        tables = self._write_planned_labels(
            store,
            new,
            [
                t
                for t in plan.tables
                if table_record(t.name, t.attributes, t.table).label_image_id in added
            ],
        )
        everything = [*stored, *((planned.label, planned.path) for planned in new)]
        for collection in merged:
            self._write_collection(store, collection, image, everything)
        self.catalog.index_additions(
            [(planned.label, planned.path) for planned in new], merged, tables
        )
        return ImportResult(image, tuple(merged), tuple(planned.label for planned in new))

    def _apply_import(self, plan: ImportPlan) -> ImportResult:
        image = plan.image
        if any(known.id == image.id or known.name == image.name for known in self.images()):
            raise ConflictError(image.name, "image", "an image not yet in this repository")
        destination = self._store_path(image.name)
        stored = [(planned.label, planned.path) for planned in plan.labels]
        with staged_directory(destination) as staging:
            with self.progress.task(f"Importing image {image.name}", len(image.levels)) as advance:
                write_multiscale_group(
                    staging,
                    plan.image_arrays,
                    image.axes,
                    image.levels,
                    "0.5",
                    {},
                    _image_attributes(image),
                    name=image.name,
                    on_level=lambda done, total: advance(1),
                )
            store = ImageStore(str(staging), zarr.open_group(str(staging), mode="r+"), True)
            tables = self._write_planned_labels(store, plan.labels, plan.tables)
            for collection in plan.collections:
                self._write_collection(store, collection, image, stored)
        self.catalog.index_import(
            (image, self._relative(destination), stored, plan.collections, tables)
        )
        return ImportResult(image, plan.collections, tuple(label for label, _ in stored))


def _image_attributes(image: ReferenceImage) -> dict[str, Any]:
    return {"version": 1, "image": to_record(image)}


def _label_attributes(label: LabelImage) -> dict[str, Any]:
    return {"version": 1, "label_image": to_record(label)}


def _looks_like_zarr(location: str) -> bool:
    if is_url(location):
        return True
    path = Path(location)
    return path.is_dir() and any((path / f).exists() for f in ("zarr.json", ".zgroup", ".zattrs"))


def stored_table_name(label: LabelImage, table: str = "instances") -> str:
    """The name under ``tables/`` of a label image's table: ``<name>@<version>.<table>``."""
    return f"{label.key}.{table}"


def table_record(name: str, attributes: dict[str, Any], table: pa.Table) -> TableRecord:
    """The catalog's view of a stored table: its kind, size and what ``find`` filters on."""
    ours = attributes.get(OUR_KEY, {})
    kind = str(ours.get("kind", "features"))
    summary = None
    correspondence = None
    if kind == "instances":
        areas = table.column("area").to_numpy()
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
            a_labels=table.column("a_label").to_numpy().tolist(),
            b_labels=table.column(INSTANCE_KEY).to_numpy().tolist(),
            ious=table.column("iou").to_numpy().tolist(),
        )
    return TableRecord(
        label_image_id=str(ours.get("label_image_id", "")),
        name=name,
        kind=kind,
        rows=table.num_rows,
        attributes=attributes,
        summary=summary,
        correspondence=correspondence,
    )
