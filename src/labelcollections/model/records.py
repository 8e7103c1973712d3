"""JSON records of model objects, as stored in Zarr attributes and RFC-8 documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

RECORD_CONFIG = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
"""What every model record is: immutable, without unknown fields, and JSON-safe (no NaN or
infinite numbers, which JSON cannot hold)."""


def to_record(model: BaseModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """Plain JSON of a model, leaving out unset (None) fields."""
    return model.model_dump(mode="json", exclude_none=True, exclude=exclude)
