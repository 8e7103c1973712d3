"""HCS plates: importing an NGFF plate as one reference image per field, plate-level
collections (collections of the fields' collections), and exporting the plate back.

A plate's record lives at ``plates/<plate>.json`` beside the image stores; each field is an
image like any other whose record says where it sits (plate, well, field). ``export`` and
``import_store`` of the facade come here first and hand images that are not plates on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labelcollections import __version__
from labelcollections.errors import ConflictError, NotFoundError
from labelcollections.formats.collection_document import plate_collection_document
from labelcollections.formats.ngff.labels import group_attributes
from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.formats.ngff.plate import plate_metadata, well_metadata
from labelcollections.model.names import check_display_name, new_id, unique_slug
from labelcollections.model.plates import Plate, PlateCollection
from labelcollections.model.provenance import Provenance, utc_now
from labelcollections.model.vocabulary import LabelType, Method
from labelcollections.repository import transfer
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.documents import document_file
from labelcollections.repository.layout import plate_attributes
from labelcollections.repository.references import image
from labelcollections.storage.importing import PlatePlan, is_plate, plan_plate_import
from labelcollections.storage.locations import join, normalise
from labelcollections.storage.ome_zarr_store import OUR_KEY, ImageStore, write_plain_group
from labelcollections.storage.publish import Location, write_json_atomic
from labelcollections.storage.sharding import Shards


@dataclass(frozen=True)
class PlateImport:
    """What the import of a plate added: the plate and each field's import."""

    plate: Plate
    fields: tuple[transfer.ImportResult, ...]


def plates(repo: RepositoryContext) -> list[Plate]:
    """Every plate, by name."""
    return repo.catalog.plates()


def plate(repo: RepositoryContext, name: str) -> Plate:
    """A plate by name."""
    found = repo.catalog.plate(name)
    if found is None:
        raise NotFoundError(name, "plate", f"a plate of the repository at {repo.root}")
    return found


def import_store(
    repo: RepositoryContext,
    location: str | Path,
    *,
    name: str | None = None,
    collection: str = "imported",
    label_type: LabelType | str = LabelType.INSTANCE,
) -> transfer.ImportResult | PlateImport:
    """Import an OME-Zarr store: a plate (every field with its labels, see
    :func:`import_plate`) or one image (``transfer.import_store``)."""
    store = ImageStore.open(normalise(location))
    if not is_plate(store):
        return transfer.import_store(
            repo, location, name=name, collection=collection, label_type=label_type
        )
    check_display_name(collection, "collection name")
    return import_plate(repo, plan_plate_import(store, name, collection, LabelType(label_type)))


def import_plate(repo: RepositoryContext, plan: PlatePlan) -> PlateImport:
    """Write a planned plate: each field as an image import, then the plate's record.

    Every name is checked before the first write; each field is published whole, and the
    plate last, so an interrupted import leaves complete fields and no plate.
    """
    with repo.catalog.reading() as reader:
        if reader.plate(plan.plate.name) is not None:
            raise ConflictError(plan.plate.name, "plate", "a plate not yet in this repository")
        for field in plan.fields:
            if reader.image(field.image.name, by="name") is not None:
                raise ConflictError(
                    field.image.name, "image", "an image not yet in this repository"
                )
    results = tuple(transfer.import_plan(repo, field) for field in plan.fields)
    save_plate(repo, plan.plate)
    return PlateImport(plan.plate, results)


def save_plate(repo: RepositoryContext, item: Plate) -> None:
    """Write a plate's record beside the stores and index it, in one write transaction on the
    plate (writers of one plate take turns)."""
    with repo.catalog.writing(f"plate {item.name}") as writer:
        write_json_atomic(repo.layout.plate_path(item.name), plate_attributes(item))
        writer.put_plate(item)


def collect(repo: RepositoryContext, plate_name: str, collection: str) -> PlateCollection:
    """Make (or bring up to date) the plate-level collection ``collection``: the collections
    of that name of the plate's fields, well by well."""
    check_display_name(collection, "collection name")
    found = plate(repo, plate_name)
    members = []
    for image_id in found.field_ids:
        members += [c.id for c in repo.catalog.collections(image_id) if c.name == collection]
    if not members:
        raise NotFoundError(collection, "collection", f"a collection of the fields of {plate_name}")
    current = next((c for c in found.collections if c.name == collection), None)
    updated = PlateCollection(
        id=current.id if current else new_id(),
        name=collection,
        members=tuple(members),
        provenance=current.provenance
        if current
        else Provenance(
            method=Method.MANUAL,
            software="labelcollections",
            software_version=__version__,
            created=utc_now(),
        ),
    )
    others = tuple(c for c in found.collections if c.name != collection)
    save_plate(repo, found.model_copy(update={"collections": (*others, updated)}))
    return updated


def export(
    repo: RepositoryContext,
    name: str,
    destination: str | Path,
    ngff: NgffVersion = "0.5",
    *,
    overwrite: bool = False,
    shards: Shards = None,
) -> Location:
    """Export a plate (by name) in the NGFF plate layout, every field with its labels,
    collections and tables, and the plate-level collections as RFC-8 collections of the
    fields' collections; any other name is an image
    (:func:`labelcollections.repository.transfer.export`)."""
    found = repo.catalog.plate(name)
    if found is None:
        return transfer.export(repo, name, destination, ngff, overwrite=overwrite, shards=shards)
    return transfer.write_to(
        repo,
        destination,
        ngff,
        overwrite,
        lambda folder: _write_plate(repo, found, folder, ngff, shards),
    )


def _write_plate(
    repo: RepositoryContext, item: Plate, folder: Location, ngff: NgffVersion, shards: Shards
) -> None:
    root = str(folder)
    extra = {**item.attributes, "name": item.name}
    wells = [well.well for well in item.wells]
    content = plate_metadata(item.rows, item.columns, wells, ngff, extra)
    write_plain_group(
        root, {**group_attributes(content, ngff), OUR_KEY: plate_attributes(item)}, ngff
    )
    documents: dict[str, tuple[str, str, str, str]] = {}
    for row in sorted({well.row for well in item.wells}):
        write_plain_group(join(root, row), {}, ngff)
    for well in item.wells:
        paths = [str(index) for index in range(len(well.fields))]
        write_plain_group(
            join(root, well.well), group_attributes(well_metadata(paths, ngff), ngff), ngff
        )
        for path, image_id in zip(paths, well.fields, strict=True):
            field = join(root, well.well, path)
            transfer.write_export(repo, image(repo, image_id), field, ngff, shards)
            exported = ImageStore.open(field)
            for collection in repo.catalog.collections(image_id):
                file = document_file(exported, collection)
                where = f"{well.well}/{path}"
                documents[collection.id] = (
                    collection.id, where, f"../{where}/collections/{file}.json", collection.name
                )  # fmt: skip
    taken: set[str] = set()
    for plate_collection in item.collections:
        members = [documents[m] for m in plate_collection.members if m in documents]
        file = unique_slug(plate_collection.name, frozenset(taken))
        taken.add(file)
        write_json_atomic(
            join(root, "collections", f"{file}.json"),
            plate_collection_document(plate_collection, item, members),
        )
