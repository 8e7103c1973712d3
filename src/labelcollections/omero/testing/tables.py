"""OMERO.tables in memory: ``sharedResources()``, ``newTable``, ``openTable`` and the part of a
table's API that writing and reading whole tables needs (initialize, addData, headers, row
count, read, metadata). A table is an OriginalFile (mimetype ``OMERO.tables``) of the group it
was created in, so reading it follows the server's read rules."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import omero
import omero.grid
import omero.model
from omero.rtypes import rlong, rstring, unwrap

from labelcollections.omero.testing.server import InMemoryServer, Session
from labelcollections.omero.testing.services import Ctx, Service

__all__ = ["SharedResources", "Table", "TableData"]

TABLES_MIMETYPE = "OMERO.tables"


@dataclass
class TableData:
    """A table's columns (empty headers), their values, and its metadata."""

    headers: list[Any]
    values: list[list[Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        names = [(type(h).__name__, h.name) for h in self.headers]
        return repr((names, self.values, sorted(self.metadata.items())))


class SharedResources(Service):
    """The shared resources of a session: one tables repository."""

    REPOSITORY = -1

    def areTablesEnabled(self, ctx: Ctx = None) -> bool:
        return True

    def repositories(self, ctx: Ctx = None) -> Any:
        return omero.grid.RepositoryMap(
            descriptions=[omero.model.OriginalFileI(self.REPOSITORY, False)], proxies=[None]
        )

    def newTable(self, repository_id: int, name: str, ctx: Ctx = None) -> Any:
        if repository_id != self.REPOSITORY:
            raise omero.ApiUsageException(None, None, f"no repository {repository_id}")
        group_id = self._server.write_group(self._session, ctx)
        return Table(self._server, self._session, name, group_id)

    def openTable(self, original: Any, ctx: Ctx = None) -> Any:
        file_id = unwrap(original.getId())
        stored = self._server.stored(self._session, "OriginalFile", file_id)
        if file_id not in self._server.tables:
            raise omero.ApiUsageException(None, None, f"OriginalFile:{file_id} is not a table")
        return Table(self._server, self._session, unwrap(stored.getName()), None, file_id)


class Table(Service):
    """One open table."""

    def __init__(
        self,
        server: InMemoryServer,
        session: Session,
        name: str,
        group_id: int | None,
        file_id: int | None = None,
    ) -> None:
        super().__init__(server, session)
        self._name = name
        self._group_id = group_id
        self._file_id = file_id

    def initialize(self, columns: list[Any], ctx: Ctx = None) -> None:
        if self._file_id is not None or self._group_id is None:
            raise omero.ApiUsageException(None, None, "table already initialized")
        original = omero.model.OriginalFileI()
        original.setName(rstring(self._name))
        original.setPath(rstring("/"))
        original.setMimetype(rstring(TABLES_MIMETYPE))
        original.setSize(rlong(0))
        self._server.check_text(original)
        self._file_id = self._server.own(self._session, original, self._group_id)
        self._server.files[self._file_id] = b""
        headers = [_empty(column) for column in columns]
        self._server.tables[self._file_id] = TableData(headers, [[] for _ in headers])

    def addData(self, columns: list[Any], ctx: Ctx = None) -> None:
        data = self._data(write=True)
        if [c.name for c in columns] != [h.name for h in data.headers]:
            raise omero.ApiUsageException(None, None, "columns differ from the table's")
        for stored, column in zip(data.values, columns, strict=True):
            stored.extend(column.values)

    def getHeaders(self, ctx: Ctx = None) -> list[Any]:
        return [copy.deepcopy(h) for h in self._data().headers]

    def getNumberOfRows(self, ctx: Ctx = None) -> int:
        values = self._data().values
        return len(values[0]) if values else 0

    def read(self, column_numbers: list[int], start: int, stop: int, ctx: Ctx = None) -> Any:
        data = self._data()
        columns = []
        for number in column_numbers:
            column = copy.deepcopy(data.headers[number])
            column.values = list(data.values[number][start:stop])
            columns.append(column)
        rows = len(data.values[0][start:stop]) if data.values else 0
        return omero.grid.Data(
            lastModification=0, rowNumbers=list(range(start, start + rows)), columns=columns
        )

    def getOriginalFile(self, ctx: Ctx = None) -> Any:
        self._data()
        assert self._file_id is not None
        return self._server.view(self._session, self._server.objects[self._file_id])

    def setAllMetadata(self, values: dict[str, Any], ctx: Ctx = None) -> None:
        self._data(write=True).metadata = dict(values)

    def getAllMetadata(self, ctx: Ctx = None) -> dict[str, Any]:
        return dict(self._data().metadata)

    def _data(self, write: bool = False) -> TableData:
        if self._file_id is None or self._file_id not in self._server.tables:
            raise omero.ApiUsageException(None, None, "table not initialized (or deleted)")
        if write:
            self._server.require_edit(self._session, self._server.objects[self._file_id])
        data: TableData = self._server.tables[self._file_id]
        return data


def _empty(column: Any) -> Any:
    header = copy.deepcopy(column)
    header.values = []
    return header
