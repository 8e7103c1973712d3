"""HCS plates on OMERO: fields are Images under Screen/Plate/Well/WellSample.

``push_plate`` pushes the collections of every field of a repository plate onto the Image of
the matching WellSample (same row and column index, same field index), and keeps the plate's
record (its grid and plate-level collections) as a JSON file annotation on the Plate;
``pull_plate`` pulls every field's collections and the plate record back. Each field's push
or pull is all or nothing, as for one image; every field is checked before the first write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.parsing import parse_json, validate_model
from labelcollections.model.plates import Plate
from labelcollections.model.records import to_record
from labelcollections.omero.gateway import OmeroGateway, OmeroPlate
from labelcollections.omero_sync.mapping import PixelMode
from labelcollections.omero_sync.pull import PullResult, pull
from labelcollections.omero_sync.push import PushResult, push
from labelcollections.omero_sync.read import read_collections
from labelcollections.repository import Repository

__all__ = ["NS_PLATE", "PlatePull", "PlatePush", "pull_plate", "push_plate"]

NS_PLATE = "labelcollections/plate/v1"
"""Namespace of the JSON file annotation on a Plate holding the repository's plate record."""


@dataclass(frozen=True)
class PlatePush:
    """The OMERO Plate pushed to and each field's push, by field image name."""

    plate_id: int
    fields: dict[str, PushResult]


@dataclass(frozen=True)
class PlatePull:
    """The plate as pushed (None for a plate that was not pushed by ``push_plate``) and each
    field's pull, by OMERO Image id."""

    plate: Plate | None
    fields: dict[int, PullResult]


def push_plate(
    repository: Repository,
    gateway: OmeroGateway,
    plate_name: str,
    omero_plate_id: int,
    collection: str | None = None,
    pixels: PixelMode = "upload",
    zarr_base: str | None = None,
) -> PlatePush:
    """Push the collections of every field of ``plate_name`` (or one collection) onto the
    fields of OMERO Plate ``omero_plate_id``; ``zarr_base`` as for ``push`` (the plate's
    export, whose fields are ``<row>/<column>/<field>``)."""
    plate = repository.plate(plate_name)
    target = gateway.get_plate(omero_plate_id)
    pairs = []
    for well in plate.wells:
        row, column = plate.rows.index(well.row), plate.columns.index(well.column)
        for index, image_id in enumerate(well.fields):
            field = repository.image(image_id)
            omero_image = target.image_at(row, column, index)
            if omero_image is None:
                raise InputError(
                    f"Plate:{target.id}",
                    f"well {well.well} field {index}",
                    f"a WellSample for field {field.name} of plate {plate.name}",
                )
            if repository.collections(field.name):
                pairs.append((field.name, omero_image, f"{well.well}/{index}"))
    if not pairs:
        raise NotFoundError(plate.name, "collection", "a plate with collections to push")
    pushed = {}
    for name, omero_image, path in pairs:
        base = f"{zarr_base.rstrip('/')}/{path}" if zarr_base else None
        pushed[name] = push(repository, gateway, name, omero_image, collection, pixels, base)
    _write_plate_record(gateway, target, repository.plate(plate_name))
    return PlatePush(target.id, pushed)


def _write_plate_record(gateway: OmeroGateway, target: OmeroPlate, plate: Plate) -> None:
    data = json.dumps(to_record(plate), indent=2, ensure_ascii=False).encode()
    name = f"labelcollections-plate-{plate.id}.json"
    for annotation in gateway.file_annotations("Plate", target.id, NS_PLATE):
        if annotation.name == name:
            if gateway.read_file_annotation(annotation.id) != data:
                gateway.replace_file_annotation(annotation.id, data)
            return
    gateway.link_file_annotation("Plate", target.id, NS_PLATE, name, data)


def pull_plate(repository: Repository, gateway: OmeroGateway, omero_plate_id: int) -> PlatePull:
    """Pull the collections of every field of OMERO Plate ``omero_plate_id`` that has some,
    then the plate's record as ``push_plate`` left it on the Plate."""
    target = gateway.get_plate(omero_plate_id)
    fields = [image for well in target.wells for image in well.images]
    with_collections = [image for image in fields if read_collections(gateway, image)]
    if not with_collections:
        raise NotFoundError(f"Plate:{target.id}", "collections", "a field with pushed collections")
    pulled = {image: pull(repository, gateway, image) for image in with_collections}
    records = gateway.file_annotations("Plate", target.id, NS_PLATE)
    plate = None
    if records:
        text = gateway.read_file_annotation(records[-1].id)
        plate = validate_model(Plate, parse_json(text, f"Plate:{target.id}"), f"Plate:{target.id}")
        repository.save_plate(plate)
    return PlatePull(plate, pulled)
