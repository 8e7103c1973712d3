"""``labelcollections omero push | pull | list | find | register-zarr | migrate | masks``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import numpy as np
import tifffile

from labelcollections.cli.options import (
    OMERO_ID,
    json_option,
    label_filter_options,
    omero_image_argument,
    open_repo,
    repository_argument,
)
from labelcollections.cli.output import (
    RichProgress,
    console,
    counted,
    errors,
    print_json,
    print_rows,
    show,
)
from labelcollections.errors import InputError
from labelcollections.model.provenance import parse_software
from labelcollections.model.records import to_record
from labelcollections.omero.gateway import OmeroGateway
from labelcollections.omero_sync import (
    SHAPE_KINDS,
    PixelMode,
    ShapeKind,
    find_labels,
    from_masks,
    migrate,
    pull,
    pull_plate,
    push,
    push_plate,
    read_collections,
    register_zarr,
)
from labelcollections.omero_sync import to_masks as convert_to_masks
from labelcollections.repository import Repository

__all__ = ["omero"]


@click.group()
@click.option("--host", envvar="OMERO_HOST", help="OMERO server (env OMERO_HOST).")
@click.option(
    "--port", envvar="OMERO_PORT", default=4064, show_default=True, type=click.IntRange(1, 65535)
)
@click.option("--user", envvar="OMERO_USER", help="User name (env OMERO_USER).")
@click.option("--password", envvar="OMERO_PASSWORD", help="Password (env OMERO_PASSWORD).")
@click.option("--session-key", envvar="OMERO_SESSION_KEY", help="Join an existing session.")
@click.pass_context
def omero(
    ctx: click.Context,
    host: str | None,
    port: int,
    user: str | None,
    password: str | None,
    session_key: str | None,
) -> None:
    """Push, pull, list, find and convert label collections on an OMERO server."""
    ctx.ensure_object(dict)
    ctx.obj.setdefault("login", (host, port, user, password, session_key))


@contextmanager
def omero_gateway(ctx: click.Context) -> Iterator[OmeroGateway]:
    """The gateway given by the caller (tests), else a session on the server (omero-py)."""
    given = ctx.find_object(dict) or {}
    if "gateway" in given:
        yield given["gateway"]
        return
    host, port, user, password, session_key = given["login"]
    if not host:
        raise InputError("--host", "OMERO_HOST", "the OMERO server to connect to")
    try:
        from labelcollections.omero.blitz import BlitzOmeroGateway
    except ImportError:
        raise InputError(
            "omero",
            "omero-py",
            "omero-py installed: pip install 'labelcollections[omero]' (see README.md)",
        ) from None
    if not session_key:
        user = user or click.prompt("OMERO user")
        password = password or click.prompt("OMERO password", hide_input=True)
    with BlitzOmeroGateway.connect(
        host, port, username=user, password=password, session_key=session_key
    ) as gateway:
        yield gateway


@omero.command("push")
@repository_argument
@click.argument("image")
@click.option("--image", "omero_image", type=OMERO_ID, help="OMERO Image id.")
@click.option(
    "--plate", "omero_plate", type=OMERO_ID, help="OMERO Plate id, when IMAGE names a plate."
)
@click.option("--collection", help="Push one collection (default: all of IMAGE).")
@click.option(
    "--pixels", type=click.Choice(["upload", "zarr"]), default="upload", show_default=True
)
@click.option("--zarr-base", help="Where IMAGE's OME-Zarr is published (for --pixels zarr).")
@click.pass_context
def omero_push(
    ctx: click.Context,
    repo: str,
    image: str,
    omero_image: int | None,
    omero_plate: int | None,
    collection: str | None,
    pixels: str,
    zarr_base: str | None,
) -> None:
    """Push IMAGE's collections onto an OMERO Image (again: update, never duplicate), or
    those of every field of the plate IMAGE onto the fields of an OMERO Plate (--plate)."""
    if (omero_image is None) == (omero_plate is None):
        raise InputError(
            "omero push", "--image", "an OMERO Image id (--image) or Plate id (--plate)"
        )
    mode: PixelMode = "zarr" if pixels == "zarr" else "upload"
    with open_repo(repo) as repository, omero_gateway(ctx) as gateway:
        if omero_plate is not None:
            plate = push_plate(repository, gateway, image, omero_plate, collection, mode, zarr_base)
            results = list(plate.fields.values())
            target = f"{counted(len(results), 'field')} of Plate:{omero_plate}"
        else:
            assert omero_image is not None
            results = [push(repository, gateway, image, omero_image, collection, mode, zarr_base)]
            target = f"Image:{omero_image}"
    for pushed in (c for result in results for c in result.collections):
        console.print(f"collection {pushed.name}: OMERO id {pushed.omero_collection_id}")
    created = [key for result in results for key in result.created]
    kept = sum(len(result.kept) for result in results)
    console.print(
        f"pushed to {target}; label images: {len(created)} added"
        f" ({', '.join(created) or '-'}), {kept} already there"
    )


@omero.command("pull")
@omero_image_argument
@repository_argument
@click.option("--collection", help="Pull one collection (default: all).")
@click.option("--plate", is_flag=True, help="OMERO_IMAGE is a Plate id: pull every field.")
@click.pass_context
def omero_pull(
    ctx: click.Context, omero_image: int, repo: str, collection: str | None, plate: bool
) -> None:
    """Copy the collections of an OMERO Image (or of every field of a Plate) into REPO
    (created if new)."""
    exists = (Path(repo) / "labelcollections.json").is_file()
    repository = open_repo(repo) if exists else Repository.init(repo, RichProgress())
    with repository, omero_gateway(ctx) as gateway:
        if plate:
            if collection is not None:
                raise InputError("--collection", "--plate", "every collection of the plate")
            results = list(pull_plate(repository, gateway, omero_image).fields.values())
        else:
            results = [pull(repository, gateway, omero_image, collection)]
    for note in (note for result in results for note in result.notes):
        errors.print(f"note: {note}", markup=False, highlight=False)
    collections = sum(len(result.collections) for result in results)
    labels = sum(len(result.labels) for result in results)
    console.print(
        f"pulled {collections} collections with {labels} label images into {repository.root}"
    )


@omero.command("list")
@omero_image_argument
@json_option
@click.pass_context
def omero_list(ctx: click.Context, omero_image: int, as_json: bool) -> None:
    """Collections, label images, versions and provenance on an OMERO Image."""
    with omero_gateway(ctx) as gateway:
        found = read_collections(gateway, omero_image)
    for item in found:
        for note in item.notes:
            errors.print(f"note: {note}", markup=False, highlight=False)
    rows = [
        {
            "collection": item.collection.name,
            "collection id": item.collection.omero_collection_id,
            "label": label.key,
            "type": label.label_type.value,
            "omero": f"{item.locations[label.id].kind}:{item.locations[label.id].object_id}",
            "method": label.provenance.method.value,
            "software": " ".join(
                filter(None, [label.provenance.software, label.provenance.software_version])
            ),
            "author": label.provenance.author or "",
            "created": label.provenance.created.isoformat(timespec="seconds"),
        }
        for item in found
        for label in item.labels
    ]
    show(rows, f"Label images on Image:{omero_image}", as_json)


FIND_KEYS = {
    "method": "provenance.method",
    "author": "provenance.author",
    "label_type": "label.type",
    "version": "label.version",
    "name": "label.name",
    "model_sha256": "provenance.model_sha256",
    "collection_id": "omero.collection_id",
    "ref_image": "omero.ref_image_id",
}


@omero.command("find")
@label_filter_options
@click.option("--name")
@click.option("--model-sha256")
@click.option("--collection-id", type=OMERO_ID, help="OMERO id of a collection.")
@click.option("--ref-image", type=OMERO_ID, help="OMERO id of the reference image.")
@click.option("--where", multiple=True, help="KEY=VALUE of any key of the schema (repeatable).")
@click.option("--group", help="Only this group (name or id); default: all your groups.")
@json_option
@click.pass_context
def omero_find(
    ctx: click.Context,
    /,
    software: str | None,
    where: tuple[str, ...],
    group: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Label images in OMERO whose key-value pairs match every condition."""
    conditions = [(FIND_KEYS[k], str(v)) for k, v in options.items() if v is not None]
    if software:
        name, version = parse_software(software)
        conditions.append(("provenance.software", name))
        if version:
            conditions.append(("provenance.software_version", version))
    for item in where:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise InputError("--where", item, "KEY=VALUE, e.g. provenance.model_name=cyto3")
        conditions.append((key, value))
    if not conditions:
        raise InputError("find", "conditions", "at least one condition (see --help)")
    with omero_gateway(ctx) as gateway:
        found = find_labels(gateway, conditions, group)
    if as_json:
        print_json(
            [
                {
                    "omero": f"{f.kind}:{f.object_id}",
                    "group_id": f.group_id,
                    "ref_image_id": f.ref_image_id,
                    "label_image": to_record(f.label),
                }
                for f in found
            ]
        )
        return
    rows = [
        {
            "omero": f"{f.kind}:{f.object_id}",
            "group": f.group_id,
            "image": f.ref_image_id or "",
            "label": f.label.key,
            "type": f.label.label_type.value,
            "method": f.label.provenance.method.value,
            "software": f.label.provenance.software or "",
        }
        for f in found
    ]
    print_rows(rows, "Label images")


