"""Regions of Zarr arrays read chunk by chunk, through a bounded cache of decoded chunks.

A viewer asks for neighbouring tiles that share a chunk, tiles with a one-pixel margin for
outlines, and single pixels under the pointer. Without a cache each request would decompress
the same chunk again; with it a chunk is decoded once while it is being looked at.

Chunks of local arrays with the codecs the repository writes (Blosc or Zstd, in C order) are
decoded straight from their files with numcodecs, or from their place in a shard file: Zarr's
own read path costs about a millisecond per call on top of the decoding, as much as the rest of
a tile. Anything else (remote stores, other codecs) is read through Zarr.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from numcodecs import Blosc, Zstd
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    Endian,
    ShardingCodec,
    ShardingCodecIndexLocation,
    ZstdCodec,
)

from labelcollections.storage.ome_zarr_store import ZarrArray

Selection = tuple[int | slice, ...]
"""One index or a ``slice(start, stop)`` (step 1, within bounds) per axis."""
ChunkDecoder = Callable[[tuple[int, ...]], np.ndarray]
"""Chunk grid index → the chunk's pixels, cut at the array's edge."""


class ChunkCache:
    """Decoded chunks of any number of arrays, least recently used dropped first.

    ``max_bytes`` bounds the memory; 0 turns caching off (every read decodes).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._chunks: OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._decoders: dict[str, ChunkDecoder] = {}
        self._lock = threading.Lock()

    def read(self, array: ZarrArray, selection: Selection) -> np.ndarray:
        """The selected region, with the axes of integer indices dropped (like ``array[...]``)."""
        bounds = [_bounds(item) for item in selection]
        chunk_shape: Sequence[int] = array.chunks
        ranges = [
            range(start // size, (stop - 1) // size + 1)
            for (start, stop), size in zip(bounds, chunk_shape, strict=True)
        ]
        pieces = [
            (index, self._chunk(array, index, chunk_shape)) for index in itertools.product(*ranges)
        ]
        if len(pieces) == 1:
            index, chunk = pieces[0]
            return chunk[_within(selection, index, chunk_shape)]
        native = np.dtype(array.dtype).newbyteorder("=")
        out = np.empty([stop - start for start, stop in bounds], dtype=native)
        for index, chunk in pieces:
            inner, outer = [], []
            for (start, stop), position, size in zip(bounds, index, chunk_shape, strict=True):
                low, high = max(start, position * size), min(stop, (position + 1) * size)
                inner.append(slice(low - position * size, high - position * size))
                outer.append(slice(low - start, high - start))
            out[tuple(outer)] = chunk[tuple(inner)]
        return out[tuple(0 if isinstance(item, int) else slice(None) for item in selection)]

    def _chunk(
        self, array: ZarrArray, index: tuple[int, ...], chunk_shape: Sequence[int]
    ) -> np.ndarray:
        name = str(array.store_path)
        key = (name, index)
        with self._lock:
            cached = self._chunks.get(key)
            if cached is not None:
                self._chunks.move_to_end(key)
                return cached
            decode = self._decoders.get(name)
        if decode is None:
            decode = chunk_decoder(array)
            with self._lock:
                self._decoders[name] = decode
        chunk = decode(index)
        chunk.flags.writeable = False
        if self.max_bytes <= 0:
            return chunk
        with self._lock:
            if key not in self._chunks:
                self._chunks[key] = chunk
                self._bytes += chunk.nbytes
            while self._bytes > self.max_bytes and self._chunks:
                _, dropped = self._chunks.popitem(last=False)
                self._bytes -= dropped.nbytes
        return chunk


def _bounds(item: int | slice) -> tuple[int, int]:
    if isinstance(item, int):
        return item, item + 1
    return int(item.start), int(item.stop)


def _within(selection: Selection, index: tuple[int, ...], chunk_shape: Sequence[int]) -> Selection:
    """The selection in the coordinates of one chunk."""
    local: list[int | slice] = []
    for item, position, size in zip(selection, index, chunk_shape, strict=True):
        offset = position * size
        if isinstance(item, int):
            local.append(item - offset)
        else:
            local.append(slice(item.start - offset, item.stop - offset))
    return tuple(local)


def chunk_decoder(array: ZarrArray) -> ChunkDecoder:
    """How to decode one chunk of ``array``: from its file (or its place in a shard file) if
    possible, else through Zarr."""
    shape, chunks = tuple(array.shape), tuple(array.chunks)

    def extent(index: tuple[int, ...]) -> tuple[slice, ...]:
        return tuple(
            slice(i * size, min((i + 1) * size, n))
            for i, size, n in zip(index, chunks, shape, strict=True)
        )

    store = array.store_path.store
    sharding = _sharding(array)
    codec = _file_codec(array)
    if codec is None or not isinstance(store, zarr.storage.LocalStore):
        return lambda index: np.asarray(array[extent(index)])
    folder = Path(store.root) / array.store_path.path
    stored = np.dtype(array.metadata.dtype.to_native_dtype())
    native = stored.newbyteorder("=")
    fill = array.fill_value
    read = _chunk_bytes(array, folder) if sharding is None else _ShardReader(array, folder)

    def decode(index: tuple[int, ...]) -> np.ndarray:
        cut = tuple(slice(0, part.stop - part.start) for part in extent(index))
        data = read(index)
        if data is None:
            return np.full([part.stop for part in cut], fill, dtype=native)
        pixels = np.frombuffer(codec.decode(data), dtype=stored).reshape(chunks)[cut]
        return pixels.astype(native, copy=False)

    return decode


def _chunk_bytes(array: ZarrArray, folder: Path) -> Callable[[tuple[int, ...]], bytes | None]:
    """The bytes of a chunk's own file (None where the chunk was never written)."""

    def read(index: tuple[int, ...]) -> bytes | None:
        try:
            return (folder / array.metadata.encode_chunk_key(index)).read_bytes()
        except FileNotFoundError:
            return None

    return read


class _ShardReader:
    """The bytes of a chunk inside its shard file, found through the shard's index.

    The Zarr v3 sharding format puts an index of (offset, length) per chunk at the end of each
    shard file; it is read once per shard and kept, so each chunk costs one seek and one read,
    as an unsharded chunk costs one file read.
    """

    EMPTY = 2**64 - 1
    CHECKSUM_BYTES = 4

    def __init__(self, array: ZarrArray, folder: Path) -> None:
        self.array = array
        self.folder = folder
        shards = tuple(array.shards or array.chunks)
        self.per_shard = tuple(s // c for s, c in zip(shards, array.chunks, strict=True))
        self.index_bytes = 16 * int(np.prod(self.per_shard)) + self.CHECKSUM_BYTES
        self._indices: dict[tuple[int, ...], np.ndarray | None] = {}
        self._lock = threading.Lock()

    def __call__(self, index: tuple[int, ...]) -> bytes | None:
        shard = tuple(i // n for i, n in zip(index, self.per_shard, strict=True))
        within = tuple(i % n for i, n in zip(index, self.per_shard, strict=True))
        path = self.folder / self.array.metadata.encode_chunk_key(shard)
        with self._lock:
            known = shard in self._indices
            table = self._indices.get(shard)
        if not known:
            table = self._read_index(path)
            with self._lock:
                self._indices[shard] = table
        if table is None:
            return None
        offset, length = (int(v) for v in table[within])
        if offset == self.EMPTY:
            return None
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    def _read_index(self, path: Path) -> np.ndarray | None:
        try:
            with path.open("rb") as handle:
                handle.seek(-self.index_bytes, 2)
                raw = handle.read(self.index_bytes)
        except FileNotFoundError:
            return None
        entries = np.frombuffer(raw[: -self.CHECKSUM_BYTES], dtype="<u8")
        return entries.reshape(*self.per_shard, 2)


def _sharding(array: ZarrArray) -> ShardingCodec | None:
    """The sharding codec of a v3 array whose shard index sits at the end of each shard file
    in the default encoding (little-endian, CRC32C), else None."""
    codecs: tuple[Any, ...] = tuple(getattr(array.metadata, "codecs", ()))
    if len(codecs) != 1 or not isinstance(codecs[0], ShardingCodec):
        return None
    sharding: ShardingCodec = codecs[0]
    index_codecs: tuple[Any, ...] = tuple(sharding.index_codecs)
    plain_index = (
        sharding.index_location == ShardingCodecIndexLocation.end
        and len(index_codecs) == 2
        and isinstance(index_codecs[0], BytesCodec)
        and index_codecs[0].endian in (None, Endian.little)
        and isinstance(index_codecs[1], Crc32cCodec)
    )
    return sharding if plain_index else None


def _file_codec(array: ZarrArray) -> Any:
    """The numcodecs codec that decodes the array's chunk bytes (in their own files or in
    shards), if that is all they need."""
    metadata = array.metadata
    if metadata.zarr_format == 2:
        plain = metadata.filters is None and metadata.order == "C"
        return (
            metadata.compressor if plain and isinstance(metadata.compressor, Blosc | Zstd) else None
        )
    sharding = _sharding(array)
    codecs: tuple[Any, ...] = tuple(sharding.codecs if sharding is not None else metadata.codecs)
    if len(codecs) != 2 or not isinstance(codecs[0], BytesCodec):
        return None
    if isinstance(codecs[1], BloscCodec):
        return Blosc()
    if isinstance(codecs[1], ZstdCodec):
        return Zstd()
    return None
