"""Moving an image with its labels, collections and tables in and out of the repository:
export to OME-Zarr, import from OME-Zarr, and writing what was pulled from elsewhere."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import zarr

from labelcollections.catalog import CatalogWriter, TableRecord
from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.ngff.labels import (
    image_label_metadata,
    image_path_from_label,
    labels_group_metadata,
)
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.lineage import check_lineage
from labelcollections.model.names import check_display_name
from labelcollections.model.vocabulary import LabelType
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.documents import write_collection
from labelcollections.repository.images import (
    ImageWriting,
    check_new_image,
    new_store,
    write_image_group,
)
from labelcollections.repository.journal import Intent, publishing
from labelcollections.repository.layout import flat_paths, label_attributes
from labelcollections.repository.pixels import image_levels
from labelcollections.repository.references import image
from labelcollections.repository.tables import relocated_table, store_instance_table, table_record
from labelcollections.storage.importing import ImportPlan, PlannedLabel, PlannedTable, plan_import
from labelcollections.storage.locations import (
    ZIPPED_SUFFIX,
    is_url,
    join,
    looks_like_zarr,
    normalise,
)
from labelcollections.storage.ome_zarr_store import (
    ImageStore,
    LevelWriting,
    join_key,
    write_multiscale_group,
    write_plain_group,
)
from labelcollections.storage.publish import (
    STAGING_PREFIX,
    Location,
    location_exists,
    staged_directory,
)
from labelcollections.storage.sharding import Shards
from labelcollections.storage.tables import read_table, table_attributes, table_names, write_table
from labelcollections.storage.zipped import write_zipped

READ_ONLY_SCHEMES = frozenset({"http", "https", "zip"})
"""URL schemes exports cannot be written to."""


@dataclass(frozen=True)
class ImportResult:
    """What an import added: the image, the collections written and the new label images."""

    image: ReferenceImage
    collections: tuple[LabelCollection, ...]
    labels: tuple[LabelImage, ...]


def export(
    repo: RepositoryContext,
    image_name: str,
    destination: str | Path,
    ngff: NgffVersion = "0.5",
    *,
    overwrite: bool = False,
    shards: Shards = None,
) -> Location:
    """Write one image with all its labels, collection documents, tables and OME-XML to a new
    OME-Zarr, in the flat label layout (``labels/<slug>``) every reader of today follows; a
    destination ending ``.ozx`` gets one zipped file (NGFF RFC-9). ``overwrite`` replaces an
    earlier export there, once the new one is complete. Every array is streamed chunk by chunk
    (into ``shards``, see :mod:`labelcollections.storage.sharding`), its content hash checked
    on the way."""
    reference = image(repo, image_name)
    return write_to(
        repo,
        destination,
        ngff,
        overwrite,
        lambda folder: write_export(repo, reference, folder, ngff, shards),
    )


def write_to(
    repo: RepositoryContext,
    destination: str | Path,
    ngff: NgffVersion,
    overwrite: bool,
    write: Callable[[Location], None],
) -> Location:
    """Run ``write`` on an empty folder that becomes the export at ``destination`` once it is
    complete (a zipped file for ``.ozx``); see :func:`export`. At a URL (object storage) the
    export is written in place and complete once ``write`` returns."""
    if is_url(str(destination)):
        location = normalise(destination)
        if urlsplit(location).scheme in READ_ONLY_SCHEMES:
            raise InputError(
                location, "destination", "a path, or a URL one can write to (s3://, gs:// …)"
            )
        if location_exists(location):
            if not overwrite:
                raise ConflictError(location, "destination", "a new URL, or --overwrite")
            if not looks_like_zarr(location):
                raise ConflictError(location, "destination", "an earlier export to replace")
        with staged_directory(location) as staging:
            write(staging)
        return location
    target = _export_target(repo, destination, overwrite)
    try:
        if target.suffix.lower() == ZIPPED_SUFFIX:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=target.parent) as scratch:
                folder = Path(scratch)
                write(folder)
                write_zipped(folder, target, ngff)
        else:
            with staged_directory(target, replace=overwrite) as staging:
                write(staging)
    except OSError as error:
        if error.filename is None or not Path(error.filename).is_relative_to(target.parent):
            raise
        raise InputError(
            str(destination), "destination", f"a writable place ({error.strerror or error})"
        ) from None
    return target


def _export_target(repo: RepositoryContext, destination: str | Path, overwrite: bool) -> Path:
    """The local path an export may write, refused before anything is written when it lies
    inside the repository, or exists (unless an earlier export is to be replaced)."""
    text = str(destination)
    expected = "a new path (a folder, a file ending .ozx, or a URL)"
    target = Path(text).expanduser().resolve()
    blocking = next((parent for parent in target.parents if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise InputError(text, "destination", f"{expected} in a folder ({blocking} is a file)")
    if target.is_relative_to(repo.root):
        raise InputError(text, "destination", f"{expected} outside the repository")
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise ConflictError(text, "destination", f"{expected}, or --overwrite")
        zipped = target.suffix.lower() == ZIPPED_SUFFIX
        replaceable = target.is_file() if zipped else looks_like_zarr(str(target))
        if target.is_symlink() or not replaceable:
            raise ConflictError(text, "destination", "an earlier export to replace")
    return target


def write_export(
    repo: RepositoryContext,
    reference: ReferenceImage,
    folder: Location,
    ngff: NgffVersion,
    shards: Shards,
) -> None:
    """Write the export of ``reference`` into the empty ``folder``."""
    stored = repo.catalog.label_images(reference.id)
    source_store = repo.store(reference)
    paths = flat_paths(stored)
    exported_labels = [(label, paths[label.id]) for label, _ in stored]
    write_image_group(
        repo,
        folder,
        image_levels(repo, reference),
        reference.model_copy(update={"source": None}),
        ImageWriting(
            title=f"Exporting image {reference.name}",
            ngff=ngff,
            shards=shards,
            ome_xml=source_store.ome_xml(),
            expected_hash=reference.content_hash,
        ),
    )
    for label, path in stored:
        write_multiscale_group(
            join(str(folder), "labels", paths[label.id]),
            [source_store.array(join_key("labels", path, lv.path)) for lv in label.levels],
            label.axes,
            label.levels,
            ngff,
            {
                "image-label": image_label_metadata(
                    label.label_schema, ngff, image_path_from_label(paths[label.id])
                )
            },
            _checked_label_attributes(label, source_store.location),
            name=paths[label.id],
            writing=LevelWriting(
                shards=shards, progress=repo.progress, title=f"Exporting labels {path}"
            ),
        )
    exported = ImageStore(str(folder), zarr.open_group(str(folder), mode="r+"), True)
    labels_group = labels_group_metadata(list(paths.values()), ngff)
    write_plain_group(join(str(folder), "labels"), labels_group, ngff)
    for collection in repo.catalog.collections(reference.id):
        write_collection(exported, collection, reference, exported_labels)
    for name in table_names(source_store):
        moved, attributes = relocated_table(name, table_attributes(source_store, name), paths)
        write_table(exported, moved, read_table(source_store, name), attributes, ngff)


def _checked_label_attributes(label: LabelImage, source: str) -> Callable[[str], dict[str, Any]]:
    """Our attributes of a label group being copied from ``source``, once its pixels proved to
    be the recorded ones."""

    def attributes(digest: str) -> dict[str, Any]:
        recorded = label.provenance.content_hash
        if recorded not in (None, digest):
            raise InputError(
                source, f"{label.key} pixels", f"pixels matching the recorded hash {recorded}"
            )
        return label_attributes(label)

    return attributes


def import_store(
    repo: RepositoryContext,
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
    check_display_name(collection, "collection name")
    return _apply_import(repo, plan_import(source, name, collection, LabelType(label_type)))


def import_plan(repo: RepositoryContext, plan: ImportPlan) -> ImportResult:
    """Write what a planned import (from a store, or pulled from OMERO) holds, exactly.

    Into a repository that already has the image (same id and pixels) only what it lacks is
    added: new label images, new collections and new members of known collections.
    """
    known = repo.catalog.image(plan.image.id, by="id")
    present = [label for label, _ in repo.catalog.label_images(known.id)] if known else []
    arriving = [planned.label for planned in plan.labels]
    check_lineage(
        {label.id: label.provenance.derived_from for label in [*present, *arriving]}, plan.source
    )
    if known is None:
        return _apply_import(repo, plan)
    return _merge_import(repo, known, plan)


def _apply_import(repo: RepositoryContext, plan: ImportPlan) -> ImportResult:
    reference = plan.image
    with repo.catalog.reading() as reader:
        check_new_image(reader, reference.name, reference.id)
    labels = _flattened(plan.labels)
    stored = [(planned.label, planned.path) for planned in labels]
    with new_store(repo, reference.name) as staging:
        staging.image = reference
        write_image_group(
            repo,
            staging.path,
            plan.image_arrays,
            reference,
            ImageWriting(
                title=f"Importing image {reference.name}",
                ome_xml=plan.ome_xml,
                expected_hash=reference.content_hash,
            ),
        )
        store = ImageStore(str(staging.path), zarr.open_group(staging.path, mode="r+"), True)
        paths = {label.id: path for label, path in stored}
        staging.tables = _write_planned_labels(
            repo, store, plan.source, labels, _relocated(plan.tables, paths)
        )
        for collection in plan.collections:
            write_collection(store, collection, reference, stored)
        staging.labels, staging.collections = stored, plan.collections
    return ImportResult(reference, plan.collections, tuple(label for label, _ in stored))


def _flattened(labels: Sequence[PlannedLabel], taken: Sequence[str] = ()) -> list[PlannedLabel]:
    """The planned label images at flat paths (see :func:`flat_paths`)."""
    paths = flat_paths(((planned.label, planned.path) for planned in labels), taken)
    return [replace(planned, path=paths[planned.label.id]) for planned in labels]


def _relocated(tables: Sequence[PlannedTable], paths: dict[str, str]) -> list[PlannedTable]:
    """The planned tables renamed and pointed at the label images' new paths."""
    moved = []
    for planned in tables:
        name, attributes = relocated_table(planned.name, planned.attributes, paths)
        moved.append(replace(planned, name=name, attributes=attributes))
    return moved


