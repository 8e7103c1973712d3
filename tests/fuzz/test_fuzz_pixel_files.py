"""Fuzzing the pixel file readers (TIFF and .npy): whatever bytes a file holds, reading it as
``add-labels`` does (open, then read the pixels band by band) gives pixels or one
:class:`InputError`, never another exception; files we write ourselves read back equal."""

from __future__ import annotations

import io
import itertools
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.errors import InputError
from labelcollections.storage.regions import band_rows, chunk_row_regions, read_region
from labelcollections.storage.sources import read_pixels

LABEL_DTYPES = st.sampled_from(["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64"])
READ_WHOLE = 1_000_000
"""Arrays up to this many pixels are read whole; a (mutated) header may claim far more, which
``add-labels`` refuses by shape before it reads, so of those only the first band is read."""
_names = itertools.count()


@contextmanager
def file_holding(content: bytes, suffix: str) -> Iterator[Path]:
    """A new file with ``content`` (each example its own: readers may keep files open)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"f{next(_names)}{suffix}"
        path.write_bytes(content)
        yield path


def read_like_add_labels(path: Path) -> np.ndarray | None:
    """The pixels of ``path`` as ``add-labels`` reads them, band by band; None when the file
    is refused with an :class:`InputError` (anything else fails the test)."""
    try:
        data = read_pixels(path).data
        regions = list(itertools.islice(chunk_row_regions(data.shape, band_rows(data)), 64))
        if data.size > READ_WHOLE:
            regions = regions[:1]
        pixels = np.zeros(data.shape if data.size <= READ_WHOLE else 0, data.dtype)
        for region in regions:
            band = read_region(data, region)
            if pixels.size:
                pixels[region] = band
        return pixels
    except InputError as error:
        assert "\n" not in str(error)
        return None


def mutated(content: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    """``content`` with bytes replaced at (relative) positions, then perhaps cut short."""
    changed = bytearray(content)
    for position, value in edits:
        if changed:
            changed[position % len(changed)] = value
    return bytes(changed[:cut] if cut is not None else changed)


edits = st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), min_size=1, max_size=8)
cuts = st.none() | st.integers(0, 4096)
small_labels = hnp.arrays(
    LABEL_DTYPES, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=24)
)


def tiff_bytes(array: np.ndarray, compression: str | None, tiled: bool) -> bytes:
    buffer = io.BytesIO()
    tile = (16, 16) if tiled and array.shape[-1] >= 16 and array.shape[-2] >= 16 else None
    axes = "ZYX"[-array.ndim :]
    tifffile.imwrite(
        buffer,
        array,
        compression=compression,
        tile=tile,
        photometric="minisblack",
        metadata={"axes": axes},
    )
    return buffer.getvalue()


compressions = st.sampled_from([None, "zlib", "lzw", "packbits"])


# -- TIFF ---------------------------------------------------------------------------------


@settings(max_examples=60)
@given(st.binary(max_size=600) | st.binary(max_size=600).map(lambda tail: b"II*\x00" + tail))
def test_any_bytes_as_tiff_read_or_refuse(content: bytes) -> None:
    with file_holding(content, ".tif") as path:
        read_like_add_labels(path)


@settings(max_examples=80)
@given(small_labels, compressions, st.booleans(), edits, cuts)
def test_damaged_tiffs_read_or_refuse(
    array: np.ndarray,
    compression: str | None,
    tiled: bool,
    changes: list[tuple[int, int]],
    cut: int | None,
) -> None:
    damaged = mutated(tiff_bytes(array, compression, tiled), changes, cut)
    with file_holding(damaged, ".tif") as path:
        read_like_add_labels(path)


@settings(max_examples=40)
@given(small_labels, compressions, st.booleans())
def test_tiffs_we_write_read_back_equal(
    array: np.ndarray, compression: str | None, tiled: bool
) -> None:
    with file_holding(tiff_bytes(array, compression, tiled), ".tif") as path:
        pixels = read_pixels(path)
        np.testing.assert_array_equal(np.asarray(pixels.data).reshape(array.shape), array)
        assert pixels.data.dtype == array.dtype


# -- .npy ---------------------------------------------------------------------------------

NPY_MAGIC = b"\x93NUMPY\x01\x00"
headers = st.fixed_dictionaries(
    {
        "descr": st.sampled_from(["<u2", ">u4", "|u1", "<f8", "|O", "<i8", "V8", "<U3", "x"]),
        "fortran_order": st.booleans() | st.sampled_from([None, 1, "yes"]),
        "shape": st.lists(st.integers(-2, 2**40) | st.integers(0, 40), max_size=4).map(tuple),
    }
).map(lambda header: repr(header).encode())


def npy_with_header(header: bytes, body: bytes) -> bytes:
    padded = header + b" " * (-(len(NPY_MAGIC) + 2 + len(header) + 1) % 64) + b"\n"
    return NPY_MAGIC + len(padded).to_bytes(2, "little") + padded + body


@settings(max_examples=60)
@given(
    st.binary(max_size=400)
    | st.builds(npy_with_header, headers | st.binary(max_size=80), st.binary(max_size=400))
)
def test_any_bytes_as_npy_read_or_refuse(content: bytes) -> None:
    with file_holding(content, ".npy") as path:
        read_like_add_labels(path)


@settings(max_examples=60)
@given(small_labels, edits, cuts)
def test_damaged_npy_files_read_or_refuse(
    array: np.ndarray, changes: list[tuple[int, int]], cut: int | None
) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    with file_holding(mutated(buffer.getvalue(), changes, cut), ".npy") as path:
        read_like_add_labels(path)


@settings(max_examples=40)
@given(small_labels, st.booleans())
def test_npy_files_we_write_read_back_equal(array: np.ndarray, fortran: bool) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.asfortranarray(array) if fortran else array)
    with file_holding(buffer.getvalue(), ".npy") as path:
        pixels = read_like_add_labels(path)
        assert pixels is not None, "a valid .npy file was refused"
        np.testing.assert_array_equal(pixels, array)
        assert pixels.dtype == array.dtype


def test_a_pickled_npy_is_refused_without_running_it() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([print], dtype=object), allow_pickle=True)
    with file_holding(buffer.getvalue(), ".npy") as path, pytest.raises(InputError):
        read_pixels(path)
