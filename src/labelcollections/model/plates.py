"""HCS plates: plate → wells → fields, each field a reference image.

A field keeps where it sits (:class:`PlatePosition`: plate, row, column, field index) in its
own record, so it is found by plate and well without the plate. The :class:`Plate` records the
grid (row and column names, the wells and their fields in order) and the plate-level
collections: RFC-8 collections of collections, one per segmentation run over the plate, whose
members are the collections of its fields.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, JsonValue, field_validator

from labelcollections.errors import InputError
from labelcollections.model.names import check_display_name, check_name
from labelcollections.model.provenance import Provenance
from labelcollections.model.records import RECORD_CONFIG

_WELL_TEXT = re.compile(r"^([A-Za-z]+)(\d+)$")


class WellPlace(BaseModel):
    """A well's row and column names."""

    model_config = RECORD_CONFIG

    row: str
    column: str

    @property
    def well(self) -> str:
        """The well as NGFF names its path: ``<row>/<column>`` (``B/3``)."""
        return f"{self.row}/{self.column}"


class PlatePosition(WellPlace):
    """Where a field image sits: plate name, well row and column names, field index."""

    plate: str
    field: int = Field(ge=0)


class Well(WellPlace):
    """A well of a plate and its fields (image ids, in field order)."""

    fields: tuple[str, ...] = ()


class PlateCollection(BaseModel):
    """A named collection of collections of a plate's fields (one segmentation run)."""

    model_config = RECORD_CONFIG

    id: str
    name: str
    members: tuple[str, ...] = ()
    """Ids of the field collections it groups."""
    provenance: Provenance | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_display_name(name, "plate collection")


class Plate(BaseModel):
    """An HCS plate: its grid, its wells with their fields, its plate-level collections.

    ``attributes`` keeps the NGFF ``plate`` metadata this model has no field for
    (``acquisitions``, ``field_count`` …), written back on export.
    """

    model_config = RECORD_CONFIG

    id: str
    name: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wells: tuple[Well, ...] = ()
    collections: tuple[PlateCollection, ...] = ()
    attributes: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, "plate")

    @property
    def field_ids(self) -> tuple[str, ...]:
        """Every field's image id, well by well."""
        return tuple(image_id for well in self.wells for image_id in well.fields)

    def well(self, text: str) -> Well:
        """A well by ``B/3`` or ``B3``."""
        wanted = well_path(text)
        for well in self.wells:
            if well.well == wanted:
                return well
        raise InputError(text, "well", f"a well of plate {self.name}")


def well_path(text: str) -> str:
    """A well as ``<row>/<column>``, from ``B/3`` or ``B3``."""
    if "/" in text:
        return text
    match = _WELL_TEXT.fullmatch(text)
    if match is None:
        raise InputError(text, "well", "a well like B3 or B/3")
    return f"{match.group(1)}/{match.group(2)}"


def field_name(plate: str, row: str, column: str, field: int) -> str:
    """The image name of a field: ``<plate>_<row><column>_<field>`` (``p1_B3_0``)."""
    return check_name(f"{plate}_{row}{column}_{field}", "field image name")
