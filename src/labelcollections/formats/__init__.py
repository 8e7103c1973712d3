"""Codecs of the formats label collections are written in, one module per format.

``ngff``                 NGFF ``multiscales``, ``labels`` and ``image-label`` metadata (0.4, 0.5)
``rfc8``                 RFC-8 collection documents: nodes, rules, path resolution
``collection_document``  our collections as RFC-8 documents and back
``omero_kv``             the key-value schema of OMERO map annotations and its lossless codec
``ome_xml``              OME-XML: physical sizes, channels, the metadata-only form of Zarr stores
``biohackathon``         the BioHackathon prototype's collection JSON (import only)

Pure code: reading and writing files is left to ``storage``.
"""

from labelcollections.formats import (
    biohackathon,
    collection_document,
    ngff,
    ome_xml,
    omero_kv,
    rfc8,
)

__all__ = ["biohackathon", "collection_document", "ngff", "ome_xml", "omero_kv", "rfc8"]
