"""Label collections on an OMERO server: push, pull, list, find, register-zarr, migrate, masks.

The mapping (docs/omero.md): each label image is an OMERO Image of its own (``upload``) or one
ROI with one Mask on the reference image whose ExternalInfo points at the OME-Zarr label
(``zarr``, the omero-label convention, so no pixels enter OMERO). Each carries a
:data:`~labelcollections.formats.omero_kv.NS_LABEL_IMAGE` map annotation; each collection a
:data:`~labelcollections.formats.omero_kv.NS_COLLECTION` map annotation and a JSON file
annotation (:data:`NS_DOCUMENT`, the full RFC-8 collection document) on the reference image.
The collection map annotation's id is the collection's OMERO id. Everything of a collection
lives in the reference image's group, and every right is checked before the first write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

import numpy as np

from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.formats.biohackathon import PrototypeCollection, import_prototype_collection
from labelcollections.formats.collection_document import (
    document_paths,
    from_document,
    to_document,
)
from labelcollections.formats.omero_kv import (
    NS_COLLECTION,
    NS_LABEL_IMAGE,
    collection_from_pairs,
    collection_to_pairs,
    label_image_from_pairs,
    label_image_to_pairs,
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.geometry import image_levels
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import safe_name
from labelcollections.model.references import choose_label
from labelcollections.omero.gateway import (
    DEFAULT_LIMIT,
    ExternalInfo,
    FileAnnotation,
    MapAnnotation,
    MaskShape,
    MixedGroupError,
    ObjectKind,
    OmeroGateway,
    OmeroImage,
    OmeroPermissionError,
    Roi,
)
from labelcollections.omero.masks import labels_from_masks, masks_from_labels
from labelcollections.repository import IMAGES_DIR, STORE_SUFFIX, Repository
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.importing import ImportPlan, PlannedLabel
from labelcollections.storage.locations import is_url, normalise
from labelcollections.storage.ome_zarr_store import ImageStore
from labelcollections.storage.pyramid import downsample_image, downsample_labels

NS_DOCUMENT = "labelcollections/collection-document/v1"
"""Namespace of the JSON file annotation holding a collection's RFC-8 document."""
NS_NGFF = "labelcollections/ngff/v1"
"""Namespace of the NGFF registration pairs ``zarr_path``, ``ngff_version``,
``zarr_conversion_date``."""
NS_PROTOTYPE_COLLECTION = "ome/collection"
NS_PROTOTYPE_NODES = "ome/collection/nodes"
"""The BioHackathon prototype's namespaces (read by ``migrate``)."""
NGFF_ENTITY_TYPE = "com.glencoesoftware.ngff:multiscales"
NGFF_ENTITY_ID = 3
"""omero-label's ExternalInfo: a Mask backed by an OME-Zarr multiscale at a percent-encoded
URI."""
LABEL_PIXEL_DTYPES = ("uint8", "uint16", "uint32")
"""Label types ``--pixels upload`` accepts (OMERO has no 64-bit integer pixels)."""
TCZYX = "tczyx"
TILE = 2048
"""Pixels are read from OMERO in tiles of at most TILE × TILE (below any server's plane limit)."""

PixelMode = Literal["upload", "zarr"]


@dataclass(frozen=True)
class LabelLocation:
    """Where a label image lives in OMERO: the Image or ROI and its label annotation."""

    kind: ObjectKind
    object_id: int
    annotation: MapAnnotation


@dataclass(frozen=True)
class OmeroCollection:
    """A collection as read from OMERO: its models, where each label image lives, and notes
    about what had to be rebuilt."""

    collection: LabelCollection
    image: ReferenceImage
    labels: tuple[LabelImage, ...]
    paths: dict[str, str]
    locations: dict[str, LabelLocation]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushResult:
    collections: tuple[LabelCollection, ...]
    created: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True)
