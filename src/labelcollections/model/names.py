"""Names and ids of repository objects.

Names become path segments in OME-Zarr stores and RFC-8 node names, so they are restricted to
characters that are safe in both; ids follow the RFC-8 id production and are random so that
objects created in different repositories never collide when they meet in OMERO.
"""

from __future__ import annotations

import re
import secrets

from labelcollections.errors import InputError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.]+$")


def check_name(value: str, source: str, field: str = "name") -> str:
    """Return ``value`` if it is a valid object name, else raise an :class:`InputError`."""
    if not NAME_PATTERN.fullmatch(value) or value in {".", ".."} or ".." in value:
        raise InputError(
            source,
            field,
            "a name of letters, digits, '_', '.' or '-' starting with a letter or digit"
            f" (got {value!r})",
        )
    return value


def check_id(value: str, source: str, field: str = "id") -> str:
    """Return ``value`` if it matches the RFC-8 id production, else raise an :class:`InputError`."""
    if not ID_PATTERN.fullmatch(value):
        raise InputError(source, field, f"an id matching [a-zA-Z0-9-_.]+ (got {value!r})")
    return value


def safe_name(name: str) -> str:
    """A valid object name as close to ``name`` as possible (spaces and symbols become ``_``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).lstrip("_.-")[:128] or "unnamed"
    return cleaned if NAME_PATTERN.fullmatch(cleaned) else "unnamed"


def new_id() -> str:
    """A fresh random id: 16 hex digits (64 bits), short enough to type, unique in practice."""
    return secrets.token_hex(8)
