"""Controlled vocabularies shared by every layer.

Values are the exact strings written to OME-Zarr, the catalog and OMERO annotations, so they
never change once released.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class LabelType(StrEnum):
    """What a label value means: a class (semantic), an object (instance) or both (panoptic)."""

    SEMANTIC = "semantic"
    INSTANCE = "instance"
    PANOPTIC = "panoptic"


class Method(StrEnum):
    """How a label image (or a collection) came to be."""

    MANUAL = "manual"
    ALGORITHM = "algorithm"
    MACHINE_LEARNING = "machine-learning"
    IMPORTED = "imported"
    CONVERTED = "converted"


LABEL_DTYPES: tuple[str, ...] = (
    "uint8",
    "int8",
    "uint16",
    "int16",
    "uint32",
    "int32",
    "uint64",
    "int64",
)
"""The integer data types NGFF 0.5 allows for label pixels."""


Downsampling = Literal["nearest", "mode"]
"""How a label image's coarser levels were made from the finer ones: every second pixel
(``nearest``) or the most frequent value of each 2 × 2 block (``mode``)."""

LARGEST_COUNT = 2**63 - 1
"""The largest count or page size a query takes: the catalog compares signed 64-bit integers."""
