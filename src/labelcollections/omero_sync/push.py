"""``push``: a repository's collections onto an OMERO image, updating what changed.

Every right is checked, and everything the push will change is worked out, before the first
write (:func:`_plan`), so a refusal leaves OMERO as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np

from labelcollections.errors import InputError, NotFoundError
from labelcollections.formats.omero_kv import (
    NS_COLLECTION,
    NS_LABEL_IMAGE,
    collection_to_pairs,
    label_image_to_pairs,
)
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.omero.gateway import (
    ExternalInfo,
    FileAnnotation,
    MapAnnotation,
    MaskShape,
    ObjectKind,
    OmeroGateway,
    OmeroImage,
    check_text,
)
from labelcollections.omero_sync.find import locate
from labelcollections.omero_sync.mapping import (
    LABEL_PIXEL_DTYPES,
    NGFF_ENTITY_ID,
    NGFF_ENTITY_TYPE,
    NS_DOCUMENT,
    TCZYX,
    LabelLocation,
    PixelMode,
    collection_ids,
    document_name,
    to_tczyx,
)
from labelcollections.omero_sync.read import collection_annotations, documents_of
from labelcollections.omero_sync.rules import require_annotate, require_edit, require_same_group
from labelcollections.omero_sync.tables import check_tables, write_tables
from labelcollections.omero_sync.undo import Undo, all_or_nothing
from labelcollections.repository import Repository
from labelcollections.storage.locations import is_url

__all__ = ["PushResult", "push"]


@dataclass(frozen=True)
class PushResult:
    """The collections pushed (with their OMERO ids) and the label images added or kept."""

    collections: tuple[LabelCollection, ...]
    created: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass
class _Plan:
    """What a push will write, worked out (and checked) before the first write."""

    image: ReferenceImage
    ref: OmeroImage
    labels: dict[str, LabelImage]
    found: dict[str, LabelLocation | None]
    collection_annotations: dict[str, MapAnnotation]
    documents: dict[str, FileAnnotation]


def push(
    repository: Repository,
    gateway: OmeroGateway,
    image_name: str,
    omero_image_id: int,
    collection: str | None = None,
    pixels: PixelMode = "upload",
    zarr_base: str | None = None,
) -> PushResult:
    """Push the collections of ``image_name`` (or one) onto OMERO Image ``omero_image_id``.

    Pushing again updates what changed; label images already in OMERO are kept (their pixels
    never change), new versions are added. ``zarr_base`` is where the image's OME-Zarr is
    published (the labels' URIs are below it); the repository's store if not given.
    """
    image = repository.image(image_name)
    collections = (
        [repository.collection(collection, image.name)]
        if collection
        else repository.collections(image.name)
    )
    if not collections:
        raise NotFoundError(image.name, "collection", "an image with collections to push")
    ref = gateway.get_image(omero_image_id)
    _check_geometry(image, ref)
    plan = _plan(repository, gateway, image, ref, collections, pixels)
    created: list[str] = []
    kept: list[str] = []
    with all_or_nothing(gateway) as undo:
        final = []
        for item in collections:
            annotation = plan.collection_annotations.get(item.id)
            if annotation is None:
                pairs = _collection_pairs(item, None, ref)
                annotation = gateway.link_map_annotation("Image", ref.id, NS_COLLECTION, pairs)
                undo.created("Annotation", annotation.id)
            _update_pairs(gateway, undo, annotation, _collection_pairs(item, annotation.id, ref))
            final.append(item.model_copy(update={"omero_collection_id": annotation.id}))
        for label in plan.labels.values():
            location = plan.found[label.id]
            pairs = _label_pairs(label, location, final, ref)
            if location is None:
                kind, object_id = _write_pixels(repository, gateway, label, ref, pixels, zarr_base)
                undo.created(kind, object_id)
                location = LabelLocation(
                    kind,
                    object_id,
                    gateway.link_map_annotation(kind, object_id, NS_LABEL_IMAGE, pairs),
                )
                created.append(label.key)
            else:
                _update_pairs(gateway, undo, location.annotation, pairs)
                kept.append(label.key)
            write_tables(repository, gateway, undo, label, location)
        for item in final:
            data = _document_bytes(repository, item)
            existing = plan.documents.get(item.id)
            if existing is None:
                document = gateway.link_file_annotation(
                    "Image", ref.id, NS_DOCUMENT, document_name(item.id), data
                )
                undo.created("Annotation", document.id)
            elif (old := gateway.read_file_annotation(existing.id)) != data:
                undo.replaced(existing.id, old)
                gateway.replace_file_annotation(existing.id, data)
    # The repository learns the OMERO ids only once everything is in OMERO.
    pushed = [repository.set_omero_collection_id(c.id, c.omero_collection_id or 0) for c in final]
    return PushResult(tuple(pushed), tuple(created), tuple(kept))


def _update_pairs(
    gateway: OmeroGateway, undo: Undo, annotation: MapAnnotation, pairs: list[tuple[str, str]]
) -> None:
    """Change an annotation's pairs if they differ, ready to be put back."""
    if tuple(pairs) != annotation.pairs:
        undo.changed(annotation)
        gateway.update_map_annotation(annotation.id, pairs)


def _collection_pairs(
    item: LabelCollection, omero_id: int | None, ref: OmeroImage
) -> list[tuple[str, str]]:
    updated = item.model_copy(update={"omero_collection_id": omero_id})
    return collection_to_pairs(updated, ref_omero_image_id=ref.id)


def _label_pairs(
    label: LabelImage,
    location: LabelLocation | None,
    collections: Sequence[LabelCollection],
    ref: OmeroImage,
) -> list[tuple[str, str]]:
    """The label's pairs, listing the collections it was in and those pushed now."""
    ids = collection_ids(location.annotation) if location is not None else set()
    ids.update(
        c.omero_collection_id
        for c in collections
        if label.id in c.members and c.omero_collection_id is not None
    )
    return label_image_to_pairs(label, ref_omero_image_id=ref.id, collection_omero_ids=sorted(ids))


def _document_bytes(repository: Repository, item: LabelCollection) -> bytes:
    text = json.dumps(repository.collection_document(item), indent=2, ensure_ascii=False)
    return check_text(f"collection {item.name}", "document", text).encode()


def _check_pairs(where: str, pairs: Sequence[tuple[str, str]]) -> None:
    """Every key and value OMERO can store, checked before the first write."""
    for key, value in pairs:
        check_text(where, key, key)
        check_text(where, key, value)


def _plan(
    repository: Repository,
    gateway: OmeroGateway,
    image: ReferenceImage,
    ref: OmeroImage,
    collections: Sequence[LabelCollection],
    pixels: PixelMode,
) -> _Plan:
    """Everything a push needs, with every refusal raised before anything is written: group,
    ANNOTATE on the reference image, pixel types, and WRITE on each annotation of someone
    else's that the push would change."""
    require_annotate(gateway, ref, "the reference image")
    labels = {m: repository.label_image(m) for c in collections for m in c.members}
    found = {label_id: locate(gateway, label_id, ref.id) for label_id in labels}
    for label in labels.values():
        location = found[label.id]
        if location is not None:
            where = f"{location.kind}:{location.object_id}"
            require_same_group(location.annotation.group_id, ref, where)
        elif pixels == "upload" and label.dtype not in LABEL_PIXEL_DTYPES:
            raise InputError(
                label.key,
                "dtype",
                f"one of {', '.join(LABEL_PIXEL_DTYPES)} for --pixels upload (got "
                f"{label.dtype}); use --pixels zarr",
            )
    check_tables(repository, [label for label in labels.values() if found[label.id] is None])
    for item in collections:
        _check_pairs(f"collection {item.name}", _collection_pairs(item, 0, ref))
        _document_bytes(repository, item)
    for label in labels.values():
        _check_pairs(label.key, _label_pairs(label, None, [], ref))
        check_text(label.key, "name", f"{ref.name} {label.key}")
    known = {item.id: annotation for item, annotation in collection_annotations(gateway, ref)}
    documents = documents_of(gateway, ref)
    plan = _Plan(
        image,
        ref,
        labels,
        found,
        {c.id: known[c.id] for c in collections if c.id in known},
        {
            c.id: documents[document_name(c.id)]
            for c in collections
            if document_name(c.id) in documents
        },
    )
    for owned in _changed_annotations(repository, gateway, plan, collections):
        require_edit(gateway, owned)
    return plan


def _changed_annotations(
    repository: Repository,
    gateway: OmeroGateway,
    plan: _Plan,
    collections: Sequence[LabelCollection],
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
        if tuple(_collection_pairs(item, annotation.id, ref)) != annotation.pairs:
            yield annotation
        document = plan.documents.get(item.id)
        if document is not None and gateway.read_file_annotation(document.id) != _document_bytes(
            repository, item
        ):
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
        pairs = _label_pairs(label, location, final, ref)
        if joins_new or tuple(pairs) != location.annotation.pairs:
            yield location.annotation


def _write_pixels(
    repository: Repository,
    gateway: OmeroGateway,
    label: LabelImage,
    ref: OmeroImage,
    pixels: PixelMode,
    zarr_base: str | None,
) -> tuple[ObjectKind, int]:
    if pixels == "upload":
        data = np.asarray(repository.label_levels(label)[0][...])
        created = gateway.create_image(
            f"{ref.name} {label.key}",
            to_tczyx(data, [a.name for a in label.axes]),
            ref.group_id,
            f"Label image {label.key} ({label.id}) of Image:{ref.id}",
        )
        return "Image", created.id
    uri = _label_uri(repository, label, zarr_base)
    mask = MaskShape(
        label=0, x=0, y=0, width=ref.size_x, height=ref.size_y, bytes=b"", text=label.key
    )
    roi = gateway.create_roi(
        ref.id, [mask], label.key, ExternalInfo(NGFF_ENTITY_TYPE, NGFF_ENTITY_ID, uri)
    )
    return "Roi", roi.id


def _label_uri(repository: Repository, label: LabelImage, zarr_base: str | None) -> str:
    """Where the label's multiscale group is, as omero-zarr-pixel-buffer resolves an ``lsid``:
    a plain absolute path or an ``s3://`` / ``https://`` URL, never percent-encoded (``%40``
    names no file on disk)."""
    path = repository.label_path(label)
    if zarr_base is None:
        store = repository.store_location(repository.image(label.image_id))
        if isinstance(store, str):
            return f"{store}/labels/{path}"
        return str(store.resolve() / "labels" / path)
    base = zarr_base.rstrip("/")
    if is_url(base):
        return f"{base}/labels/{path}"
    local = unquote(urlsplit(base).path) if base.startswith("file://") else base
    return str(Path(local).expanduser().resolve() / "labels" / path)


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
