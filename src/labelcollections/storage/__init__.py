"""Reading and writing pixels, OME-Zarr stores and tables, locally or at a URL.

``ome_zarr_store``  one OME-Zarr store of an image with its labels and collection documents
``publish``         write aside, then publish by one rename (nothing half-written is visible)
``pyramid``         coarser levels of images (means) and labels (nearest or mode)
``regions``         chunk-aligned regions and parallel chunk writes
``hashing``         content hashes of pixels, in bounded memory
``sources``         label and image pixels from files and arrays (``tiff`` for TIFF/OME-TIFF)
``tables``          per-instance tables stored in a store; ``table_sources`` reads user tables
``importing``       planning the import of an OME-Zarr store (ours or third-party)
``validation``      ``validate``: RFC-8 documents and OME-Zarr stores
``locations``       paths and URLs, read through fsspec
``zipped``          zipped OME-Zarr (``.ozx``, NGFF RFC-9)
"""

from labelcollections.storage import (
    hashing,
    importing,
    locations,
    ome_zarr_store,
    publish,
    pyramid,
    regions,
    sources,
    table_sources,
    tables,
    tiff,
    validation,
    zipped,
)

__all__ = [
    "hashing",
    "importing",
    "locations",
    "ome_zarr_store",
    "publish",
    "pyramid",
    "regions",
    "sources",
    "table_sources",
    "tables",
    "tiff",
    "validation",
    "zipped",
]