@omero.command("register-zarr")
@omero_image_argument
@click.argument("zarr_path")
@click.option("--ngff-version", help="Default: read from the store.")
@click.option("--conversion-date", help="ISO date of the conversion (default: today).")
@click.pass_context
def omero_register_zarr(
    ctx: click.Context,
    omero_image: int,
    zarr_path: str,
    ngff_version: str | None,
    conversion_date: str | None,
) -> None:
    """Record the OME-Zarr (path or URL) an OMERO Image is published as."""
    with omero_gateway(ctx) as gateway:
        annotation = register_zarr(gateway, omero_image, zarr_path, ngff_version, conversion_date)
    pairs = ", ".join(f"{k}={v}" for k, v in annotation.pairs)
    console.print(f"Image:{omero_image}: {pairs}", markup=False, highlight=False)


@omero.command("migrate")
@omero_image_argument
@click.pass_context
def omero_migrate(ctx: click.Context, omero_image: int) -> None:
    """Rewrite BioHackathon-prototype collections of an OMERO Image in our schema."""
    with omero_gateway(ctx) as gateway:
        migrated = migrate(gateway, omero_image)
    for item in migrated:
        console.print(
            f"migrated collection {item.collection.name} (OMERO id "
            f"{item.collection.omero_collection_id}) with {len(item.labels)} label images"
        )
    if not migrated:
        console.print(f"nothing to migrate on Image:{omero_image}")


