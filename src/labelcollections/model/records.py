"""JSON records of model objects, as stored in Zarr attributes and RFC-8 documents."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, JsonValue

RECORD_CONFIG = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
"""What every model record is: immutable, without unknown fields, and JSON-safe (no NaN or
infinite numbers, which JSON cannot hold)."""


def to_record(model: BaseModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """Plain JSON of a model, leaving out unset (None) fields."""
    return model.model_dump(mode="json", exclude_none=True, exclude=exclude)


JSON_INTEGERS = (-(2**63), 2**64 - 1)
"""The integers every JSON reader we write for holds exactly (int64 to uint64)."""


def _portable(value: JsonValue) -> JsonValue:
    """Refuse integers beyond 64 bits anywhere in a JSON value (walked without recursion)."""
    if not value:  # most objects are empty (a class's properties): nothing to walk
        return value
    pending: list[JsonValue] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, int) and not JSON_INTEGERS[0] <= item <= JSON_INTEGERS[1]:
            raise ValueError("integers from -2**63 to 2**64-1, which JSON readers hold")
    return value


JsonObject = Annotated[dict[str, JsonValue], AfterValidator(_portable)]
"""Free JSON (parameters, other tools' attributes) that any JSON reader reads back equal."""
