"""Bulk ingest: many label images (and their reference images) added on a Dask cluster.

``manifest``  the rows to ingest: CSV, JSON Lines or a directory glob, checked before running
``tasks``     what a worker does for a row, through the repository's use cases
``run``       submitting rows to a cluster (or running them here), progress, outcomes
``cluster``   a client of a scheduler at an address, or of a LocalCluster sized to the machine

::

    from labelcollections.ingest import connected, ingest, read_manifest

    with connected("tcp://scheduler:8786") as client:
        report = ingest("./repo", read_manifest("manifest.csv"), client)
    print(report.count("added"), [o.detail for o in report.failed])
"""

from labelcollections.ingest.cluster import connected, local_workers, mapped_on
from labelcollections.ingest.manifest import COLUMNS, ManifestRow, glob_rows, read_manifest
from labelcollections.ingest.run import IngestReport, ingest
from labelcollections.ingest.tasks import ImageOutcome, RowOutcome

__all__ = [
    "COLUMNS",
    "ImageOutcome",
    "IngestReport",
    "ManifestRow",
    "RowOutcome",
    "connected",
    "glob_rows",
    "ingest",
    "local_workers",
    "mapped_on",
    "read_manifest",
]