def _merge_import(
    repo: RepositoryContext, reference: ReferenceImage, plan: ImportPlan
) -> ImportResult:
    """Add what ``plan`` has and the repository lacks to an image already here."""
    if plan.image.content_hash != reference.content_hash:
        raise ConflictError(
            reference.name,
            "image",
            f"the pixels of the image already here ({reference.content_hash})",
        )
    with publishing(repo, Intent(reference.id, reference.name)) as writer:
        return _merge_into(repo, writer, reference, plan)


def _merge_into(
    repo: RepositoryContext, writer: CatalogWriter, reference: ReferenceImage, plan: ImportPlan
) -> ImportResult:
    """Merge inside the image's write transaction (see :func:`_merge_import`)."""
    stored = writer.label_images(reference.id)
    present = {label.id for label, _ in stored}
    keys = {label.key for label, _ in stored}
    new = _flattened(
        [planned for planned in plan.labels if planned.label.id not in present],
        [path for _, path in stored],
    )
    for planned in new:
        if planned.label.key in keys:
            raise ConflictError(
                planned.label.key,
                "label image",
                f"a name@version not yet used on {reference.name}",
            )
    merged = _merged_collections(writer.collections(reference.id), reference, plan.collections)
    store = repo.store(reference, writable=True)
    paths = {planned.label.id: planned.path for planned in new}
    arriving = [
        planned
        for planned in plan.tables
        if table_record(planned.name, planned.attributes, planned.table).label_image_id in paths
    ]
    tables = _write_planned_labels(repo, store, plan.source, new, _relocated(arriving, paths))
    everything = [*stored, *((planned.label, planned.path) for planned in new)]
    for collection in merged:
        write_collection(store, collection, reference, everything)
    writer.put_labels(reference.name, [(planned.label, planned.path) for planned in new])
    for collection in merged:
        writer.put_collection(collection)
    for record in tables:
        writer.put_table(record)
    return ImportResult(reference, tuple(merged), tuple(planned.label for planned in new))


