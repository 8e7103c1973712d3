"""Where everything of a repository lives on disk, and how stored things are named.

::

    <repo>/
      labelcollections.json          marks the folder as a repository
      catalog.sqlite                 the index (rebuildable from the stores)
      images/<image>.ome.zarr/       one store per reference image, with its labels and collections
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.records import to_record

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

    @property
    def catalog_url(self) -> str:
        return f"sqlite:///{self.root / CATALOG_FILE}"

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


def stored_table_name(label: LabelImage, table: str = "instances") -> str:
    """The name under ``tables/`` of a label image's table: ``<name>@<version>.<table>``."""
    return f"{label.key}.{table}"


def image_attributes(image: ReferenceImage) -> dict[str, Any]:
    """Our attributes of a reference image's group."""
    return {"version": 1, "image": to_record(image)}


def label_attributes(label: LabelImage) -> dict[str, Any]:
    """Our attributes of a label image's group."""
    return {"version": 1, "label_image": to_record(label)}
