"""A label image's tables in OMERO: its instance table and its feature tables, each an
OMERO.table linked to the label image's Image or ROI (the omero-label convention of a table
on the ROI, one row per object) with a file annotation in :data:`NS_TABLE`.

Tables of a label image never change once written (feature tables are added, never
rewritten), so a push adds the tables OMERO lacks and keeps the others.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from labelcollections.model.images import LabelImage
from labelcollections.omero.gateway import OmeroGateway, check_table
from labelcollections.omero_sync.mapping import LabelLocation
from labelcollections.omero_sync.undo import Undo
from labelcollections.repository import Repository
from labelcollections.storage.importing import PlannedTable

__all__ = ["NS_TABLE", "TABLE_KEY", "check_tables", "read_tables", "write_tables"]

NS_TABLE = "labelcollections/table/v1"
"""Namespace of the file annotations of a label image's OMERO.tables."""
TABLE_KEY = "labelcollections.table"
"""Table metadata key holding the stored table's name and attributes (JSON)."""
KINDS = ("instances", "features")
"""The tables that travel with a label image (correspondences stay local)."""


def check_tables(repository: Repository, labels: Sequence[LabelImage]) -> None:
    """Refuse, before anything is written, a table OMERO.tables cannot hold."""
    for label in labels:
        for record in repository.tables(label.id):
            if record.kind in KINDS:
                table = repository.table(label.id, record.name)
                check_table(f"{label.key} table {record.name}", table)


def write_tables(
    repository: Repository,
    gateway: OmeroGateway,
    undo: Undo,
    label: LabelImage,
    location: LabelLocation,
) -> None:
    """Write the label image's tables OMERO does not have yet."""
    kind, object_id = location.kind, location.object_id
    present = {a.name for a in gateway.file_annotations(kind, object_id, NS_TABLE)}
    for record in repository.tables(label.id):
        if record.kind not in KINDS or record.name in present:
            continue
        table = repository.table(label.id, record.name)
        metadata = {TABLE_KEY: json.dumps({"name": record.name, "attributes": record.attributes})}
        linked = gateway.link_table(kind, object_id, NS_TABLE, record.name, table, metadata)
        undo.created("Annotation", linked.id)


def read_tables(gateway: OmeroGateway, location: LabelLocation) -> list[PlannedTable]:
    """The tables of a pushed label image, as an import writes them."""
    planned = []
    for annotation in gateway.file_annotations(location.kind, location.object_id, NS_TABLE):
        table, metadata = gateway.read_table(annotation.id)
        stored = json.loads(metadata[TABLE_KEY])
        planned.append(PlannedTable(stored["name"], stored["attributes"], table))
    return planned
