"""JSON endpoints: images, collections, label images, provenance, instances and ``find``.

Objects are the repository's own records (the JSON stored in the OME-Zarr attributes) with a
few fields the page needs added: counts, tile geometry, effective colours, keys of relatives.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from labelcollections.catalog import TOTAL_CAP
from labelcollections.errors import InputError
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.plates import Plate
from labelcollections.model.records import to_record
from labelcollections.model.vocabulary import LARGEST_COUNT, LabelType, Method
from labelcollections.server.context import ServerContext
from labelcollections.server.planes import Plane, axis_names, check_plane, selection
from labelcollections.server.tile_api import DEFAULT_TILE_SIZE, Context, T, Z

router = APIRouter(tags=["repository"])
Json = dict[str, Any]


def rgba_list(packed: int) -> list[int]:
    return [packed >> shift & 0xFF for shift in (0, 8, 16, 24)]


def image_summary(ctx: ServerContext, image: ReferenceImage) -> Json:
    return {
        **to_record(image),
        "shape": list(image.shape),
        "axis_names": list(image.axis_names),
        "collection_count": len(ctx.repository.collections(image.name)),
        "label_image_count": len(ctx.repository.label_images(image.name)),
        "thumbnail": f"/api/images/{image.id}/thumbnail.png",
    }


def label_summary(ctx: ServerContext, label: LabelImage) -> Json:
    """A label image's record with its key, image name and the colours of its listed classes."""
    palette = ctx.palette(label)
    classes = label.label_schema.classes
    colours = palette.colours_of_values([c.value for c in classes])
    return {
        **to_record(label),
        "key": label.key,
        "image": ctx.image(label.image_id).name,
        "legend": [
            {"value": c.value, "name": c.name, "color": rgba_list(colour)}
            for c, colour in zip(classes, colours, strict=True)
        ],
    }


def collection_record(ctx: ServerContext, collection: LabelCollection) -> Json:
    return {
        **to_record(collection),
        "image": ctx.image(collection.image_id).name,
        "label_images": [label_summary(ctx, ctx.label(m)) for m in collection.members],
    }


@router.get("/api/images", summary="Reference images")
def list_images(ctx: Context) -> list[Json]:
    """Every reference image with its size and number of collections and label images."""
    return [image_summary(ctx, image) for image in ctx.repository.images()]


@router.get("/api/images/{image}", summary="One reference image")
def get_image(ctx: Context, image: str) -> Json:
    """The image with its collections (and their label images), default channel rendering and
    tile geometry."""
    found = ctx.image(image)
    return {
        **image_summary(ctx, found),
        "collections": [collection_record(ctx, c) for c in ctx.repository.collections(found.name)],
        "rendering": [
            {"index": c.index, "window": list(c.window), "color": list(c.colour)}
            for c in ctx.rendering(found)
        ],
        "tile_size": DEFAULT_TILE_SIZE,
        "planes": {
            name: found.shape[found.axis_names.index(name)] if name in found.axis_names else 1
            for name in ("z", "t")
        },
    }


def plate_summary(plate: Plate) -> Json:
    return {
        "id": plate.id,
        "name": plate.name,
        "rows": list(plate.rows),
        "columns": list(plate.columns),
        "well_count": len(plate.wells),
        "field_count": len(plate.field_ids),
        "collections": [c.name for c in plate.collections],
    }


@router.get("/api/plates", summary="HCS plates")
def list_plates(ctx: Context) -> list[Json]:
    """Every plate with its grid, number of wells and fields, and plate-level collections."""
    return [plate_summary(plate) for plate in ctx.repository.plates()]


@router.get("/api/plates/{plate}", summary="One HCS plate")
def get_plate(ctx: Context, plate: str) -> Json:
    """A plate's grid with each well's fields: image id, name, thumbnail, label images."""
    found = ctx.repository.plate(plate)
    return {
        **plate_summary(found),
        "wells": [
            {
                "row": well.row,
                "column": well.column,
                "path": well.well,
                "fields": [
                    {
                        "id": field.id,
                        "name": field.name,
                        "thumbnail": f"/api/images/{field.id}/thumbnail.png",
                        "label_image_count": len(ctx.repository.label_images(field.name)),
                    }
                    for field in (ctx.image(image_id) for image_id in well.fields)
                ],
            }
            for well in found.wells
        ],
    }


