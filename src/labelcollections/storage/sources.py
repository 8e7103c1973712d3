"""Pixel sources a user can hand us: TIFF files of every kind, ``.npy`` files, Zarr arrays (a
path or an opened array), dask arrays or numpy arrays.

TIFF, Zarr and dask sources stay lazy (dask arrays reading chunk by chunk), so images larger
than memory can be added; ``.npy`` files are memory-mapped. Nothing is read whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import dask.array as da
import numpy as np
import zarr

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.geometry import ngff_axis_order
from labelcollections.model.images import Channel
from labelcollections.storage.tiff import axes_hint, read_tiff

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8")


PixelArray: TypeAlias = np.ndarray | da.Array
"""Pixels in memory, or lazily read (dask) for sources larger than memory."""
PixelSource: TypeAlias = str | Path | np.ndarray | da.Array | zarr.Array[Any]
"""What ``add_labels`` and ``add_image`` accept."""
ZARR_MARKERS = ("zarr.json", ".zarray")


@dataclass(frozen=True)
class Pixels:
    """An array with what is known of it: axis names (None if unknown), physical pixel sizes
    and units by axis name, the source's own pyramid levels (finest first, ``levels[0]`` is
    ``data``), channel names and colours, and the OME-XML of an OME-TIFF."""

    levels: tuple[PixelArray, ...]
    axes: tuple[str, ...] | None
    sizes: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    channels: tuple[Channel, ...] = ()
    ome_xml: str | None = None
    source: str = "<array>"

    @property
    def data(self) -> PixelArray:
        return self.levels[0]


def read_pixels(source: PixelSource, axes: Sequence[str] | None = None) -> Pixels:
    """Open pixels from a file or wrap an array; ``axes`` names (or renames) its axes."""
    given = tuple(axes) if axes else None
    if isinstance(source, np.ndarray | da.Array):
        return Pixels(levels=(source,), axes=given)
    if isinstance(source, zarr.Array):
        return Pixels(levels=(_lazy(source),), axes=given)
    if not isinstance(source, str | Path):
        raise InputError(repr(source)[:80], "pixels", "a file path, or a numpy, dask or Zarr array")
    path = Path(source)
    if not path.exists():
        raise NotFoundError(str(path), "file", "an existing TIFF, OME-TIFF, .npy or Zarr array")
    try:
        return _read_file(path, given)
    except InputError:
        raise
    except Exception as error:  # a broken file fails inside its parser, each in its own way
        what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise InputError(str(path), "file", f"a readable image file ({what})") from None


def _read_file(path: Path, axes: tuple[str, ...] | None) -> Pixels:
    if path.is_dir() and any((path / marker).exists() for marker in ZARR_MARKERS):
        return Pixels(levels=(_lazy(str(path)),), axes=axes, source=str(path))
    if path.suffix.lower() in TIFF_SUFFIXES:
        tiff = read_tiff(path, axes)
        return Pixels(
            tiff.levels, tiff.axes, tiff.sizes, tiff.units, tiff.channels, tiff.ome_xml, str(path)
        )
    if path.suffix.lower() == ".npy":
        data = np.load(path, allow_pickle=False, mmap_mode="r")
        return Pixels(levels=(data,), axes=axes, source=str(path))
    raise InputError(str(path), "file", "a .tif, .tiff, .ome.tif or .npy file, or a Zarr array")


def in_ngff_order(pixels: Pixels) -> Pixels:
    """``pixels`` with axes (and every level) in NGFF order (t, c, z, y, x); arrays without
    axis names are taken to be the last of t, c, z, y, x."""
    ndim = pixels.data.ndim
    names = pixels.axes or tuple(axes_hint(ndim))
    if len(names) != ndim:
        raise InputError(
            pixels.source,
            "axes",
            f"{ndim} axis names, one per dimension, e.g. --axes {axes_hint(ndim)}"
            f" (got {''.join(names)!r})",
        )
    order = ngff_axis_order(names, pixels.source)
    levels = tuple(_transposed(level, order) for level in pixels.levels)
    axes = tuple(names[i] for i in order)
    return Pixels(
        levels, axes, pixels.sizes, pixels.units, pixels.channels, pixels.ome_xml, pixels.source
    )


def _transposed(array: PixelArray, order: list[int]) -> PixelArray:
    if order == sorted(order):
        return array
    return da.transpose(array, order) if isinstance(array, da.Array) else np.transpose(array, order)


def _lazy(array: zarr.Array[Any] | str) -> da.Array:
    """A dask array reading the Zarr array (object or path) chunk by chunk."""
    lazy: da.Array = da.from_zarr(array)  # type: ignore[no-untyped-call]
    return lazy
