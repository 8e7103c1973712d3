"""Reading TIFF and OME-TIFF files into arrays with NGFF axes and physical pixel sizes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from labelcollections.errors import InputError
from labelcollections.model.geometry import ngff_axis_order

# TIFF axis letters (tifffile's vocabulary) → NGFF axis names; S (samples, e.g. RGB) is a channel.
_AXIS_NAMES = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}
_UNITS = {"µm": "micrometer", "um": "micrometer", "nm": "nanometer", "mm": "millimeter"}


@dataclass(frozen=True)
class TiffImage:
    """Pixels in NGFF axis order (t, c, z, y, x subset) with the size of a pixel per axis."""

    data: np.ndarray
    axes: tuple[str, ...]
    scale: tuple[float, ...]
    units: dict[str, str]


def read_tiff(path: Path) -> TiffImage:
    """Read the first series of a TIFF / OME-TIFF, reordering its axes to NGFF order."""
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = series.asarray()
            letters = series.axes
            sizes, units = _physical_sizes(tif)
    except (tifffile.TiffFileError, OSError, ValueError) as error:
        raise InputError(str(path), "file", f"a readable TIFF or OME-TIFF ({error})") from None
    names = []
    for letter in letters:
        if letter not in _AXIS_NAMES:
            raise InputError(str(path), "axes", f"TIFF axes among TCSZYX (got {letters!r})")
        names.append(_AXIS_NAMES[letter])
    order = ngff_axis_order(names, str(path))
    axes = tuple(names[i] for i in order)
    return TiffImage(
        data=np.ascontiguousarray(np.transpose(data, order)),
        axes=axes,
        scale=tuple(sizes.get(axis, 1.0) for axis in axes),
        units={axis: unit for axis, unit in units.items() if axis in axes},
    )


def _physical_sizes(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str]]:
    """Pixel sizes from OME-XML, or from ImageJ metadata and resolution tags."""
    sizes: dict[str, float] = {}
    units: dict[str, str] = {}
    if tif.is_ome and tif.ome_metadata:
        pixels = _ome_pixels(tifffile.xml2dict(tif.ome_metadata))
        for axis in ("x", "y", "z"):
            value = pixels.get(f"PhysicalSize{axis.upper()}")
            if value is not None:
                sizes[axis] = float(value)
                unit = str(pixels.get(f"PhysicalSize{axis.upper()}Unit", "µm"))
                units[axis] = _UNITS.get(unit, unit)
    elif tif.is_imagej and tif.imagej_metadata:
        spacing = tif.imagej_metadata.get("spacing")
        if spacing:
            sizes["z"] = float(spacing)
        page = tif.pages.first
        for axis, tag in (("x", "XResolution"), ("y", "YResolution")):
            resolution = page.tags.get(tag)
            if resolution is not None and resolution.value[0]:
                sizes[axis] = resolution.value[1] / resolution.value[0]
        imagej_unit = tif.imagej_metadata.get("unit")
        if isinstance(imagej_unit, str) and imagej_unit:
            units.update({axis: _UNITS.get(imagej_unit, imagej_unit) for axis in sizes})
    return sizes, units


def _ome_pixels(document: dict[str, Any]) -> dict[str, Any]:
    image = document.get("OME", {}).get("Image", {})
    if isinstance(image, list):
        image = image[0]
    pixels = image.get("Pixels", {}) if isinstance(image, dict) else {}
    return pixels if isinstance(pixels, dict) else {}
