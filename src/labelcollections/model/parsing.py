"""Turning user-supplied JSON into model objects with one-line errors."""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from labelcollections.errors import InputError

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_model(model: type[ModelT], data: Any, source: str, prefix: str = "") -> ModelT:
    """Validate ``data`` as ``model``; the first problem becomes an :class:`InputError`.

    ``prefix`` is prepended to the field path so errors point into the enclosing document.
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
        raise InputError(source, location or "<root>", _expectation(first)) from None


def _expectation(detail: Any) -> str:
    message = str(detail["msg"])
    if "input" in detail and detail["type"] not in {"missing"}:
        shown = repr(detail["input"])
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{message} (got {shown})"
    return message


MAX_JSON_DEPTH = 64
"""How deeply user JSON may nest: deeper documents are refused, not parsed at any cost."""


def parse_json(text: str | bytes, source: str) -> Any:
    """JSON as strictly as the standard reads it: duplicate keys, ``NaN`` and ``Infinity`` and
    nesting deeper than :data:`MAX_JSON_DEPTH` are refused with an :class:`InputError`.

    Python's parser accepts all three (and keeps the last of repeated keys silently).
    """
    try:
        data = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as error:
        raise InputError(
            source, f"line {error.lineno} column {error.colno}", f"valid JSON ({error.msg})"
        ) from None
    except _Refused as error:
        raise InputError(source, error.field, error.expected) from None
    except RecursionError:
        raise InputError(source, "<root>", f"JSON nested at most {MAX_JSON_DEPTH} deep") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(source, "<root>", f"valid JSON text ({error})") from None
    _check_depth(data, source)
    return data


class _Refused(ValueError):
    def __init__(self, field: str, expected: str) -> None:
        super().__init__(expected)
        self.field = field
        self.expected = expected


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(repr(key), "keys that appear once per object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _Refused(name, "finite numbers (JSON has no NaN or Infinity)")


def _bounded_int(text: str) -> int:
    """Integers that 64-bit readers hold: int64's minimum to uint64's maximum (label values)."""
    if len(text.lstrip("-")) > 20 or not -(2**63) <= (value := int(text)) <= 2**64 - 1:
        raise _Refused(text[:24], "integers from -2**63 to 2**64-1")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(text[:24], "finite numbers (this one overflows a double)")
    return value


def _check_depth(data: Any, source: str) -> None:
    """Refuse documents nesting deeper than :data:`MAX_JSON_DEPTH` (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InputError(source, "<root>", f"JSON nested at most {MAX_JSON_DEPTH} deep")
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
