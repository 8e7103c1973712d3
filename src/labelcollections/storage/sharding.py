"""Zarr v3 sharding: how many pixels of a level go into one file.

Unsharded, every chunk is a file; a 100,000-pixel slide in 1024² chunks is ten thousand files
per level, which object stores, transfers and backups pay for. A shard packs a block of chunks
into one file with an index, and readers still fetch single chunks from it.

``Shards`` is what a user asks for: an edge in pixels along every spatial axis (z, y, x), one
edge per spatial axis, 0 for no sharding, or None for the default: a level is sharded when it
would otherwise hold more than MAX_CHUNK_FILES chunk files, with the smallest shards (powers of
two of chunks, y and x first, then z) that bring it under that number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

from labelcollections.errors import InputError

MAX_CHUNK_FILES = 1000
SPATIAL_AXES = ("z", "y", "x")
Shards: TypeAlias = int | tuple[int, ...] | None
"""An edge for every spatial axis, one edge per spatial axis, 0 (never shard) or None (default)."""
SOURCE = "--shards"


def parse_shards(text: str) -> int | tuple[int, ...]:
    """``8192`` or ``1,4096,4096`` (one edge per spatial axis) as given on the command line."""
    try:
        edges = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InputError(
            SOURCE, "shards", f"an edge in pixels such as 8192, or one per axis (got {text!r})"
        ) from None
    if any(edge < 0 for edge in edges):
        raise InputError(SOURCE, "shards", f"edges of 0 or more pixels (got {text!r})")
    return edges[0] if len(edges) == 1 else edges


def shard_shape(
    shape: Sequence[int], chunks: Sequence[int], axes: Sequence[str], request: Shards
) -> tuple[int, ...] | None:
    """The shard shape of one level, or None when it is written as plain chunks.

    A requested edge at least the axis' size covers the axis; a smaller one must be a multiple
    of the chunk edge along that axis. Non-spatial axes (t, c) keep one chunk per shard.
    """
    if request == 0:
        return None
    if request is None:
        shards = _default_shards(shape, chunks, axes)
    else:
        edges = _requested_edges(request, axes)
        shards = tuple(
            _shard_edge(size, chunk, edges.get(axis), axis)
            for size, chunk, axis in zip(shape, chunks, axes, strict=True)
        )
    return None if shards is None or tuple(shards) == tuple(chunks) else shards


def file_count(shape: Sequence[int], block: Sequence[int]) -> int:
    """How many chunk (or shard) files cover ``shape`` in blocks of ``block``."""
    return math.prod(-(-size // edge) for size, edge in zip(shape, block, strict=True))


def _requested_edges(request: int | tuple[int, ...], axes: Sequence[str]) -> dict[str, int]:
    spatial = [axis for axis in axes if axis in SPATIAL_AXES]
    if isinstance(request, int):
        return dict.fromkeys(spatial, request)
    if len(request) != len(spatial) or any(edge <= 0 for edge in request):
        raise InputError(
            SOURCE,
            "shards",
            f"one positive edge per spatial axis {''.join(spatial)}"
            f" (got {','.join(str(e) for e in request)})",
        )
    return dict(zip(spatial, request, strict=True))


def _shard_edge(size: int, chunk: int, edge: int | None, axis: str) -> int:
    covering = -(-size // chunk) * chunk
    if edge is None:
        return chunk
    if edge >= size:
        return covering
    if edge % chunk:
        raise InputError(
            SOURCE, "shards", f"a multiple of the chunk edge {chunk} along {axis} (got {edge})"
        )
    return edge


def _default_shards(
    shape: Sequence[int], chunks: Sequence[int], axes: Sequence[str]
) -> tuple[int, ...] | None:
    """Grow shards (doubling along y and x, then along z) until MAX_CHUNK_FILES is met."""
    if file_count(shape, chunks) <= MAX_CHUNK_FILES:
        return None
    shards = list(chunks)
    for group in (("y", "x"), ("z",)):
        growing = [i for i, axis in enumerate(axes) if axis in group]
        while file_count(shape, shards) > MAX_CHUNK_FILES and any(
            shards[i] < shape[i] for i in growing
        ):
            for i in growing:
                shards[i] = min(2 * shards[i], -(-shape[i] // chunks[i]) * chunks[i])
    return tuple(shards)
