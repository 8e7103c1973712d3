"""Where everything of a repository lives on disk, and how stored things are named.

::

    <repo>/
      labelcollections.json          marks the folder as a repository, names its catalog
      catalog.sqlite                 the index (rebuildable from the stores), unless on PostgreSQL
      images/<image>.ome.zarr/       one store per reference image, with its labels and collections
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelcollections.catalog import SQLITE_DEFAULT, located, parse_catalog_url
from labelcollections.errors import DamagedError, InputError
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.names import slugify, unique_slug
from labelcollections.model.records import to_record
from labelcollections.storage.locations import read_json

MARKER_FILE = "labelcollections.json"
CATALOG_FILE = "catalog.sqlite"
IMAGES_DIR = "images"
STORE_SUFFIX = ".ome.zarr"
REPOSITORY_FORMAT = {"format": "labelcollections-repository", "version": 1}


@dataclass(frozen=True)
class Layout:
    """The paths of one repository folder."""

    root: Path

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

    def store_path(self, image_name: str) -> Path:
        """The OME-Zarr store of the image named ``image_name``."""
        return self.images_dir / f"{image_name}{STORE_SUFFIX}"

    def stores(self) -> list[Path]:
        """Every published store, by name."""
        return sorted(self.images_dir.glob(f"*{STORE_SUFFIX}"))

    def relative(self, path: Path) -> str:
        """``path`` relative to the repository folder, as the catalog records it."""
        return str(path.relative_to(self.root))


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


def label_attributes(label: LabelImage) -> dict[str, Any]:
    """Our attributes of a label image's group."""
    return {"version": 1, "label_image": to_record(label)}
