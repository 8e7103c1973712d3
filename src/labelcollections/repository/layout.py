"""Where everything of a repository lives on disk, and how stored things are named.

::

    <repo>/
      labelcollections.json          marks the folder as a repository, names its catalog (and
                                     its store URL)
      catalog.sqlite                 the index (rebuildable from the stores), unless on PostgreSQL
      images/<image>.ome.zarr/       one store per reference image, with its labels and collections
      plates/<plate>.json            the record of an HCS plate (its fields are images above)

A repository made with ``init --store s3://bucket/prefix`` (any fsspec URL) keeps its image
stores at ``<url>/<image>.ome.zarr`` instead of ``images/``; the folder keeps the rest.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from labelcollections.catalog import SQLITE_DEFAULT, located, parse_catalog_url
from labelcollections.errors import ConflictError, DamagedError, InputError
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import slugify, unique_slug
from labelcollections.model.plates import Plate
from labelcollections.model.records import to_record
from labelcollections.storage.locations import is_url, join, normalise, read_json
from labelcollections.storage.publish import Location

MARKER_FILE = "labelcollections.json"
CATALOG_FILE = "catalog.sqlite"
IMAGES_DIR = "images"
PLATES_DIR = "plates"
STORE_SUFFIX = ".ome.zarr"
REPOSITORY_FORMAT = {"format": "labelcollections-repository", "version": 1}


@dataclass(frozen=True)
class Layout:
    """The paths of one repository folder, and the URL of its image stores if they live on
    object storage."""

    root: Path
    store_url: str | None = None

    @property
    def marker(self) -> Path:
        return self.root / MARKER_FILE

    def recorded(self) -> dict[str, Any]:
        """What the marker file records: format, repository id, catalog URL; a marker of
        another format or version is refused."""
        try:
            recorded = read_json(str(self.marker))
        except InputError as error:
            raise DamagedError(error.source, error.field, error.expected) from None
        known = (
            {key: recorded.get(key) for key in REPOSITORY_FORMAT}
            if isinstance(recorded, dict)
            else None
        )
        if known != REPOSITORY_FORMAT:
            raise DamagedError(
                str(self.marker),
                "version",
                f"a labelcollections repository of version {REPOSITORY_FORMAT['version']}"
                f" (got {known or recorded!r:.80})",
            )
        assert isinstance(recorded, dict)
        return recorded

    def catalog_url(self, recorded: dict[str, Any]) -> str:
        """The catalog the repository records (repositories made before it did: SQLite)."""
        url = parse_catalog_url(str(recorded.get("catalog", SQLITE_DEFAULT)))
        return located(url, self.root).render_as_string(hide_password=False)

    @property
    def images_dir(self) -> Path:
        return self.root / IMAGES_DIR

    @property
    def plates_dir(self) -> Path:
        return self.root / PLATES_DIR

    def plate_path(self, plate_name: str) -> Path:
        """The record of the plate named ``plate_name``."""
        return self.plates_dir / f"{plate_name}.json"

    def store_path(self, image_name: str) -> Location:
        """The OME-Zarr store of the image named ``image_name`` (a path, or a URL)."""
        if self.store_url is not None:
            return join(self.store_url, f"{image_name}{STORE_SUFFIX}")
        return self.images_dir / f"{image_name}{STORE_SUFFIX}"

    def stores(self) -> list[Location]:
        """Every store, by name."""
        if self.store_url is None:
            return sorted(self.images_dir.glob(f"*{STORE_SUFFIX}"))
        filesystem, key = fsspec.core.url_to_fs(self.store_url)
        names = sorted(
            posixpath.basename(entry.rstrip("/")) for entry in filesystem.ls(key, detail=False)
        )
        return [join(self.store_url, name) for name in names if name.endswith(STORE_SUFFIX)]

    def relative(self, path: Location) -> str:
        """Where a store is, as the catalog records it: relative to the repository folder, or
        its URL."""
        if isinstance(path, str):
            return path
        return str(path.relative_to(self.root))


def check_store_url(url: str) -> str:
    """The URL a repository's image stores go under: reachable, and holding no stores yet."""
    location = normalise(url)
    if not is_url(location):
        raise InputError(url, "--store", "a URL such as s3://bucket/prefix (any fsspec URL)")
    try:
        filesystem, key = fsspec.core.url_to_fs(location)
        found = filesystem.ls(key, detail=False) if filesystem.exists(key) else []
    except (OSError, ValueError, ImportError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise InputError(url, "--store", f"a reachable location ({reason})") from None
    if any(str(entry).rstrip("/").endswith(STORE_SUFFIX) for entry in found):
        raise ConflictError(url, "--store", "a location that holds no repository's stores yet")
    return location


def new_label_path(label: LabelImage, taken: Iterable[str]) -> str:
    """The path below ``labels/`` of a label image joining an image whose label images have
    the paths ``taken``: one level, a readable slug of its name and version (``nuclei_v1``)."""
    return unique_slug(f"{label.name}_{label.version}", frozenset(taken))


def flat_paths(
    labels: Iterable[tuple[LabelImage, str]], taken: Iterable[str] = ()
) -> dict[str, str]:
    """A flat path for each ``(label image, current path)``, by label image id: the current
    path where it is one slug already (and not ``taken``), a new one otherwise (the nested
    ``<collection>/<name@version>`` paths of older stores)."""
    used = set(taken)
    paths = {}
    for label, path in labels:
        chosen = path if slugify(path) == path and path not in used else new_label_path(label, used)
        used.add(chosen)
        paths[label.id] = chosen
    return paths


def stored_table_name(label_path: str, table: str = "instances") -> str:
    """The name under ``tables/`` of a table of the label image at ``labels/<label_path>``:
    ``<label path>.<table>`` (the path as a slug, for label images of older, nested stores)."""
    return f"{slugify(label_path)}.{table}"


def correspondence_table(a_path: str, threshold: float) -> str:
    """The table part of the name of the matches recorded against label image ``a``."""
    return f"matches.{slugify(a_path)}.iou{threshold:g}"


def image_attributes(image: ReferenceImage) -> dict[str, Any]:
    """Our attributes of a reference image's group."""
    return {"version": 1, "image": to_record(image)}


def plate_attributes(plate: Plate) -> dict[str, Any]:
    """Our attributes of a plate (its record in the repository, its group in an export)."""
    return {"version": 1, "plate": to_record(plate)}


def label_attributes(label: LabelImage) -> dict[str, Any]:
    """Our attributes of a label image's group."""
    return {"version": 1, "label_image": to_record(label)}
