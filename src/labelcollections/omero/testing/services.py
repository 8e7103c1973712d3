"""The OMERO services of the in-memory server, with the signatures of their Ice proxies:
IQuery, IUpdate, IAdmin, IContainer, IRoi, IPixels, IConfig, ISession, RawFileStore,
RawPixelsStore and the ``Delete2`` command. Every call is counted (and can be made to fail) by
the server, so tests can inject a failure at any call.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import omero
import omero.all  # every model, API and command module, loaded in their order
from omero.rtypes import rint, rlong, rstring, unwrap

from labelcollections.omero.testing.hql import run_query
from labelcollections.omero.testing.server import (
    LINKS,
    InMemoryServer,
    Session,
    StoredPixels,
    is_a,
)

__all__ = [
    "Admin",
    "Config",
    "Container",
    "Pixels",
    "Query",
    "RawFileStore",
    "RawPixelsStore",
    "RoiService",
    "SessionService",
    "Update",
    "submit",
]

Ctx = dict[str, str] | None


class Service:
    """A service bound to one session; each public method is one counted server call."""

    def __init__(self, server: InMemoryServer, session: Session) -> None:
        self._server = server
        self._session = session

    def __init_subclass__(cls) -> None:
        for name, method in list(vars(cls).items()):
            if callable(method) and not name.startswith("_"):
                setattr(cls, name, _counted(f"{cls.__name__}.{name}", method))

    def ice_getIdentity(self) -> Any:
        return _Identity(f"{type(self).__name__}-{id(self)}")

    def close(self, ctx: Ctx = None) -> None:
        """Stateless services need no closing; stateful ones override this."""


def _counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Service, *args: Any, **kwargs: Any) -> Any:
        self._server.session(self._session.uuid)
        self._server.call(name)
        return method(self, *args, **kwargs)

    return call


class _Identity:
    def __init__(self, name: str) -> None:
        self.name = name
        self.category = ""


class Query(Service):
    """IQuery: ``find``, ``get`` and the HQL of :mod:`.hql`."""

    def find(self, cls: str, object_id: int, ctx: Ctx = None) -> Any:
        groups = self._server.read_groups(self._session, ctx)
        found = self._server.objects.get(object_id)
        if not is_a(found, cls) or not self._server.visible(self._session, found, groups):
            return None
        return self._server.view(self._session, found)

    def findByQuery(self, query: str, params: Any, ctx: Ctx = None) -> Any:
        rows = run_query(self._server, self._session, query, params, ctx)
        if len({id(row) for row in rows}) > 1:
            raise omero.ApiUsageException(None, None, "query returned more than one result")
        return rows[0] if rows else None

    def findAllByQuery(self, query: str, params: Any, ctx: Ctx = None) -> list[Any]:
        return run_query(self._server, self._session, query, params, ctx)

    def projection(self, query: str, params: Any, ctx: Ctx = None) -> list[Any]:
        return run_query(self._server, self._session, query, params, ctx)


class Update(Service):
    """IUpdate: saving graphs of new and changed objects, with the server's rules."""

    def saveObject(self, graph: Any, ctx: Ctx = None) -> None:
        self._save(graph, ctx)

    def saveAndReturnObject(self, graph: Any, ctx: Ctx = None) -> Any:
        return self._server.view(self._session, self._save(graph, ctx))

    def _save(self, graph: Any, ctx: Ctx) -> Any:
        """Save a new object or link (with a new annotation), or an update. Like the server's
        transaction, every rule is checked before anything is stored."""
        graph = copy.deepcopy(graph)
        server, session = self._server, self._session
        if graph.getId() is not None:
            return self._update(graph)
        group_id = server.write_group(session, ctx)
        if type(graph).__name__ not in LINKS:
            self._check_new(graph, group_id)
            return self._store_new(graph, group_id)
        parent = self._reference(graph.getParent())
        server.require_annotate(session, parent)
        child = graph.getChild()
        new_child = child.getId() is None
        if new_child:
            self._check_new(child, group_id)
        else:
            child = self._reference(child)
        server.require_same_group([parent] if new_child else [parent, child], group_id)
        if new_child:
            child = self._store_new(child, group_id)
        graph.setParent(type(parent)(unwrap(parent.getId()), False))
        graph.setChild(type(child)(unwrap(child.getId()), False))
        server.own(session, graph, group_id)
        stored = copy.deepcopy(graph)
        stored.setChild(child)
        return stored

    def _check_new(self, obj: Any, group_id: int) -> None:
        """The rules a new object must meet: text PostgreSQL stores, references the user may
        read (and annotate, for a ROI's image) in the object's group."""
        server = self._server
        server.check_text(obj)
        if isinstance(obj, omero.model.FileAnnotationI):
            server.require_same_group([self._reference(obj.getFile())], group_id)
        elif isinstance(obj, omero.model.RoiI):
            image = self._reference(obj.getImage())
            server.require_annotate(self._session, image)
            server.require_same_group([image], group_id)
            for shape in obj.copyShapes():
                server.check_text(shape)
                info = shape.getDetails().getExternalInfo()
                if info is not None:
                    server.check_text(info)
        elif not isinstance(obj, (omero.model.MapAnnotationI, omero.model.OriginalFileI)):
            raise omero.ApiUsageException(
                None, None, f"the in-memory OMERO does not save new {type(obj).__name__}"
            )

    def _store_new(self, obj: Any, group_id: int) -> Any:
        """Store a checked new object (a ROI with its shapes) with ids, owner and group."""
        server, session = self._server, self._session
        if isinstance(obj, omero.model.FileAnnotationI):
            obj.setFile(omero.model.OriginalFileI(unwrap(obj.getFile().getId()), False))
        if isinstance(obj, omero.model.RoiI):
            obj.setImage(omero.model.ImageI(unwrap(obj.getImage().getId()), False))
            for shape in obj.copyShapes():
                info = shape.getDetails().getExternalInfo()
                server.own(session, shape, group_id)
                if info is not None:
                    server.own(session, info, group_id)
                    shape.getDetails().setExternalInfo(type(info)(unwrap(info.getId()), False))
        object_id = server.own(session, obj, group_id)
        if isinstance(obj, omero.model.OriginalFileI):
            server.files[object_id] = b""
        return obj

    def _update(self, obj: Any) -> Any:
        server, session = self._server, self._session
        stored = server.stored(session, type(obj).__name__[:-1], unwrap(obj.getId()))
        server.require_edit(session, stored)
        server.check_text(obj)
        if isinstance(obj, omero.model.MapAnnotationI):
            stored.setMapValue(list(obj.getMapValue() or ()))
            stored.setNs(obj.getNs())
        elif isinstance(obj, omero.model.FileAnnotationI):
            original = self._reference(obj.getFile())
            server.require_same_group([original], unwrap(stored.getDetails().getGroup().getId()))
            stored.setFile(omero.model.OriginalFileI(unwrap(original.getId()), False))
        else:
            raise omero.ApiUsageException(
                None, None, f"the in-memory OMERO does not update {type(obj).__name__}"
            )
        return stored

    def _reference(self, ref: Any) -> Any:
        """The stored object an (unloaded) reference points at, if the user may read it."""
        name = type(ref).__name__[:-1]
        return self._server.stored(self._session, name, unwrap(ref.getId()))


