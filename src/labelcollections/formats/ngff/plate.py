"""NGFF HCS metadata, 0.4 and 0.5: the ``plate`` of a plate group and the ``well`` of each well
group, read leniently (what ome-zarr-py and bioformats2raw write) and written strictly.

A plate is ``<plate>/<row>/<column>/<field>``: the plate group lists its rows, columns and
wells (``A/1``), each well group lists its field images (``0``, ``1`` …), and each field is an
image with its own ``labels``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelcollections.errors import InputError
from labelcollections.formats.ngff.multiscales import NgffVersion

PLATE_KEYS = ("rows", "columns", "wells", "version")
"""Keys of ``plate`` this module reads into a layout; the others are kept as they are."""


@dataclass(frozen=True)
class PlateLayout:
    """What a plate group says: row and column names, well paths (``A/1``) with their row and
    column names, and the other keys of its ``plate`` (``name``, ``field_count``,
    ``acquisitions`` …)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wells: tuple[tuple[str, str, str], ...]
    extra: dict[str, Any] = field(default_factory=dict)


def parse_plate(ome: Mapping[str, Any], source: str) -> PlateLayout:
    """The layout of a plate group from its NGFF attributes (``ome`` of 0.5, the top of 0.4)."""
    plate = ome.get("plate")
    if not isinstance(plate, Mapping):
        raise InputError(source, "plate", "an object with rows, columns and wells")
    rows = _names(plate, "rows", source)
    columns = _names(plate, "columns", source)
    wells = []
    raw_wells = plate.get("wells")
    if not isinstance(raw_wells, list) or not raw_wells:
        raise InputError(source, "plate.wells", "a list of wells with a path")
    for index, well in enumerate(raw_wells):
        path = well.get("path") if isinstance(well, Mapping) else None
        parts = path.split("/") if isinstance(path, str) else []
        if path is None or len(parts) != 2 or parts[0] not in rows or parts[1] not in columns:
            raise InputError(
                source,
                f"plate.wells[{index}].path",
                "<row>/<column> of the plate's rows and columns",
            )
        wells.append((str(path), parts[0], parts[1]))
    extra = {key: value for key, value in plate.items() if key not in PLATE_KEYS}
    return PlateLayout(rows, columns, tuple(wells), extra)


def parse_well(ome: Mapping[str, Any], source: str) -> tuple[str, ...]:
    """The paths of a well's field images, in order."""
    well = ome.get("well")
    images = well.get("images") if isinstance(well, Mapping) else None
    if not isinstance(images, list) or not images:
        raise InputError(source, "well.images", "a list of field images with a path")
    paths = []
    for index, image in enumerate(images):
        path = image.get("path") if isinstance(image, Mapping) else None
        if not isinstance(path, str) or not path or "/" in path:
            raise InputError(source, f"well.images[{index}].path", "the name of a field group")
        paths.append(path)
    return tuple(paths)


def plate_metadata(
    rows: Sequence[str],
    columns: Sequence[str],
    wells: Sequence[str],
    version: NgffVersion,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``plate`` content of a plate group (0.4 carries its version inside)."""
    plate: dict[str, Any] = {
        **(extra or {}),
        "rows": [{"name": name} for name in rows],
        "columns": [{"name": name} for name in columns],
        "wells": [
            {
                "path": path,
                "rowIndex": rows.index(path.split("/")[0]),
                "columnIndex": columns.index(path.split("/")[1]),
            }
            for path in wells
        ],
    }
    if version == "0.4":
        plate["version"] = "0.4"
    return {"plate": plate}


def well_metadata(fields: Sequence[str], version: NgffVersion) -> dict[str, Any]:
    """The ``well`` content of a well group listing its field images."""
    well: dict[str, Any] = {"images": [{"path": path} for path in fields]}
    if version == "0.4":
        well["version"] = "0.4"
    return {"well": well}


def _names(plate: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    raw = plate.get(key)
    names = []
    for index, entry in enumerate(raw if isinstance(raw, list) else [None]):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name or "/" in name:
            raise InputError(source, f"plate.{key}[{index}].name", "a name without '/'")
        names.append(name)
    if len(set(names)) != len(names):
        raise InputError(source, f"plate.{key}", "names that appear once")
    return tuple(names)
