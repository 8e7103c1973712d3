"""Tile endpoints: reference image tiles, label overlays and thumbnails, as PNG or WebP.

Responses carry an ETag made of the pixels' content hash, the tile coordinates and the render
options, so browsers revalidate with ``If-None-Match`` and get ``304 Not Modified``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response

from labelcollections.errors import InputError
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.server.context import ServerContext
from labelcollections.server.encoding import TileFormat, encode
from labelcollections.server.planes import (
    Plane,
    Tile,
    axis_names,
    check_level,
    check_plane,
    selection,
    with_margin,
)
from labelcollections.server.tiles import (
    ChannelRendering,
    Mode,
    comparison_tile,
    image_tile,
    label_tile,
    semantic_comparison_tile,
)

CACHE_CONTROL = "public, max-age=86400"
"""Tiles of one ETag never change; a day keeps browsers from asking again while they look."""
DEFAULT_TILE_SIZE = 512

router = APIRouter(tags=["tiles"])


def context(request: Request) -> ServerContext:
    found: ServerContext = request.app.state.context
    return found


Context = Annotated[ServerContext, Depends(context)]
Z = Annotated[int, Query(ge=0, description="z index of the plane (stacks)")]
T = Annotated[int, Query(ge=0, description="t index of the plane (time series)")]
Size = Annotated[int, Query(ge=16, le=4096, description="tile edge in pixels of the level")]


def cached_tile(
    request: Request, key: tuple[object, ...], fmt: TileFormat, render: Callable[[], bytes]
) -> Response:
    """The tile's bytes with caching headers, or 304 when the browser holds this version."""
    etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(render(), media_type=fmt.media_type, headers=headers)


def channels_of(
    rendering: tuple[ChannelRendering, ...], spec: str | None
) -> tuple[ChannelRendering, ...]:
    """The rendered channels: all of them, or those listed as ``0,2``."""
    if spec is None or spec == "":
        return rendering
    try:
        wanted = [int(part) for part in spec.split(",")]
    except ValueError:
        raise InputError(spec, "channels", "channel indices such as 0,2") from None
    if any(not 0 <= index < len(rendering) for index in wanted):
        raise InputError(spec, "channels", f"indices from 0 to {len(rendering) - 1}")
    return tuple(rendering[index] for index in wanted)


@router.get("/api/images/{image}/tiles/{level}/{x}/{y}.{fmt}", summary="Reference image tile")
def image_tile_endpoint(
    request: Request,
    ctx: Context,
    image: str,
    level: int,
    x: int,
    y: int,
    fmt: TileFormat,
    z: Z = 0,
    t: T = 0,
    size: Size = DEFAULT_TILE_SIZE,
    channels: Annotated[str | None, Query(description="channel indices, e.g. 0,2")] = None,
) -> Response:
    """An RGB tile of one pyramid level, channels coloured within their default windows."""
    found = ctx.image(image)
    check_level(level, len(found.levels))
    shown = channels_of(ctx.rendering(found), channels)
    tile = Tile(level, x, y, size)
    key = ("image", found.id, found.content_hash, tile, z, t, tuple(c.index for c in shown), fmt)

    def render() -> bytes:
        return encode(render_image_region(ctx, found, tile, Plane(z, t), shown), fmt, exact=False)

    return cached_tile(request, key, fmt, render)


def render_image_region(
    ctx: ServerContext,
    image: ReferenceImage,
    tile: Tile,
    plane: Plane,
    shown: tuple[ChannelRendering, ...],
) -> np.ndarray:
    array = ctx.image_arrays(image)[tile.level]
    axes = image.axis_names
    check_plane(axes, array.shape, plane)
    height, width = array.shape[-2:]
    top, bottom, left, right = tile.bounds(height, width)
    region = ctx.chunks.read(
        array, selection(axes, array.shape, plane, (top, bottom), (left, right), None)
    )
    planes = region if "c" in axes else region[None]
    return image_tile(planes[[c.index for c in shown]], shown)