class Admin(Service):
    """IAdmin: the session's event context."""

    def getEventContext(self, ctx: Ctx = None) -> Any:
        return self._server.event_context(self._session)


class Config(Service):
    """IConfig: the server's configuration values."""

    def getConfigValue(self, key: str, ctx: Ctx = None) -> str:
        return self._server.config.get(key, "")


class SessionService(Service):
    """ISession: the session objects clients ask for after logging in."""

    def getSession(self, key: str, ctx: Ctx = None) -> Any:
        return self._server.session_object(self._server.session(key))


class Container(Service):
    """IContainer: images by id, with their primary pixels."""

    def getImages(self, cls: str, ids: list[int], options: Any, ctx: Ctx = None) -> list[Any]:
        groups = self._server.read_groups(self._session, ctx)
        return [
            self._server.view(self._session, self._server.objects[i])
            for i in ids
            if isinstance(self._server.objects.get(i), omero.model.ImageI)
            and self._server.visible(self._session, self._server.objects[i], groups)
        ]


class RoiService(Service):
    """IRoi: the ROIs of an image with their shapes (ExternalInfo left unloaded, as the server
    does)."""

    def findByImage(self, image_id: int, options: Any, ctx: Ctx = None) -> Any:
        groups = self._server.read_groups(self._session, ctx)
        rois = []
        for roi in self._server.all_of(self._session, "Roi", groups):
            if unwrap(roi.getImage().getId()) == image_id:
                rois.append(self._server.view(self._session, roi))
        return omero.api.RoiResult(rois=rois)