@router.get("/api/collections", summary="Label collections")
def list_collections(ctx: Context, image: str | None = None) -> list[Json]:
    """Collections of the repository, or of one image."""
    return [collection_record(ctx, c) for c in ctx.repository.collections(image)]


@router.get("/api/collections/{collection:path}", summary="One label collection")
def get_collection(ctx: Context, collection: str, image: str | None = None) -> Json:
    """A collection by ``<id>``, ``<name>`` or ``<image>/<name>`` (``image``: among that
    image's collections only)."""
    return collection_record(ctx, ctx.repository.collection(collection, image))


@router.get("/api/labels", summary="Label images")
def list_labels(ctx: Context, image: str | None = None) -> list[Json]:
    return [label_summary(ctx, label) for label in ctx.repository.label_images(image)]


@router.get("/api/labels/{label:path}/provenance", summary="Provenance and lineage")
def get_provenance(ctx: Context, label: str) -> Json:
    """How the label image was made, the versions it derives from and that derive from it,
    and the collections it belongs to."""
    found = ctx.label(label)
    parent = found.provenance.derived_from
    return {
        "label_image": found.id,
        "key": found.key,
        "provenance": found.provenance.to_json(),
        "derived_from": {"id": parent, "key": ctx.label(parent).key} if parent else None,
        "lineage": [
            {
                "id": item.id,
                "key": item.key,
                "method": item.provenance.method.value,
                "created": item.provenance.created.isoformat(),
            }
            for item in ctx.repository.lineage(found.id)
        ],
        "collections": [
            c.name
            for c in ctx.repository.collections(ctx.image(found.image_id).name)
            if found.id in c.members
        ],
    }


@router.get("/api/labels/{label:path}/lineage", summary="Lineage")
def get_lineage(ctx: Context, label: str) -> list[Json]:
    """Ancestors, the label image itself and its descendants, oldest first."""
    return [label_summary(ctx, item) for item in ctx.repository.lineage(label)]


def describe_value(ctx: ServerContext, label: LabelImage, value: int) -> Json:
    """What one label value is: its instance id, class, colour and instance-table row."""
    listed = label.label_schema.get(value)
    [colour] = ctx.palette(label).colours_of_values([value])
    is_object = value != 0 and label.label_type is not LabelType.SEMANTIC
    return {
        "label_image": label.id,
        "key": label.key,
        "value": value,
        "instance_id": label.instance_id(value) if is_object else None,
        "class": listed.name if listed else None,
        "color": rgba_list(colour),
        "row": ctx.instance_rows(label).row(value) if value != 0 else None,
    }


@router.get("/api/labels/{label:path}/at", summary="Instance at a position")
def instance_at(
    ctx: Context,
    label: str,
    x: Annotated[int, Query(ge=0, description="column, level-0 pixels")],
    y: Annotated[int, Query(ge=0, description="row, level-0 pixels")],
    z: Z = 0,
    t: T = 0,
) -> Json:
    """The label value under a pixel of the reference image, with what it stands for."""
    found = ctx.label(label)
    array = ctx.label_arrays(found)[0]
    height, width = array.shape[-2:]
    for name, value, size in (("x", x, width), ("y", y, height)):
        if value >= size:
            raise InputError(f"{name}={value}", name, f"a pixel within {width}×{height}")
    plane = Plane(z, t)
    check_plane(axis_names(found), ctx.image(found.image_id).shape, plane)
    pixel = ctx.chunks.read(
        array, selection(axis_names(found), array.shape, plane, (y, y + 1), (x, x + 1), 0)
    )
    return {"x": x, "y": y, **describe_value(ctx, found, int(pixel.reshape(-1)[0]))}


@router.get("/api/instances/{instance_id}", summary="Instance by stable id")
def get_instance(ctx: Context, instance_id: str) -> Json:
    """An object by its stable id ``<label-image-id>:<label value>``."""
    instance = ctx.repository.instance(instance_id, store=False)
    found = describe_value(ctx, instance.label_image, int(instance.row["label"]))
    return {**found, "matches": [asdict(match) for match in instance.matches]}