class PullResult:
    collections: tuple[LabelCollection, ...]
    labels: tuple[LabelImage, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FoundLabel:
    """A label image found by a query, with the OMERO object that holds it."""

    kind: ObjectKind
    object_id: int
    group_id: int
    ref_image_id: int | None
    label: LabelImage


@dataclass
class _Plan:
    """What a push will write, worked out (and checked) before the first write."""

    image: ReferenceImage
    ref: OmeroImage
    labels: dict[str, LabelImage]
    paths: dict[str, str]
    found: dict[str, LabelLocation | None]
    collection_annotations: dict[str, MapAnnotation]
    documents: dict[str, FileAnnotation]


class OmeroSync:
    """The OMERO use cases, over a repository (push and pull need one) and a gateway."""

    def __init__(self, repository: Repository | None, gateway: OmeroGateway) -> None:
        self._repository = repository
        self.gateway = gateway

    @property
    def repository(self) -> Repository:
        if self._repository is None:
            raise InputError("omero", "repository", "a local repository for this command")
        return self._repository

    # -- push ----------------------------------------------------------------------------------

    def push(
        self,
        image_name: str,
        omero_image_id: int,
        collection: str | None = None,
        pixels: PixelMode = "upload",
        zarr_base: str | None = None,
    ) -> PushResult:
        """Push the collections of ``image_name`` (or one) onto OMERO Image ``omero_image_id``.

        Pushing again updates what changed; label images already in OMERO are kept (their
        pixels never change), new versions are added. ``zarr_base`` is where the image's
        OME-Zarr is published (the labels' URIs are below it); the repository's store if not
        given.
        """
        repo = self.repository
        image = repo.image(image_name)
        collections = (
            [repo.collection(collection, image.name)]
            if collection
            else repo.collections(image.name)
        )
        if not collections:
            raise NotFoundError(image.name, "collection", "an image with collections to push")
        ref = self.gateway.get_image(omero_image_id)
        _check_geometry(image, ref)
        plan = self._plan_push(image, ref, collections, pixels)
        pushed = []
        for item in collections:
            annotation = plan.collection_annotations.get(item.id)
            if annotation is None:
                annotation = self.gateway.link_map_annotation(
                    "Image", ref.id, NS_COLLECTION, self._collection_pairs(item, None, ref)
                )
            pairs = self._collection_pairs(item, annotation.id, ref)
            if tuple(pairs) != annotation.pairs:
                self.gateway.update_map_annotation(annotation.id, pairs)
            pushed.append(repo.set_omero_collection_id(item.id, annotation.id))
        created, kept = [], []
        for label in plan.labels.values():
            location = plan.found[label.id]
            pairs = self._label_pairs(label, location, pushed, ref)
            if location is None:
                kind, object_id = self._write_pixels(
                    label, ref, plan.paths[label.id], pixels, zarr_base
                )
                self.gateway.link_map_annotation(kind, object_id, NS_LABEL_IMAGE, pairs)
                created.append(label.key)
            else:
                if tuple(pairs) != location.annotation.pairs:
                    self.gateway.update_map_annotation(location.annotation.id, pairs)
                kept.append(label.key)
        for item in pushed:
            data = self._document_bytes(item, image)
            existing = plan.documents.get(item.id)
            if existing is None:
                self.gateway.link_file_annotation(
                    "Image", ref.id, NS_DOCUMENT, _document_name(item.id), data
                )
            elif self.gateway.read_file_annotation(existing.id) != data:
                self.gateway.replace_file_annotation(existing.id, data)
        return PushResult(tuple(pushed), tuple(created), tuple(kept))

    def _collection_pairs(
        self, item: LabelCollection, omero_id: int | None, ref: OmeroImage
    ) -> list[tuple[str, str]]:
        updated = item.model_copy(update={"omero_collection_id": omero_id})
        return collection_to_pairs(updated, ref_omero_image_id=ref.id)

    def _label_pairs(
        self,
        label: LabelImage,
        location: LabelLocation | None,
        collections: Sequence[LabelCollection],
        ref: OmeroImage,
    ) -> list[tuple[str, str]]:
        """The label's pairs, listing the collections it was in and those pushed now."""
        ids = _collection_ids(location.annotation) if location is not None else set()
        ids.update(
            c.omero_collection_id
            for c in collections
            if label.id in c.members and c.omero_collection_id is not None
        )
        return label_image_to_pairs(
            label, ref_omero_image_id=ref.id, collection_omero_ids=sorted(ids)
        )

    def _document_bytes(self, item: LabelCollection, image: ReferenceImage) -> bytes:
        stored = self.repository.catalog.label_images(image.id)
        paths = document_paths(image.id, stored)
        document = to_document(item, image, [label for label, _ in stored], paths)
        return json.dumps(document, indent=2, ensure_ascii=False).encode()

    def _plan_push(
        self,
        image: ReferenceImage,
        ref: OmeroImage,
        collections: Sequence[LabelCollection],
        pixels: PixelMode,
    ) -> _Plan:
        """Everything a push needs, with every refusal raised before anything is written:
        group, ANNOTATE on the reference image, pixel types, and WRITE on each annotation of
        someone else's that the push would change."""
        source = f"Image:{ref.id}"
        self._check_group_member(ref)
        if not self.gateway.can_annotate("Image", ref.id):
            raise OmeroPermissionError(
                source,
                "permissions",
                f"the ANNOTATE right on the reference image ({self._why(ref)})",
            )
        repo = self.repository
        paths = {label.id: path for label, path in repo.catalog.label_images(image.id)}
        labels = {m: repo.label_image(m) for c in collections for m in c.members}
        found = {label_id: self._locate(label_id, ref.id) for label_id in labels}
        for label in labels.values():
            location = found[label.id]
            if location is not None:
                where = f"{location.kind}:{location.object_id}"
                self._check_same_group(location.annotation.group_id, ref, where)
            elif pixels == "upload" and label.dtype not in LABEL_PIXEL_DTYPES:
                raise InputError(
                    label.key,
                    "dtype",
                    f"one of {', '.join(LABEL_PIXEL_DTYPES)} for --pixels upload (got "
                    f"{label.dtype}); use --pixels zarr",
                )
        known: dict[str, MapAnnotation] = {}
        for annotation in self.gateway.map_annotations("Image", ref.id, NS_COLLECTION):
            read = collection_from_pairs(
                annotation.pairs, f"{source} MapAnnotation:{annotation.id}"
            )
            known[read.collection.id] = annotation
        documents = {
            doc.name: doc for doc in self.gateway.file_annotations("Image", ref.id, NS_DOCUMENT)
        }
        plan = _Plan(
            image,
            ref,
            labels,
            paths,
            found,
            {c.id: known[c.id] for c in collections if c.id in known},
            {
                c.id: documents[_document_name(c.id)]
                for c in collections
                if _document_name(c.id) in documents
            },
        )
        for owned in self._changed_annotations(plan, collections):
            self._check_edit(owned)
        return plan

    def _changed_annotations(
        self, plan: _Plan, collections: Sequence[LabelCollection]
    ) -> Iterator[MapAnnotation | FileAnnotation]:
        """The existing annotations a push will change (what needs the WRITE right)."""
        ref = plan.ref
        final = [
            c.model_copy(update={"omero_collection_id": plan.collection_annotations[c.id].id})
            for c in collections
            if c.id in plan.collection_annotations
        ]
        for item in final:
            annotation = plan.collection_annotations[item.id]
            if tuple(self._collection_pairs(item, annotation.id, ref)) != annotation.pairs:
                yield annotation
            document = plan.documents.get(item.id)
            if document is not None and self.gateway.read_file_annotation(
                document.id
            ) != self._document_bytes(item, plan.image):
                yield document
        new = [c for c in collections if c.id not in plan.collection_annotations]
        for c in new:
            if c.id in plan.documents:
                yield plan.documents[c.id]
        for label in plan.labels.values():
            location = plan.found[label.id]
            if location is None:
                continue
            joins_new = any(label.id in c.members for c in new)
            pairs = self._label_pairs(label, location, final, ref)
            if joins_new or tuple(pairs) != location.annotation.pairs:
                yield location.annotation

    def _write_pixels(
        self,
        label: LabelImage,
        ref: OmeroImage,
        path: str,
        pixels: PixelMode,
        zarr_base: str | None,
    ) -> tuple[ObjectKind, int]:
        if pixels == "upload":
            data = np.asarray(self.repository.label_levels(label)[0][...])
            created = self.gateway.create_image(
                f"{ref.name} {label.key}",
                _to_tczyx(data, [a.name for a in label.axes]),
                ref.group_id,
                f"Label image {label.key} ({label.id}) of Image:{ref.id}",
            )
            return "Image", created.id
        uri = self._label_uri(label, path, zarr_base)
        mask = MaskShape(
            label=0, x=0, y=0, width=ref.size_x, height=ref.size_y, bytes=b"", text=label.key
        )
        roi = self.gateway.create_roi(
            ref.id, [mask], label.key, ExternalInfo(NGFF_ENTITY_TYPE, NGFF_ENTITY_ID, uri)
        )
        return "Roi", roi.id

    def _label_uri(self, label: LabelImage, path: str, zarr_base: str | None) -> str:
        """The percent-encoded URI of the label's multiscale group (omero-label's entityId 3)."""
        if zarr_base is None:
            image_name = self.repository.image(label.image_id).name
            store = self.repository.root / IMAGES_DIR / f"{image_name}{STORE_SUFFIX}"
            return (store / "labels" / path).as_uri()
        base = zarr_base.rstrip("/")
        if not is_url(base) and not base.startswith("file://"):
            return (Path(base).expanduser().resolve() / "labels" / path).as_uri()
        return f"{base}/labels/{quote(path)}"

    # -- reading collections -------------------------------------------------------------------

    def read(self, omero_image_id: int, collection: str | None = None) -> list[OmeroCollection]:
        """The collections on an OMERO image (or one), checked against each other.

        The key-value pairs are the record: where the JSON document is missing or disagrees
        with them, the collection is rebuilt from the pairs and the OMERO image, with a note.
        """
        ref = self.gateway.get_image(omero_image_id)
        source = f"Image:{ref.id}"
        documents = {
            doc.name: doc for doc in self.gateway.file_annotations("Image", ref.id, NS_DOCUMENT)
        }
        found = []
        for annotation in self.gateway.map_annotations("Image", ref.id, NS_COLLECTION):
            read = collection_from_pairs(
                annotation.pairs, f"{source} MapAnnotation:{annotation.id}"
            )
            item = read.collection
            if collection is not None and collection not in (item.name, item.id):
                continue
            labels, locations = [], {}
            for member in item.members:
                location = self._locate(member, ref.id)
                if location is None:
                    raise NotFoundError(
                        f"{source} collection {item.name}",
                        "member",
                        f"label image {member} in OMERO (its annotation is missing)",
                    )
                labels.append(self._label_of(location))
                locations[member] = location
            found.append(self._with_document(ref, item, labels, locations, documents))
        if collection is not None and not found:
            raise NotFoundError(collection, "collection", f"a collection pushed to {source}")
        return found

    def _with_document(
        self,
        ref: OmeroImage,
        item: LabelCollection,
        labels: list[LabelImage],
        locations: dict[str, LabelLocation],
        documents: dict[str, FileAnnotation],
    ) -> OmeroCollection:
        annotation = documents.get(_document_name(item.id))
        source = f"Image:{ref.id} collection {item.name}"
        note = f"{source}: JSON document missing; rebuilt from the key-value pairs"
        if annotation is not None:
            try:
                data = json.loads(self.gateway.read_file_annotation(annotation.id))
                document = from_document(data, f"FileAnnotation:{annotation.id}")
            except (ValueError, InputError):
                note = f"{source}: JSON document unreadable; rebuilt from the key-value pairs"
            else:
                expected = to_document(item, document.image, labels, document.paths)
                if json.loads(json.dumps(expected)) == data:
                    paths = {
                        label.id: document.paths[label.id].removeprefix("../labels/")
                        for label in labels
                    }
                    return OmeroCollection(item, document.image, tuple(labels), paths, locations)
                note = (
                    f"{source}: JSON document differs from the key-value pairs (edited?); "
                    "rebuilt from the key-value pairs"
                )
        image = _rebuild_reference(ref, item, labels)
        paths = {label.id: f"{item.name}/{label.key}" for label in labels}
        return OmeroCollection(item, image, tuple(labels), paths, locations, (note,))

    def _label_of(self, location: LabelLocation) -> LabelImage:
        source = f"{location.kind}:{location.object_id} MapAnnotation:{location.annotation.id}"
        return label_image_from_pairs(location.annotation.pairs, source).label

    def _locate(self, label_id: str, ref_id: int) -> LabelLocation | None:
        """The Image or ROI holding label image ``label_id`` of reference Image ``ref_id``."""
        conditions = [("label.id", label_id), ("omero.ref_image_id", str(ref_id))]
        for kind in ("Image", "Roi"):
            for object_id in self.gateway.find_objects(kind, NS_LABEL_IMAGE, conditions):
                for annotation in self.gateway.map_annotations(kind, object_id, NS_LABEL_IMAGE):
                    if set(conditions) <= set(annotation.pairs):
                        return LabelLocation(kind, object_id, annotation)
        return None

    # -- pull ----------------------------------------------------------------------------------

    def pull(self, omero_image_id: int, collection: str | None = None) -> PullResult:
        """Copy the collections of an OMERO image (or one) with their pixels into the
        repository, checking every pixel hash against the recorded one. A repository that
        already has the image gets only the label images and members it lacks."""
        collections = self.read(omero_image_id, collection)
        if not collections:
            raise NotFoundError(f"Image:{omero_image_id}", "collections", "a pushed collection")
        image = collections[0].image
        if any(c.image.id != image.id for c in collections):
            raise InputError(
                f"Image:{omero_image_id}", "collections", "collections of one reference image"
            )
        ref = self.gateway.get_image(omero_image_id)
        level0 = _from_tczyx(self._read_pixels(ref), image.axis_names)
        _check_hash(f"Image:{ref.id}", level0, image.content_hash)
        image_arrays = [level0]
        for level in image.levels[1:]:
            image_arrays.append(downsample_image(image_arrays[-1], level.shape))
        planned: dict[str, PlannedLabel] = {}
        for item in collections:
            for label in item.labels:
                if label.id not in planned:
                    arrays = self._label_arrays(label, item.locations[label.id])
                    planned[label.id] = PlannedLabel(label, item.paths[label.id], arrays)
        written = self.repository.import_plan(
            ImportPlan(
                image,
                image_arrays,
                tuple(planned.values()),
                tuple(c.collection for c in collections),
            )
        )
        return PullResult(
            written.collections,
            written.labels,
            tuple(note for c in collections for note in c.notes),
        )

    def _label_arrays(self, label: LabelImage, location: LabelLocation) -> list[Any]:
        where = f"{location.kind}:{location.object_id}"
        if not label.levels:
            raise InputError(
                where, "label.levels", "a label image with pixel levels (pushed by us)"
            )
        if location.kind == "Image":
            pixels = self._read_pixels(self.gateway.get_image(location.object_id))
            level0 = _from_tczyx(pixels, [axis.name for axis in label.axes])
            arrays = [level0]
            for level in label.levels[1:]:
                arrays.append(downsample_labels(arrays[-1], level.shape, label.downsampling))
        else:
            arrays = self._zarr_label_arrays(label, location)
        _check_hash(where, arrays[0], label.provenance.content_hash)
        return arrays

    def _zarr_label_arrays(self, label: LabelImage, location: LabelLocation) -> list[Any]:
        rois = [r for r in self.gateway.rois(self._ref_of(location)) if r.id == location.object_id]
        info = rois[0].external_info if rois else None
        if info is None or info.entity_type != NGFF_ENTITY_TYPE:
            raise InputError(
                f"Roi:{location.object_id}",
                "externalInfo",
                f"a Mask with entityType {NGFF_ENTITY_TYPE}",
            )
        uri = info.lsid
        location_text = unquote(urlsplit(uri).path) if uri.startswith("file://") else uri
        store = ImageStore.open(normalise(location_text))
        return [np.asarray(store.array(level.path)[...]) for level in label.levels]

    def _ref_of(self, location: LabelLocation) -> int:
        for key, value in location.annotation.pairs:
            if key == "omero.ref_image_id":
                return int(value)
        raise InputError(f"{location.kind}:{location.object_id}", "omero.ref_image_id", "a value")

    def _read_pixels(self, image: OmeroImage) -> np.ndarray:
        """All pixels of an OMERO image (TCZYX), read tile by tile."""
        data = np.empty(image.shape, dtype=image.dtype)
        for t in range(image.size_t):
            for c in range(image.size_c):
                for z in range(image.size_z):
                    for y in range(0, image.size_y, TILE):
                        for x in range(0, image.size_x, TILE):
                            width = min(TILE, image.size_x - x)
                            height = min(TILE, image.size_y - y)
                            data[t, c, z, y : y + height, x : x + width] = self.gateway.read_plane(
                                image.id, z, c, t, (x, y, width, height)
                            )
        return data

    # -- find ----------------------------------------------------------------------------------

    def find(
        self,
        conditions: Sequence[tuple[str, str]],
        group: str | None = None,
        page_size: int = DEFAULT_LIMIT,
    ) -> list[FoundLabel]:
        """Label images whose annotation holds every ``(key, value)``, across the user's groups
        (or in ``group``, a name or id), reading page after page."""
        group_id = self._group_id(group) if group is not None else None
        found = []
        for kind in ("Image", "Roi"):
            for object_id in self._all_pages(kind, NS_LABEL_IMAGE, conditions, page_size, group_id):
                for annotation in self.gateway.map_annotations(kind, object_id, NS_LABEL_IMAGE):
                    if set(conditions) <= set(annotation.pairs):
                        location = LabelLocation(kind, object_id, annotation)
                        label = self._label_of(location)
                        ref = next(
                            (int(v) for k, v in annotation.pairs if k == "omero.ref_image_id"), None
                        )
                        found.append(FoundLabel(kind, object_id, annotation.group_id, ref, label))
        return found

    def _all_pages(
        self,
        kind: ObjectKind,
        namespace: str,
        conditions: Sequence[tuple[str, str]],
        page_size: int,
        group_id: int | None = None,
    ) -> Iterator[int]:
        offset = 0
        while True:
            page = self.gateway.find_objects(
                kind, namespace, conditions, offset, page_size, group_id
            )
            yield from page
            if len(page) < page_size:
                return
            offset += page_size

    def _group_id(self, group: str) -> int:
        for known in self.gateway.groups():
            if group in (known.name, str(known.id)):
                return known.id
        names = ", ".join(g.name for g in self.gateway.groups())
        raise NotFoundError(group, "group", f"one of your groups ({names})")

    # -- NGFF registration ---------------------------------------------------------------------

    def register_zarr(
        self,
        omero_image_id: int,
        zarr_path: str,
        ngff_version: str | None = None,
        conversion_date: str | None = None,
    ) -> MapAnnotation:
        """Record where an OMERO image is published as OME-Zarr (``zarr_path``,
        ``ngff_version``, ``zarr_conversion_date``), replacing an earlier registration."""
        ref = self.gateway.get_image(omero_image_id)
        if ngff_version is None:
            location = zarr_path if is_url(zarr_path) else normalise(zarr_path)
            ngff_version = ImageStore.open(location).ngff_version
        date = conversion_date or datetime.now(UTC).date().isoformat()
        pairs = [
            ("zarr_path", zarr_path),
            ("ngff_version", ngff_version),
            ("zarr_conversion_date", date),
        ]
        existing = self.gateway.map_annotations("Image", ref.id, NS_NGFF)
        if existing:
            self._check_edit(existing[0])
            return self.gateway.update_map_annotation(existing[0].id, pairs)
        if not self.gateway.can_annotate("Image", ref.id):
            raise OmeroPermissionError(
                f"Image:{ref.id}", "permissions", f"the ANNOTATE right ({self._why(ref)})"
            )
        return self.gateway.link_map_annotation("Image", ref.id, NS_NGFF, pairs)

    # -- migration from the BioHackathon prototype ---------------------------------------------

    def migrate(self, omero_image_id: int) -> list[PrototypeCollection]:
        """Write our annotations for the prototype collections linked to an OMERO image.

        The prototype's annotations are left as they are; collections migrated before are
        skipped, so running it again changes nothing.
        """
        ref = self.gateway.get_image(omero_image_id)
        done = {
            collection_from_pairs(a.pairs, f"Image:{ref.id} MapAnnotation:{a.id}").collection.id
            for a in self.gateway.map_annotations("Image", ref.id, NS_COLLECTION)
        }
        migrated = []
        for header in self.gateway.map_annotations("Image", ref.id, NS_PROTOTYPE_COLLECTION):
            document = self._prototype_document(header)
            source = f"Image:{ref.id} MapAnnotation:{header.id} ({NS_PROTOTYPE_COLLECTION})"
            for item in import_prototype_collection(document, source):
                if item.collection.id in done or item.image.omero_image_id != ref.id:
                    continue
                self._check_migration(ref, item)
                migrated.append(self._write_migration(ref, item))
        return migrated

    def _prototype_document(self, header: MapAnnotation) -> dict[str, Any]:
        """The prototype's collection document, put back together from its annotations."""
        values = dict(header.pairs)
        records = []
        condition = [("collection_id", str(header.id))]
        for image_id in self._all_pages("Image", NS_PROTOTYPE_NODES, condition, DEFAULT_LIMIT):
            for annotation in self.gateway.map_annotations("Image", image_id, NS_PROTOTYPE_NODES):
                if condition[0] in annotation.pairs:
                    records.append((image_id, dict(annotation.pairs)))
        nodes = []
        for image_id, record in sorted(records, key=lambda r: r[0]):
            attributes: dict[str, Any] = {"omero:image_id": image_id}
            for key, value in record.items():
                if key in {"path", "collection_id", "name"}:
                    continue
                attributes[key] = value.split(",") if key == "source" and "," in value else value
            nodes.append(
                {
                    "type": "multiscale",
                    "name": record.get("name", str(image_id)),
                    "attributes": attributes,
                }
            )
        return {
            "ome": {
                "version": values.get("version", "0.x"),
                "type": "collection",
                "name": values.get("name", f"collection-{header.id}"),
                "nodes": nodes,
            }
        }

    def _check_migration(self, ref: OmeroImage, item: PrototypeCollection) -> None:
        self._check_group_member(ref)
        if not self.gateway.can_annotate("Image", ref.id):
            raise OmeroPermissionError(
                f"Image:{ref.id}", "permissions", f"the ANNOTATE right ({self._why(ref)})"
            )
        for label in item.labels:
            if label.omero_image_id is None:
                raise InputError(label.name, "omero:image_id", "the OMERO image of the label node")
            image = self.gateway.get_image(label.omero_image_id)
            self._check_same_group(image.group_id, ref, f"Image:{image.id}")
            if not self.gateway.can_annotate("Image", image.id):
                raise OmeroPermissionError(
                    f"Image:{image.id}", "permissions", f"the ANNOTATE right ({self._why(image)})"
                )

    def _write_migration(self, ref: OmeroImage, item: PrototypeCollection) -> PrototypeCollection:
        annotation = self.gateway.link_map_annotation(
            "Image",
            ref.id,
            NS_COLLECTION,
            collection_to_pairs(item.collection, ref_omero_image_id=ref.id),
        )
        collection = item.collection.model_copy(update={"omero_collection_id": annotation.id})
        self.gateway.update_map_annotation(
            annotation.id, collection_to_pairs(collection, ref_omero_image_id=ref.id)
        )
        for label in item.labels:
            assert label.omero_image_id is not None
            pairs = label_image_to_pairs(
                label, ref_omero_image_id=ref.id, collection_omero_ids=[annotation.id]
            )
            self.gateway.link_map_annotation("Image", label.omero_image_id, NS_LABEL_IMAGE, pairs)
        paths = document_paths(
            item.image.id, [(label, f"{collection.name}/{label.key}") for label in item.labels]
        )
        document = to_document(collection, item.image, item.labels, paths)
        self.gateway.link_file_annotation(
            "Image",
            ref.id,
            NS_DOCUMENT,
            _document_name(collection.id),
            json.dumps(document, indent=2, ensure_ascii=False).encode(),
        )
        return PrototypeCollection(collection, item.image, item.labels)

    # -- classic Mask ROIs ---------------------------------------------------------------------

    def to_masks(self, omero_image_id: int, label_reference: str) -> list[Roi]:
        """One ROI per object of a pushed label image, holding its Masks (one per plane).

        Each ROI is named by the object's stable instance id ``<label-image-id>:<value>`` and
        its Masks carry the schema's colour and class name. Refused (before writing) when the
        label image was converted already.
        """
        ref = self.gateway.get_image(omero_image_id)
        label, location = self._pushed_label(ref, label_reference)
        self._check_group_member(ref)
        if not self.gateway.can_annotate("Image", ref.id):
            raise OmeroPermissionError(
                f"Image:{ref.id}", "permissions", f"the ANNOTATE right ({self._why(ref)})"
            )
        prefix = f"{label.id}:"
        if any((roi.name or "").startswith(prefix) for roi in self.gateway.rois(ref.id)):
            raise ConflictError(
                label.key, "masks", f"a label image not yet converted to Masks on Image:{ref.id}"
            )
        level0 = np.asarray(self._label_arrays(label, location)[0])
        # An axis of size 1 where the image has more is irrelevant: its Masks cover every index.
        names = [axis.name for axis in label.axes]
        irrelevant = [
            i
            for i, name in enumerate(names)
            if level0.shape[i] == 1 and ref.shape[TCZYX.index(name)] > 1
        ]
        shapes = masks_from_labels(
            level0.squeeze(axis=tuple(irrelevant)),
            [name for i, name in enumerate(names) if i not in irrelevant],
            label.label_schema,
        )
        return [
            self.gateway.create_roi(ref.id, list(masks), label.instance_id(value))
            for value, masks in groupby(shapes, key=lambda shape: shape.label)
        ]

    def from_masks(self, omero_image_id: int) -> np.ndarray:
        """A label image (TCZYX, uint32) painted from the Mask ROIs of an OMERO image.

        Its t, c and z sizes are the image's, or 1 along an axis no Mask is pinned to.

        A ROI named ``<label-image-id>:<value>`` (as :meth:`to_masks` writes) gets that value,
        any other ROI its rank by id (1, 2, …, as omero-cli-zarr numbers them). ROIs pointing at
        OME-Zarr labels (ExternalInfo) hold no pixels and are skipped.
        """
        ref = self.gateway.get_image(omero_image_id)
        rois = [roi for roi in self.gateway.rois(ref.id) if roi.external_info is None and roi.masks]
        if not rois:
            raise NotFoundError(f"Image:{ref.id}", "rois", "ROIs with Mask shapes")
        shapes: list[MaskShape] = []
        for rank, roi in enumerate(sorted(rois, key=lambda r: r.id), start=1):
            value = _instance_value(roi.name) or rank
            shapes.extend(replace(mask, label=value) for mask in roi.masks)
        # An axis no Mask pins to an index (theT, theC, theZ unset) has size 1 in the result.
        shape = [
            1 if name in "tcz" and all(getattr(m, name) is None for m in shapes) else size
            for name, size in zip(TCZYX, ref.shape, strict=True)
        ]
        return labels_from_masks(shapes, shape, np.uint32, TCZYX)

    def _pushed_label(self, ref: OmeroImage, reference: str) -> tuple[LabelImage, LabelLocation]:
        """A label image of ``ref`` by ``<id>``, ``<name>@<version>`` or
        ``Image:<id>/<name>@<version>``."""
        candidates = []
        for kind in ("Image", "Roi"):
            pairs = [("omero.ref_image_id", str(ref.id))]
            for object_id in self._all_pages(kind, NS_LABEL_IMAGE, pairs, DEFAULT_LIMIT):
                for annotation in self.gateway.map_annotations(kind, object_id, NS_LABEL_IMAGE):
                    location = LabelLocation(kind, object_id, annotation)
                    candidates.append((self._label_of(location), f"Image:{ref.id}", location))
        return choose_label(reference, candidates, f"a label image pushed to Image:{ref.id}")

    # -- rules ---------------------------------------------------------------------------------

    def _check_group_member(self, ref: OmeroImage) -> None:
        user = self.gateway.current_user()
        if ref.group_id not in user.group_ids:
            raise OmeroPermissionError(
                f"Image:{ref.id}",
                "group",
                f"membership of the reference image's group {ref.group_id}, where everything of "
                "a collection lives",
            )

    def _check_same_group(self, group_id: int, ref: OmeroImage, what: str) -> None:
        if group_id != ref.group_id:
            raise MixedGroupError(
                what,
                "group",
                f"the reference image's group {ref.group_id} (it is in group {group_id}; OMERO "
                "refuses links across groups: MIXED GROUP)",
            )

    def _check_edit(self, annotation: MapAnnotation | FileAnnotation) -> None:
        if not self.gateway.can_edit_annotation(annotation.id):
            kind = "MapAnnotation" if isinstance(annotation, MapAnnotation) else "FileAnnotation"
            raise OmeroPermissionError(
                f"{kind}:{annotation.id}",
                "permissions",
                f"the right to change it (owned by user {annotation.owner_id}; ask them or a "
                "group owner to push)",
            )

    def _why(self, image: OmeroImage) -> str:
        groups = {g.id: g for g in self.gateway.groups()}
        group = groups.get(image.group_id)
        level = group.permissions if group is not None else "?"
        return (
            f"group {image.group_id} is {level} and Image:{image.id} belongs to user "
            f"{image.owner_id}"
        )


def _instance_value(name: str | None) -> int | None:
    """The label value of an instance id ``<label-image-id>:<value>``, if ``name`` is one."""
    _, colon, value = (name or "").rpartition(":")
    return int(value) if colon and value.isdigit() and int(value) > 0 else None


def _document_name(collection_id: str) -> str:
    return f"labelcollections-{collection_id}.json"


def _collection_ids(annotation: MapAnnotation) -> set[int]:
    return {int(v) for k, v in annotation.pairs if k == "omero.collection_id"}


def _check_geometry(image: ReferenceImage, ref: OmeroImage) -> None:
    """The OMERO image must have the reference image's size along each of its axes."""
    expected = tuple(ref.shape[TCZYX.index(name)] for name in image.axis_names)
    others = [ref.shape[i] for i, name in enumerate(TCZYX) if name not in image.axis_names]
    if expected != image.shape or any(n != 1 for n in others):
        raise InputError(
            f"Image:{ref.id}",
            "size",
            f"the size of {image.name} {dict(zip(image.axis_names, image.shape, strict=True))} "
            f"(got {dict(zip(TCZYX, ref.shape, strict=True))})",
        )


def _check_hash(where: str, pixels: Any, recorded: str | None) -> None:
    if recorded is not None and (actual := content_hash(pixels)) != recorded:
        raise InputError(where, "pixels", f"pixels hashing to {recorded} (got {actual})")


def _to_tczyx(data: np.ndarray, axis_names: Sequence[str]) -> np.ndarray:
    """NGFF-ordered pixels as OMERO's five dimensions (missing axes of size 1)."""
    shape = [data.shape[list(axis_names).index(a)] if a in axis_names else 1 for a in TCZYX]
    return data.reshape(shape)


def _from_tczyx(data: np.ndarray, axis_names: Sequence[str]) -> np.ndarray:
    return data[tuple(slice(None) if a in axis_names else 0 for a in TCZYX)]


def _rebuild_reference(
    ref: OmeroImage, collection: LabelCollection, labels: Sequence[LabelImage]
) -> ReferenceImage:
    """The reference image from OMERO's image and its labels' pyramid, when no document tells."""
    described = next((label for label in labels if label.levels), None)
    if described is None:
        raise InputError(
            f"Image:{ref.id}", "collection document", f"a document for collection {collection.name}"
        )
    names = [axis.name for axis in described.axes]
    shape = tuple(ref.shape[TCZYX.index(name)] for name in names)
    return ReferenceImage(
        id=collection.image_id,
        name=safe_name(ref.name),
        axes=described.axes,
        dtype=ref.dtype,
        levels=image_levels(shape, names, described.levels[0].scale),
        content_hash=described.provenance.reference_hash,
    )
