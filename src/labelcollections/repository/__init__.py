"""The repository: OME-Zarr stores plus the catalog that indexes them (the Python API).

:class:`Repository` is the public face. Each use case lives in a module of its own and takes
the repository as its first argument; the class binds them as methods, so
``repo.add_labels(…)`` is :func:`labels.add_labels` and a newcomer finds each use case by its
name:

==================  =================================================================
``layout``          where things live on disk, stored names, our group attributes
``context``         the open repository: its folder, catalog and progress display
``references``      finding images, label images and collections by name, id or reference
``pixels``          the pixel levels of images and label images
``images``          adding reference images (copied, or OME-Zarr registered in place)
``labels``          adding label images
``tables``          instance tables, feature tables, objects by stable id
``comparison``      comparing two segmentations, recording correspondences
``collections``     collection documents and membership
``queries``         ``find`` and ``lineage``
``transfer``        export, import, writing what was pulled from OMERO
``integrity``       ``verify`` and ``reindex``
==================  =================================================================

The stores are the truth. Writers stage their data aside without locks, then publish (rename,
list, write documents) and index it inside one catalog write transaction on the image, so
writers of one image publish one after another and each sees what the one before published.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from labelcollections.catalog import (
    ENVIRONMENT_VARIABLE,
    SQLITE_DEFAULT,
    Catalog,
    located,
    parse_catalog_url,
    recorded_url,
    shown_url,
)
from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.model.names import new_id
from labelcollections.progress import Progress
from labelcollections.repository import (
    collections,
    comparison,
    images,
    integrity,
    labels,
    pixels,
    plates,
    queries,
    references,
    tables,
    transfer,
)
from labelcollections.repository.context import RepositoryContext
from labelcollections.repository.integrity import VerifyProblem, rebuild_catalog, upgrade_catalog
from labelcollections.repository.journal import recover
from labelcollections.repository.labels import SPLIT_BYTES
from labelcollections.repository.layout import (
    CATALOG_FILE,
    IMAGES_DIR,
    MARKER_FILE,
    REPOSITORY_FORMAT,
    STORE_SUFFIX,
    Layout,
    check_store_url,
    stored_table_name,
)
from labelcollections.repository.plates import PlateImport
from labelcollections.repository.tables import Instance, table_record
from labelcollections.repository.transfer import ImportResult
from labelcollections.storage.publish import write_json_atomic

__all__ = [
    "CATALOG_FILE",
    "IMAGES_DIR",
    "MARKER_FILE",
    "SPLIT_BYTES",
    "STORE_SUFFIX",
    "ImportResult",
    "Instance",
    "PlateImport",
    "Repository",
    "VerifyProblem",
    "open_repository",
    "rebuild_catalog",
    "stored_table_name",
    "table_record",
    "upgrade_catalog",
]


def open_repository(path: str | Path, progress: Progress | None = None) -> Repository:
    """Open an existing repository (the Python API's entry point)."""
    return Repository.open(path, progress)


class Repository(RepositoryContext):
    """A local repository of reference images, label images and collections."""

    @classmethod
    def init(
        cls,
        path: str | Path,
        progress: Progress | None = None,
        *,
        catalog: str | None = None,
        store: str | None = None,
    ) -> Repository:
        """Create a repository in an empty (or new) folder.

        ``catalog`` is the catalog's URL (default: ``$LABELCOLLECTIONS_CATALOG``, else SQLite
        in the folder); a PostgreSQL database must hold no catalog yet. Passwords are not taken
        in the URL, so none is written into the repository: libpq reads them from
        ``PGPASSWORD`` or ``~/.pgpass``. ``store`` is the URL (``s3://``, any fsspec URL) under
        which the image stores go, when not in the folder; credentials and endpoints come from
        the standard environment (for S3: ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, the AWS
        configuration files).
        """
        layout = Layout(Path(path).expanduser().resolve())
        if layout.marker.exists():
            raise ConflictError(
                str(layout.root), "repository", "a folder that is not a repository yet"
            )
        if layout.root.exists() and (not layout.root.is_dir() or any(layout.root.iterdir())):
            raise ConflictError(str(layout.root), "folder", "an empty or new folder")
        url = parse_catalog_url(catalog or os.environ.get(ENVIRONMENT_VARIABLE) or SQLITE_DEFAULT)
        if url.password is not None:
            raise InputError(
                shown_url(url), "catalog password", "none in the URL (use PGPASSWORD or ~/.pgpass)"
            )
        stores = check_store_url(store) if store is not None else None
        repository_id = new_id()
        made = not layout.root.exists()
        try:
            layout.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(
                str(layout.root), "folder", f"a folder that can be made ({error.strerror})"
            ) from None
        try:
            Catalog.create(located(url, layout.root), owner=repository_id).close()
        except BaseException:
            for child in [layout.root] if made else list(layout.root.iterdir()):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            raise
        recorded = {**REPOSITORY_FORMAT, "id": repository_id, "catalog": recorded_url(url)}
        if stores is not None:
            recorded["store"] = stores
        write_json_atomic(layout.marker, recorded)
        return cls(layout.root, progress)

    @classmethod
    def open(cls, path: str | Path, progress: Progress | None = None) -> Repository:
        """Open the repository in ``path``."""
        layout = Layout(Path(path).expanduser().resolve())
        if not layout.marker.is_file():
            raise NotFoundError(
                str(layout.root), "repository", f"a folder made by 'init' ({MARKER_FILE})"
            )
        repository = cls(layout.root, progress)
        try:
            recover(repository)
        except BaseException:
            repository.close()
            raise
        return repository

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Reference images
    add_image = images.add_image
    present_image = images.present_image
    image = references.image
    image_levels = pixels.image_levels

    # Label images
    add_labels = labels.add_labels
    present_label = labels.present_label
    label_image = references.label_image
    label_images = labels.label_images
    label_levels = pixels.label_levels

    # Instances and tables
    instance_table = tables.instance_table
    instance = tables.instance
    table = tables.table
    add_table = tables.add_table
    compare = comparison.compare

    # Collections
    collection = references.collection
    add_to_collection = collections.add_to_collection
    collection_document = collections.collection_document
    set_omero_collection_id = collections.set_omero_collection_id

    # Queries
    find = queries.find
    find_page = queries.find_page
    lineage = queries.lineage

    # Plates
    plate = plates.plate
    save_plate = plates.save_plate
    collect_plate = plates.collect

    # Export and import (plates, or images)
    export = plates.export
    import_store = plates.import_store
    import_plan = transfer.import_plan

    # Integrity
    verify = integrity.verify
    reindex = integrity.reindex

    # Last, because inside the class body these names hide their modules from here on.
    images = images.images
    plates = plates.plates
    tables = tables.tables
    collections = collections.collections
