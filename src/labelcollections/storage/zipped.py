"""Zipped OME-Zarr (NGFF RFC-9, ``.ozx``): a whole store in one file.

One file moves between sites without the file-count problem of a folder of chunks. The archive
root is the OME-Zarr root; entries are stored uncompressed (the chunks are compressed already)
with ZIP64, metadata files come first in breadth-first order so readers find the hierarchy
without scanning, and the archive comment says so. Zipped stores are read in place through
fsspec's zip file system (:func:`labelcollections.storage.locations.normalise`).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from labelcollections.formats.ngff.multiscales import NgffVersion
from labelcollections.storage.publish import aside

METADATA_FILES = frozenset({"zarr.json", ".zgroup", ".zattrs", ".zarray"})


def archive_comment(version: NgffVersion) -> bytes:
    """The RFC-9 archive comment: the OME-Zarr version, and that metadata files come first."""
    comment = {"ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": True}}}}
    return json.dumps(comment, separators=(",", ":")).encode()


def write_zipped(directory: Path, target: Path, version: NgffVersion) -> None:
    """Zip the store in ``directory`` into ``target`` (aside, then moved into place)."""
    files = sorted(
        (path for path in directory.rglob("*") if path.is_file()),
        key=lambda path: (
            path.name not in METADATA_FILES,
            len(path.relative_to(directory).parts),
            path.relative_to(directory).as_posix(),
        ),
    )
    staging = aside(target)
    try:
        with zipfile.ZipFile(staging, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for path in files:
                archive.write(path, path.relative_to(directory).as_posix())
            archive.comment = archive_comment(version)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
