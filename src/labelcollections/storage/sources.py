"""Pixel sources a user can hand us: TIFF / OME-TIFF files, ``.npy`` files or numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labelcollections.errors import InputError, NotFoundError
from labelcollections.storage.tiff import read_tiff

TIFF_SUFFIXES = (".tif", ".tiff")


@dataclass(frozen=True)
class Pixels:
    """An in-memory array with what is known of its axes and physical pixel sizes."""

    data: np.ndarray
    axes: tuple[str, ...] | None
    scale: tuple[float, ...] | None = None
    units: dict[str, str] = field(default_factory=dict)
    source: str = "<array>"


def read_pixels(source: str | Path | np.ndarray) -> Pixels:
    """Load pixels from a file or wrap an array (whose axes are then unknown)."""
    if isinstance(source, np.ndarray):
        return Pixels(data=source, axes=None)
    path = Path(source)
    if not path.exists():
        raise NotFoundError(str(path), "file", "an existing TIFF, OME-TIFF or .npy file")
    if path.suffix.lower() in TIFF_SUFFIXES:
        tiff = read_tiff(path)
        return Pixels(tiff.data, tiff.axes, tiff.scale, tiff.units, str(path))
    if path.suffix.lower() == ".npy":
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as error:
            raise InputError(str(path), "file", f"a numpy .npy array ({error})") from None
        return Pixels(data=data, axes=None, source=str(path))
    raise InputError(str(path), "file", "a .tif, .tiff, .ome.tif or .npy file")