@router.get("/api/images/{image}/thumbnail.{fmt}", summary="Reference image thumbnail")
def thumbnail_endpoint(
    request: Request,
    ctx: Context,
    image: str,
    fmt: TileFormat,
    size: Annotated[int, Query(ge=16, le=1024)] = 256,
) -> Response:
    """The smallest pyramid level, shrunk to at most ``size`` pixels on its longer side."""
    found = ctx.image(image)
    level = len(found.levels) - 1
    height, width = found.levels[level].shape[-2:]
    tile = Tile(level, 0, 0, max(height, width))
    key = ("thumbnail", found.id, found.content_hash, size, fmt)

    def render() -> bytes:
        pixels = render_image_region(ctx, found, tile, Plane(), ctx.rendering(found))
        step = -(-max(height, width) // size)
        return encode(pixels[::step, ::step], fmt, exact=False)

    return cached_tile(request, key, fmt, render)


@router.get("/api/labels/{label:path}/tiles/{level}/{x}/{y}.{fmt}", summary="Label overlay tile")
def label_tile_endpoint(
    request: Request,
    ctx: Context,
    label: str,
    level: int,
    x: int,
    y: int,
    fmt: TileFormat,
    mode: Mode = Mode.FILL,
    z: Z = 0,
    t: T = 0,
    size: Size = DEFAULT_TILE_SIZE,
) -> Response:
    """An RGBA overlay tile: objects filled or outlined in their schema (or hashed) colours,
    background transparent."""
    found = ctx.label(label)
    check_level(level, len(found.levels))
    tile = Tile(level, x, y, size)
    key = ("label", found.provenance.content_hash, found.id, tile, z, t, mode, fmt)

    return cached_tile(
        request, key, fmt, lambda: render_label_tile(ctx, found, tile, Plane(z, t), mode, fmt)
    )


def render_label_tile(
    ctx: ServerContext, label: LabelImage, tile: Tile, plane: Plane, mode: Mode, fmt: TileFormat
) -> bytes:
    """The encoded overlay tile (what the endpoint sends, also timed by benchmarks/tiles.py)."""
    labels, margin = read_labels(ctx, label, tile, plane, mode is Mode.OUTLINE)
    return encode(label_tile(labels, ctx.palette(label), mode, margin), fmt, exact=True)


def read_labels(
    ctx: ServerContext, label: LabelImage, tile: Tile, plane: Plane, margin: bool
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A tile's label values (2D), with a one-pixel margin where the array goes on if asked."""
    array = ctx.label_arrays(label)[tile.level]
    check_plane(axis_names(label), ctx.image(label.image_id).levels[tile.level].shape, plane)
    height, width = array.shape[-2:]
    bounds = tile.bounds(height, width)
    if margin:
        rows, columns, taken = with_margin(bounds, height, width)
    else:
        rows, columns, taken = (bounds[0], bounds[1]), (bounds[2], bounds[3]), (0, 0, 0, 0)
    region = ctx.chunks.read(
        array, selection(axis_names(label), array.shape, plane, rows, columns, 0)
    )
    return region, taken


@router.get("/api/compare/tiles/{level}/{x}/{y}.{fmt}", summary="Comparison overlay tile")
def compare_tile_endpoint(
    request: Request,
    ctx: Context,
    level: int,
    x: int,
    y: int,
    fmt: TileFormat,
    a: Annotated[str, Query(description="the reference label image (id or name@version)")],
    b: Annotated[str, Query(description="the label image judged against a")],
    iou: Annotated[float, Query(gt=0, le=1, description="IoU threshold of a match")] = 0.5,
    z: Z = 0,
    t: T = 0,
    size: Size = DEFAULT_TILE_SIZE,
) -> Response:
    """Matched objects (green), objects of ``a`` that ``b`` missed (red) and objects only ``b``
    has (blue); semantic label images are compared pixel by pixel in the same colours."""
    first, second = ctx.label(a), ctx.label(b)
    check_level(level, min(len(first.levels), len(second.levels)))
    tile = Tile(level, x, y, size)
    hashes = (first.provenance.content_hash, second.provenance.content_hash)
    key = ("compare", hashes, first.id, second.id, iou, tile, z, t, fmt)

    def render() -> bytes:
        comparison = ctx.comparison(first, second, iou)
        plane = Plane(z, t)
        a_labels, _ = read_labels(ctx, first, tile, plane, margin=False)
        b_labels, _ = read_labels(ctx, second, tile, plane, margin=False)
        if comparison.matches is None:
            rgba = semantic_comparison_tile(a_labels, b_labels)
        else:
            matched_a, matched_b = (np.sort(values) for values in comparison.matches[:2])
            rgba = comparison_tile(a_labels, b_labels, matched_a, matched_b)
        return encode(rgba, fmt, exact=True)

    return cached_tile(request, key, fmt, render)