Count = Annotated[int | None, Query(ge=0, le=LARGEST_COUNT, description="objects")]
"""A count the catalog compares with, as ``find --min-instances`` takes."""
Area = Annotated[float | None, Query(ge=0, allow_inf_nan=False, description="pixels")]
"""A finite size in pixels, as ``find --min-mean-area`` takes."""


@router.get("/api/find", summary="Find label images")
def find(
    ctx: Context,
    response: Response,
    method: Method | None = None,
    software: str | None = None,
    author: str | None = None,
    type: LabelType | None = None,
    version: str | None = None,
    class_name: Annotated[str | None, Query(alias="class")] = None,
    image: str | None = None,
    plate: str | None = None,
    well: Annotated[str | None, Query(description="B3 or B/3")] = None,
    collection: str | None = None,
    name: str | None = None,
    derived_from: Annotated[str | None, Query(description="id or name@version")] = None,
    model_sha256: str | None = None,
    min_instances: Count = None,
    max_instances: Count = None,
    min_mean_area: Area = None,
    max_mean_area: Area = None,
    limit: Annotated[int | None, Query(ge=1, le=LARGEST_COUNT, description="page size")] = None,
    cursor: Annotated[str | None, Query(description="X-Next-Cursor of the page before")] = None,
    exact_total: Annotated[
        bool, Query(description=f"count every match (else the total stops at {TOTAL_CAP:,})")
    ] = False,
) -> list[Json]:
    """Label images matching every given condition (as ``labelcollections find``).

    With ``limit``, one page; the ``X-Total-Count`` header says how many match in all and
    ``X-Next-Cursor`` (absent on the last page) is the ``cursor`` of the next page. The total
    is exact up to 10,000 matches; beyond, ``X-Total-Count-Exact: false`` says that more than
    ``X-Total-Count`` match, unless ``exact_total=true`` counts them all.
    """
    conditions = {
        "method": method.value if method else None,
        "software": software,
        "author": author,
        "label_type": type.value if type else None,
        "version": version,
        "class_name": class_name,
        "image": image,
        "plate": plate,
        "well": well,
        "collection": collection,
        "name": name,
        "derived_from": ctx.label(derived_from).id if derived_from else None,
        "model_sha256": model_sha256,
        "min_instances": min_instances,
        "max_instances": max_instances,
        "min_mean_area": min_mean_area,
        "max_mean_area": max_mean_area,
    }
    given = {key: value for key, value in conditions.items() if value is not None}
    page = ctx.repository.find_page(
        None, limit=limit, cursor=cursor, exact_total=exact_total, **given
    )
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Total-Count-Exact"] = "true" if page.total_exact else "false"
    if page.next_cursor:
        response.headers["X-Next-Cursor"] = page.next_cursor
    return [label_summary(ctx, label) for label in page.labels]


@router.get("/api/compare", summary="Compare two label images")
def compare(
    ctx: Context,
    a: Annotated[str, Query(description="the reference label image (id or name@version)")],
    b: Annotated[str, Query(description="the label image judged against a")],
    iou: Annotated[float, Query(gt=0, le=1, description="IoU threshold of a match")] = 0.5,
) -> Json:
    """Matched, missed and extra objects with precision, recall, F1, IoU and average precision
    (instances), or Dice and IoU per class (semantic), as ``labelcollections compare``."""
    first, second = ctx.label(a), ctx.label(b)
    result = ctx.comparison(first, second, iou).to_dict()
    return {
        "a": {"id": first.id, "key": first.key},
        "b": {"id": second.id, "key": second.key},
        **result,
    }


# Last: its path parameter takes the rest of the path, so the routes above come first.
@router.get("/api/labels/{label:path}", summary="One label image")
def get_label(ctx: Context, label: str) -> Json:
    """A label image by ``<id>``, ``<name>@<version>`` or ``<image>/<name>@<version>``."""
    return label_summary(ctx, ctx.label(label))