class Pixels(Service):
    """IPixels: new images and channel statistics."""

    def createImage(
        self,
        size_x: int,
        size_y: int,
        size_z: int,
        size_t: int,
        channels: list[int],
        pixels_type: Any,
        name: str,
        description: str | None,
        ctx: Ctx = None,
    ) -> Any:
        server, session = self._server, self._session
        group_id = server.write_group(session, ctx)
        value = unwrap(pixels_type.getValue())
        image = omero.model.ImageI()
        image.setName(rstring(name))
        if description is not None:
            image.setDescription(rstring(description))
        server.check_text(image)
        pixels = omero.model.PixelsI()
        pixels.setPixelsType(omero.model.PixelsTypeI(unwrap(pixels_type.getId()), False))
        for setter, size in (
            (pixels.setSizeX, size_x),
            (pixels.setSizeY, size_y),
            (pixels.setSizeZ, size_z),
            (pixels.setSizeC, len(channels)),
            (pixels.setSizeT, size_t),
        ):
            setter(rint(size))
        server.own(session, pixels, group_id)
        image.addPixels(pixels)
        image_id = server.own(session, image, group_id)
        pixels.setImage(omero.model.ImageI(image_id, False))
        shape = (size_t, len(channels), size_z, size_y, size_x)
        dtype = {"float": "float32", "double": "float64"}.get(value, value)
        big = size_x > int(server.config["omero.pixeldata.max_plane_width"]) or size_y > int(
            server.config["omero.pixeldata.max_plane_height"]
        )
        server.pixels[unwrap(pixels.getId())] = StoredPixels(
            np.zeros(shape, dtype=dtype), pyramid_ready=not (big and server.pyramids_wait)
        )
        # The stored image keeps its pixels loaded, with their type, as queries fetch them.
        pixels.setPixelsType(server.pixels_types[value])
        return rlong(image_id)

    def setChannelGlobalMinMax(
        self, pixels_id: int, channel: int, minimum: float, maximum: float, ctx: Ctx = None
    ) -> None:
        pixels = self._server.stored(self._session, "Pixels", pixels_id)
        self._server.require_edit(self._session, pixels)


class RawFileStore(Service):
    """RawFileStore: the bytes of an OriginalFile, written and read by offset."""

    _file_id: int | None = None

    def setFileId(self, file_id: int, ctx: Ctx = None) -> None:
        self._server.stored(self._session, "OriginalFile", file_id)
        self._file_id = file_id

    def write(self, data: bytes, position: int, length: int, ctx: Ctx = None) -> None:
        file_id = self._current()
        self._server.require_edit(self._session, self._server.objects[file_id])
        content = bytearray(self._server.files[file_id])
        content[position : position + length] = data[:length]
        self._server.files[file_id] = bytes(content)

    def read(self, position: int, length: int, ctx: Ctx = None) -> bytes:
        return self._server.files[self._current()][position : position + length]

    def save(self, ctx: Ctx = None) -> Any:
        file_id = self._current()
        stored = self._server.objects[file_id]
        stored.setSize(rlong(len(self._server.files[file_id])))
        return self._server.view(self._session, stored)

    def close(self, ctx: Ctx = None) -> None:
        self._file_id = None

    def _current(self) -> int:
        if self._file_id is None:
            raise omero.ApiUsageException(None, None, "setFileId first")
        return self._file_id


