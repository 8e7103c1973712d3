"""labelcollections: label images as first-class citizens of OME-Zarr and OMERO."""

__version__ = "0.1.0"
