"""Reading and writing pixels, OME-Zarr stores and tables, locally or at a URL.

``ome_zarr_store``  one OME-Zarr store of an image with its labels and collection documents
``streaming``       writing every level of a multiscale in one pass over level 0, in bounded memory
``sharding``        Zarr v3 shard shapes: ``--shards`` and the default rule
``publish``         write aside, then publish by one rename (nothing half-written is visible)
``pyramid``         coarser levels of images (means) and labels (nearest or mode)
``regions``         bands of chunk rows read ahead, and parallel chunk writes
``hashing``         content hashes of pixels, in bounded memory
``sources``         label and image pixels from files and arrays, read lazily (``tiff`` for every
                    kind of TIFF, through tifffile's Zarr interface)
``tables``          per-instance tables stored in a store; ``table_sources`` reads user tables
``importing``       planning the import of an OME-Zarr store (ours or third-party)
``validation``      ``validate``: RFC-8 documents and OME-Zarr stores
``locations``       paths and URLs, read through fsspec
``remote``          timeouts of remote reads, and their failures as one line
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
    remote,
    sharding,
    sources,
    streaming,
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
    "remote",
    "sharding",
    "sources",
    "streaming",
    "table_sources",
    "tables",
    "tiff",
    "validation",
    "zipped",
]
