"""Turning user-supplied JSON into model objects with one-line errors."""

from __future__ import annotations

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