@omero.command("masks")
@omero_image_argument
@click.argument("label_image")
@click.option(
    "--to-masks/--from-masks",
    default=True,
    help="LABEL_IMAGE (pushed) → ROIs, or ROIs → LABEL_IMAGE, a .npy/.tif file.",
)
@click.option(
    "--shape",
    type=click.Choice(list(SHAPE_KINDS)),
    default="mask",
    show_default=True,
    help="Mask ROIs (one Mask per plane) or Polygon ROIs (one Polygon per outline and hole).",
)
@click.pass_context
def omero_masks(
    ctx: click.Context, omero_image: int, label_image: str, to_masks: bool, shape: str
) -> None:
    """Convert a label image to Mask or Polygon ROIs (one per object), or such ROIs to a label
    image file."""
    kind: ShapeKind = "polygon" if shape == "polygon" else "mask"
    target = Path(label_image)
    if not to_masks and (target.suffix not in (".npy", ".tif", ".tiff") or target.exists()):
        raise InputError(label_image, "output", "a new .npy, .tif or .tiff file")
    with omero_gateway(ctx) as gateway:
        if to_masks:
            rois = convert_to_masks(gateway, omero_image, label_image, kind)
            console.print(f"created {len(rois)} {SHAPE_KINDS[kind]} ROIs on Image:{omero_image}")
            return
        pixels = from_masks(gateway, omero_image, kind)
    keep = tuple(i for i, n in enumerate(pixels.shape) if n > 1 or i >= 3)
    axes = "".join("tczyx"[i] for i in keep)
    data = pixels.reshape([pixels.shape[i] for i in keep])
    if target.suffix == ".npy":
        np.save(target, data)
    else:
        tifffile.imwrite(target, data, ome=True, metadata={"axes": axes.upper()})
    console.print(f"wrote {target}: axes {axes}, shape {data.shape}, {int(data.max())} objects max")