def _merged_collections(
    present: Sequence[LabelCollection],
    reference: ReferenceImage,
    incoming: Sequence[LabelCollection],
) -> list[LabelCollection]:
    """The collections of ``reference`` (``present`` now) that ``incoming`` adds or extends,
    as they will be."""
    local = {collection.id: collection for collection in present}
    names = {collection.name: collection.id for collection in local.values()}
    merged = []
    for item in incoming:
        if names.get(item.name, item.id) != item.id:
            raise ConflictError(
                item.name, "collection", f"a collection name not yet used on {reference.name}"
            )
        current = local.get(item.id, item.model_copy(update={"members": ()}))
        for member in item.members:
            current = current.with_member(member)
        if current.omero_collection_id is None:
            current = current.model_copy(update={"omero_collection_id": item.omero_collection_id})
        if current != local.get(item.id):
            merged.append(current)
    return merged


def _write_planned_labels(
    repo: RepositoryContext,
    store: ImageStore,
    source: str,
    labels: Sequence[PlannedLabel],
    planned_tables: Sequence[PlannedTable] = (),
) -> list[TableRecord]:
    """Write label images exactly as planned, with their tables (instance tables computed
    where none came along); return the tables for the catalog."""
    for planned in labels:
        label = planned.label
        staged = store.stage_label_group(
            planned.path,
            planned.arrays,
            label.axes,
            label.levels,
            image_label_metadata(
                label.label_schema, store.ngff_version, image_path_from_label(planned.path)
            ),
            _checked_label_attributes(label, source),
            LevelWriting(
                reduction=label.downsampling,
                progress=repo.progress,
                title=f"Importing labels {planned.path}",
            ),
        )
        try:
            store.publish_label_group(planned.path, staged)
        finally:
            staged.discard()
    tables = []
    for planned_table in planned_tables:
        write_table(store, planned_table.name, planned_table.table, planned_table.attributes)
        tables.append(
            table_record(planned_table.name, planned_table.attributes, planned_table.table)
        )
    measured = {record.label_image_id for record in tables if record.kind == "instances"}
    for planned in labels:
        if planned.label.id not in measured:
            tables.append(store_instance_table(repo, store, planned.label, planned.path))
    return tables