class RawPixelsStore(Service):
    """RawPixelsStore: planes and tiles of one Pixels object, big-endian as on the wire."""

    _pixels_id: int | None = None

    def setPixelsId(self, pixels_id: int, bypass: bool, ctx: Ctx = None) -> None:
        self._server.stored(self._session, "Pixels", pixels_id)
        self._pixels_id = pixels_id

    def getTileSize(self, ctx: Ctx = None) -> list[int]:
        height, width = self._data().shape[-2:]
        config = self._server.config
        return [
            min(width, int(config["omero.pixeldata.tile_width"])),
            min(height, int(config["omero.pixeldata.tile_height"])),
        ]

    def setTile(
        self, data: bytes, z: int, c: int, t: int, x: int, y: int, w: int, h: int, ctx: Ctx = None
    ) -> None:
        pixels = self._data()
        self._server.require_edit(self._session, self._server.objects[self._current()])
        tile = np.frombuffer(data, dtype=pixels.dtype.newbyteorder(">")).reshape(h, w)
        pixels[t, c, z, y : y + h, x : x + w] = tile

    def setPlane(self, data: bytes, z: int, c: int, t: int, ctx: Ctx = None) -> None:
        height, width = self._data().shape[-2:]
        self.setTile(data, z, c, t, 0, 0, width, height, ctx)

    def getTile(
        self, z: int, c: int, t: int, x: int, y: int, w: int, h: int, ctx: Ctx = None
    ) -> bytes:
        stored = self._server.pixels[self._current()]
        if not stored.pyramid_ready:
            raise omero.MissingPyramidException(
                None, None, "Pyramid in progress", pixelsID=self._current()
            )
        tile = stored.data[t, c, z, y : y + h, x : x + w]
        return np.ascontiguousarray(tile, dtype=tile.dtype.newbyteorder(">")).tobytes()

    def getPlane(self, z: int, c: int, t: int, ctx: Ctx = None) -> bytes:
        height, width = self._data().shape[-2:]
        return self.getTile(z, c, t, 0, 0, width, height, ctx)

    def save(self, ctx: Ctx = None) -> None:
        self._current()

    def close(self, ctx: Ctx = None) -> None:
        self._pixels_id = None

    def _data(self) -> np.ndarray:
        return self._server.pixels[self._current()].data

    def _current(self) -> int:
        if self._pixels_id is None:
            raise omero.ApiUsageException(None, None, "setPixelsId first")
        return self._pixels_id


class _Handle:
    """A finished command's handle (the in-memory server runs commands at once)."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def getResponse(self, ctx: Ctx = None) -> Any:
        return self._response

    def close(self, ctx: Ctx = None) -> None:
        """Nothing to release."""


def submit(server: InMemoryServer, session: Session, request: Any) -> _Handle:
    """Run a ``Delete2`` command: every target must be deletable by the user (else ``ERR``,
    nothing deleted), then each is deleted with what hangs on it."""
    if not isinstance(request, omero.cmd.Delete2):
        return _Handle(omero.cmd.ERR(category="unsupported", name=type(request).__name__))
    targets = []
    for cls, ids in (request.targetObjects or {}).items():
        for object_id in ids:
            try:
                stored = server.stored(session, cls, object_id)
                server.require_edit(session, stored)
            except omero.ServerError as error:
                return _Handle(
                    omero.cmd.ERR(
                        category="graph-fail",
                        name="not-permitted",
                        parameters={"message": str(error.message)},
                    )
                )
            targets.append(object_id)
    deleted: dict[str, list[int]] = {}
    for object_id in targets:
        for gone in server.delete(object_id):
            deleted.setdefault("ome.model.IObject", []).append(gone)
    return _Handle(omero.cmd.Delete2Response(deletedObjects=deleted))
