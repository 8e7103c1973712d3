"""What every use case of a repository works on: its folder, its catalog and its progress display.

:class:`~labelcollections.repository.Repository` is this context with the use cases bound to it
as methods; the use-case modules take it as their first argument.
"""

from __future__ import annotations

from pathlib import Path

from labelcollections.catalog import Catalog
from labelcollections.errors import NotFoundError
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.progress import Progress, SilentProgress
from labelcollections.repository.layout import Layout
from labelcollections.storage.ome_zarr_store import ImageStore
from labelcollections.storage.publish import Location


class RepositoryContext:
    """A repository folder opened for work. The stores are the truth; the catalog indexes them."""

    def __init__(self, root: Path, progress: Progress | None = None) -> None:
        self.root = root
        recorded = Layout(root).recorded()
        store = recorded.get("store")
        self.layout = Layout(root, store if isinstance(store, str) else None)
        self.progress: Progress = progress or SilentProgress()
        self.catalog = Catalog(self.layout.catalog_url(recorded), owner=recorded.get("id"))

    @property
    def catalog_name(self) -> str:
        """The catalog's URL as messages show it (password hidden)."""
        return self.catalog.shown

    def close(self) -> None:
        self.catalog.close()

    def store_location(self, image: ReferenceImage) -> Location:
        """The folder (or URL) of the image's OME-Zarr store in the repository."""
        return self.layout.store_path(image.name)

    def store(self, image: ReferenceImage, writable: bool = False) -> ImageStore:
        """The image's store in the repository (not its source, for a registered image)."""
        return ImageStore.open(str(self.store_location(image)), writable=writable)

    def label_path(self, label: LabelImage) -> str:
        """The label image's path below its store's ``labels/`` group."""
        path = self.catalog.label_store_path(label.id)
        if path is None:
            raise NotFoundError(label.id, "label image", "a label image of the repository")
        return path
