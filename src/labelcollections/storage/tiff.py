"""Reading TIFF, OME-TIFF, multi-page TIFF and ImageJ hyperstacks lazily.

Pixels are read through tifffile's Zarr interface (``aszarr``) tile by tile, strip by strip or
page by page, so files larger than memory are never loaded whole. Besides the pixels come the
axis names, the physical pixel sizes and units, the channel names and colours, a pyramidal
file's own levels and an OME-TIFF's OME-XML.

tifffile names axes with letters; T, C, Z, Y, X map to NGFF's t, c, z, y, x and S (samples, as
in RGB) to c. Files whose axes say less (Q and I for unknown or image sequence, as plain
multi-page TIFFs have) are read with axes the user names (``--axes zyx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dask.array as da
import tifffile
import zarr

from labelcollections.errors import InputError
from labelcollections.formats import ome_xml
from labelcollections.model.geometry import NGFF_AXIS_ORDER
from labelcollections.model.images import Channel

_AXIS_NAMES = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}


@dataclass(frozen=True)
class TiffImage:
    """A TIFF's pixels, lazily read, in the file's axis order.

    ``levels`` are the first series' pyramid, finest first (one level for a flat file);
    ``sizes`` and ``units`` the physical size of a pixel per axis name.
    """

    levels: tuple[da.Array, ...]
    axes: tuple[str, ...]
    sizes: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    channels: tuple[Channel, ...] = ()
    ome_xml: str | None = None

    @property
    def data(self) -> da.Array:
        return self.levels[0]


def read_tiff(path: Path, axes: Sequence[str] | None = None) -> TiffImage:
    """Open the first series of a TIFF; ``axes`` names (or renames) its axes."""
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            letters = series.axes
            level_count = len(series.levels)
            sizes, units = _physical_sizes(tif)
            document = tif.ome_metadata if tif.is_ome else None
        levels = tuple(_lazy_level(path, level) for level in range(level_count))
    except (tifffile.TiffFileError, OSError, ValueError, KeyError) as error:
        raise InputError(str(path), "file", f"a readable TIFF or OME-TIFF ({error})") from None
    names = _axis_names(str(path), letters, axes)
    return TiffImage(
        levels=levels,
        axes=names,
        sizes={axis: size for axis, size in sizes.items() if axis in names},
        units={axis: unit for axis, unit in units.items() if axis in names},
        channels=ome_xml.channels(document, str(path)) if document else (),
        ome_xml=ome_xml.metadata_only(document, str(path)) if document else None,
    )


def axes_hint(ndim: int) -> str:
    """The NGFF axes a ``ndim``-dimensional array most likely has (``zyx`` for 3D)."""
    return "".join(NGFF_AXIS_ORDER[max(0, 5 - ndim) :])


def _axis_names(source: str, letters: str, given: Sequence[str] | None) -> tuple[str, ...]:
    if given is not None:
        names = tuple(axis.lower() for axis in given)
        if len(names) != len(letters):
            raise InputError(
                source,
                "axes",
                f"{len(letters)} axis names for the file's {len(letters)} dimensions"
                f" ({letters}), e.g. --axes {axes_hint(len(letters))} (got {''.join(given)!r})",
            )
        return names
    names = tuple(_AXIS_NAMES.get(letter, "?") for letter in letters)
    if "?" in names or len(set(names)) != len(names):
        raise InputError(
            source,
            "axes",
            f"TIFF axes among T, C, S, Z, Y, X without repeats (got {letters!r});"
            f" name them with --axes, e.g. --axes {axes_hint(len(letters))}",
        )
    return names


def _lazy_level(path: Path, level: int) -> da.Array:
    """One pyramid level of the first series as a dask array over tifffile's Zarr store
    (the store keeps the file open while the array is in use)."""
    store = tifffile.imread(path, aszarr=True, series=0, level=level)
    array = zarr.open_array(store, mode="r")
    lazy: da.Array = da.from_zarr(array)  # type: ignore[no-untyped-call]
    native = lazy.dtype.newbyteorder("=")
    if lazy.dtype == native:
        return lazy
    swapped: da.Array = lazy.astype(native)  # type: ignore[no-untyped-call]
    return swapped


def _physical_sizes(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str]]:
    """Pixel sizes from OME-XML, or from ImageJ metadata and resolution tags."""
    sizes: dict[str, float] = {}
    units: dict[str, str] = {}
    if tif.is_ome and tif.ome_metadata:
        return ome_xml.physical_sizes(tif.ome_metadata, str(tif.filehandle.path))
    if tif.is_imagej and tif.imagej_metadata:
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
            units.update({axis: ome_xml.UNITS.get(imagej_unit, imagej_unit) for axis in sizes})
    return sizes, units
