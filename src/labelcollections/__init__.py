"""labelcollections: label images as first-class citizens of OME-Zarr and OMERO.

The Python API starts at :func:`open_repository` (or :meth:`Repository.init`)::

    import labelcollections
    repo = labelcollections.open_repository("./repo")
    repo.find(method="machine-learning", software="cellpose")
"""

__version__ = "0.1.0"

from labelcollections.repository import Repository, open_repository

__all__ = ["Repository", "__version__", "open_repository"]
