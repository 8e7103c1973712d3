"""Locations of stores: local paths or URLs (http, https, s3, …) read through fsspec."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import fsspec

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.parsing import parse_json
from labelcollections.storage.remote import (
    DEFAULT_TIMEOUT,
    reading,
    remote_timeout,
    use_timeouts,
)


def _timeout_from_environment() -> float:
    """The configured timeout; a bad setting is reported by the command line (which checks
    it first), so here it falls back to the default."""
    try:
        return remote_timeout()
    except InputError:
        return DEFAULT_TIMEOUT


# Every process that reads stores imports this module, Dask workers included.
use_timeouts(_timeout_from_environment())


def is_url(location: str) -> bool:
    """True for ``scheme://…`` locations other than ``file://``."""
    scheme = urlsplit(location).scheme
    return len(scheme) > 1 and scheme != "file"


ZIPPED_SUFFIX = ".ozx"
"""The file name suffix of a zipped OME-Zarr (NGFF RFC-9)."""
_ZIP = "zip://"


def normalise(location: str | Path) -> str:
    """An absolute local path, or the URL without a trailing slash; a zipped OME-Zarr
    (``.ozx``, local or remote) becomes the fsspec URL of the store inside it."""
    text = str(location)
    if text.startswith(_ZIP):
        return text
    if is_url(text):
        text = text.rstrip("/")
    else:
        if text.startswith("file://"):
            text = urlsplit(text).path
        text = str(Path(text).expanduser().resolve())
    if text.lower().endswith(ZIPPED_SUFFIX):
        return f"{_ZIP}::{text if is_url(text) else Path(text).as_uri()}"
    return text


def join(location: str, *parts: str) -> str:
    """``location/part/…`` for paths, URLs and stores inside zip files alike."""
    if location.startswith(_ZIP):
        inner, _, outer = location[len(_ZIP) :].partition("::")
        return f"{_ZIP}{posixpath.join(inner, *parts)}::{outer}"
    if is_url(location):
        return posixpath.join(location, *parts)
    return str(Path(location).joinpath(*parts))


def read_json(location: str) -> Any:
    """The parsed JSON at ``location``, read strictly (:func:`parse_json`); a missing,
    unreadable or malformed file is an :class:`InputError`."""
    return parse_json(read_text(location), location)


def read_text(location: str) -> str:
    """The UTF-8 text at a path or URL; a missing file is a :class:`NotFoundError`."""
    try:
        if is_url(location):
            with reading(location), fsspec.open(location, "rt", encoding="utf-8") as handle:
                text: str = handle.read()
                return text
        return Path(location).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(location, "file", "an existing file") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(location, "file", f"a readable UTF-8 file ({error})") from None


def list_json_files(location: str) -> list[str]:
    """Names (without ``.json``) of the JSON files directly in a folder; empty if it is missing."""
    try:
        if is_url(location):
            fs, path = fsspec.core.url_to_fs(location)
            entries = [posixpath.basename(p) for p in fs.ls(path, detail=False)]
        else:
            entries = [p.name for p in Path(location).iterdir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []
    return sorted(
        e[: -len(".json")] for e in entries if e.endswith(".json") and not e.startswith(".")
    )


def child_folders(location: str) -> list[str]:
    """Names of the folders (or key prefixes) directly in a folder, hidden ones left out; empty
    if it is missing."""
    try:
        if is_url(location):
            fs, path = fsspec.core.url_to_fs(location)
            entries = fs.ls(path, detail=True)
            names = [
                posixpath.basename(e["name"].rstrip("/"))
                for e in entries
                if e["type"] == "directory"
            ]
        else:
            names = [p.name for p in Path(location).iterdir() if p.is_dir()]
    except OSError:
        return []
    return sorted(name for name in names if not name.startswith("."))


def looks_like_zarr(location: str) -> bool:
    """True for a URL (read through fsspec) or a local folder holding Zarr metadata."""
    if is_url(location):
        return True
    path = Path(location)
    return path.is_dir() and any((path / f).exists() for f in ("zarr.json", ".zgroup", ".zattrs"))


def escaping_links(folder: Path) -> list[Path]:
    """Symbolic links below ``folder`` that point outside it (an untrusted store may not read
    the rest of the machine through them)."""
    root = folder.resolve()
    escaping = []
    for directory, subdirectories, files in os.walk(folder):
        for name in [*subdirectories, *files]:
            path = Path(directory, name)
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                escaping.append(path)
    return escaping
