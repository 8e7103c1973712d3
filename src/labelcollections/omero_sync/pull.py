"""``pull``: the collections of an OMERO image, with their pixels, into a repository."""

from __future__ import annotations

from dataclasses import dataclass

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage
from labelcollections.omero.gateway import OmeroGateway
from labelcollections.omero_sync.mapping import from_tczyx
from labelcollections.omero_sync.pixels import check_hash, label_arrays, read_pixels
from labelcollections.omero_sync.read import read_collections
from labelcollections.omero_sync.tables import read_tables
from labelcollections.repository import Repository
from labelcollections.storage.importing import ImportPlan, PlannedLabel, PlannedTable
from labelcollections.storage.pyramid import downsample_image

__all__ = ["PullResult", "pull"]


@dataclass(frozen=True)
class PullResult:
    """What a pull added to the repository, and notes about what had to be rebuilt."""

    collections: tuple[LabelCollection, ...]
    labels: tuple[LabelImage, ...]
    notes: tuple[str, ...]


def pull(
    repository: Repository,
    gateway: OmeroGateway,
    omero_image_id: int,
    collection: str | None = None,
) -> PullResult:
    """Copy the collections of an OMERO image (or one) with their pixels and tables into the
    repository, checking every pixel hash against the recorded one. A repository that already
    has the image gets only the label images and members it lacks."""
    collections = read_collections(gateway, omero_image_id, collection)
    if not collections:
        raise NotFoundError(f"Image:{omero_image_id}", "collections", "a pushed collection")
    image = collections[0].image
    if any(c.image.id != image.id for c in collections):
        raise InputError(
            f"Image:{omero_image_id}", "collections", "collections of one reference image"
        )
    ref = gateway.get_image(omero_image_id)
    level0 = from_tczyx(read_pixels(gateway, ref), image.axis_names)
    check_hash(f"Image:{ref.id}", level0, image.content_hash)
    image_arrays = [level0]
    for level in image.levels[1:]:
        image_arrays.append(downsample_image(image_arrays[-1], level.shape))
    planned: dict[str, PlannedLabel] = {}
    tables: list[PlannedTable] = []
    for item in collections:
        for label in item.labels:
            if label.id not in planned:
                location = item.locations[label.id]
                arrays = label_arrays(gateway, label, location)
                planned[label.id] = PlannedLabel(label, item.paths[label.id], arrays)
                tables += read_tables(gateway, location)
    written = repository.import_plan(
        ImportPlan(
            image,
            image_arrays,
            tuple(planned.values()),
            tuple(c.collection for c in collections),
            tuple(tables),
            source=f"Image:{omero_image_id}",
        )
    )
    return PullResult(
        written.collections,
        written.labels,
        tuple(note for c in collections for note in c.notes),
    )
