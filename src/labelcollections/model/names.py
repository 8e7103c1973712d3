"""Names, paths and ids of repository objects.

Collections and label images carry free display names (RFC-8's ``name`` is human-readable
text); what reaches a file system, a URL, an S3 key or an OMERO ``lsid`` is a slug derived from
them (:func:`slugify`), made of ``[A-Za-z0-9._-]`` only, so it never needs percent-encoding.
Image names and versions are identifiers users type, so they are restricted to that alphabet.
Ids follow the RFC-8 id production and are random so that objects created in different
repositories never collide when they meet in OMERO.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from labelcollections.errors import InputError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.]+$")
MAX_DISPLAY_NAME = 256
SLUG_LENGTH = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = frozenset({"Cc", "Cs"})
"""Unicode categories a display name may not contain: control characters and lone surrogates."""


def check_name(value: str, source: str, field: str = "name") -> str:
    """Return ``value`` if it is a valid identifier-like name (image names, versions, table
    names), else raise an :class:`InputError`."""
    if not NAME_PATTERN.fullmatch(value) or value in {".", ".."} or ".." in value:
        raise InputError(
            source,
            field,
            "a name of letters, digits, '_', '.' or '-' starting with a letter or digit"
            f" (got {value!r})",
        )
    return value


def check_display_name(value: str, source: str, field: str = "name") -> str:
    """Return ``value`` if it is a display name: non-empty text without control characters
    or surrounding spaces, at most :data:`MAX_DISPLAY_NAME` characters."""
    if (
        not value.strip()
        or value != value.strip()
        or len(value) > MAX_DISPLAY_NAME
        or any(unicodedata.category(character) in _CONTROL for character in value)
    ):
        raise InputError(
            source,
            field,
            f"a non-empty name of at most {MAX_DISPLAY_NAME} characters, without control"
            f" characters or surrounding spaces (got {value!r})",
        )
    return value


def check_id(value: str, source: str, field: str = "id") -> str:
    """Return ``value`` if it matches the RFC-8 id production, else raise an :class:`InputError`."""
    if not ID_PATTERN.fullmatch(value):
        raise InputError(source, field, f"an id matching [a-zA-Z0-9-_.]+ (got {value!r})")
    return value


def slugify(text: str, limit: int = SLUG_LENGTH) -> str:
    """A readable path segment for ``text``: accents dropped, runs of other characters turned
    into ``_``, no ``..``, starting and ending with a letter or digit; ``unnamed`` if nothing
    is left. A slug is its own slug."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", ascii_text)).strip("._-")
    return cleaned[:limit].rstrip("._-") or "unnamed"


def safe_name(name: str) -> str:
    """A valid identifier-like name as close to ``name`` as possible."""
    return slugify(name, limit=128)


def unique_slug(text: str, taken: set[str] | frozenset[str]) -> str:
    """:func:`slugify` of ``text``, with ``-2``, ``-3`` … appended while it is in ``taken``."""
    base = slugify(text)
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def new_id() -> str:
    """A fresh random id: 16 hex digits (64 bits), short enough to type, unique in practice."""
    return secrets.token_hex(8)
