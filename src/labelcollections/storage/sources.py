"""Pixel sources a user can hand us: TIFF / OME-TIFF files, ``.npy`` files, Zarr arrays
(a path or an opened array), dask arrays or numpy arrays.

Zarr and dask sources stay lazy (a dask array reading block by block), so label images larger
than memory can be added; everything else is read into memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import dask.array as da
import numpy as np
import zarr

from labelcollections.errors import InputError, NotFoundError
from labelcollections.storage.tiff import read_tiff

TIFF_SUFFIXES = (".tif", ".tiff")


PixelArray: TypeAlias = np.ndarray | da.Array
"""Pixels in memory, or lazily read (dask) for sources larger than memory."""
PixelSource: TypeAlias = str | Path | np.ndarray | da.Array | zarr.Array[Any]
"""What ``add_labels`` and ``add_image`` accept."""
ZARR_MARKERS = ("zarr.json", ".zarray")


@dataclass(frozen=True)
class Pixels:
    """An array with what is known of its axes and physical pixel sizes."""

    data: PixelArray
    axes: tuple[str, ...] | None
    scale: tuple[float, ...] | None = None
    units: dict[str, str] = field(default_factory=dict)
    source: str = "<array>"


def read_pixels(source: PixelSource) -> Pixels:
    """Load pixels from a file or wrap an array (whose axes are then unknown)."""
    if isinstance(source, np.ndarray | da.Array):
        return Pixels(data=source, axes=None)
    if isinstance(source, zarr.Array):
        return Pixels(data=_lazy(source), axes=None)
    if not isinstance(source, str | Path):
        raise InputError(repr(source)[:80], "pixels", "a file path, or a numpy, dask or Zarr array")
    path = Path(source)
    if not path.exists():
        raise NotFoundError(str(path), "file", "an existing TIFF, OME-TIFF, .npy or Zarr array")
    if path.is_dir() and any((path / marker).exists() for marker in ZARR_MARKERS):
        return Pixels(data=_lazy(str(path)), axes=None, source=str(path))
    if path.suffix.lower() in TIFF_SUFFIXES:
        tiff = read_tiff(path)
        return Pixels(tiff.data, tiff.axes, tiff.scale, tiff.units, str(path))
    if path.suffix.lower() == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise InputError(str(path), "file", f"a numpy .npy array ({error})") from None
        return Pixels(data=data, axes=None, source=str(path))
    raise InputError(str(path), "file", "a .tif, .tiff, .ome.tif or .npy file, or a Zarr array")


def _lazy(array: zarr.Array[Any] | str) -> da.Array:
    """A dask array reading the Zarr array (object or path) chunk by chunk."""
    lazy: da.Array = da.from_zarr(array)  # type: ignore[no-untyped-call]
    return lazy
