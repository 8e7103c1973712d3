"""The OMERO gateway on a server, through omero-py's ``BlitzGateway``: the one implementation
of the port, run in tests and demos on the in-memory OMERO (:mod:`labelcollections.omero.testing`).

The object mapping (our dataclasses ⇄ ``omero.model`` objects and rtypes) lives in plain
functions, so it is tested with real omero-py classes without a server; :class:`BlitzOmeroGateway`
adds only the server calls. omero-py is an optional dependency (``labelcollections[omero]``).

Group context: reads run across all of the user's groups (``omero.group = -1``); every write
runs in the group of the object it belongs to, as OMERO requires for new objects.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any

import Glacier2
import Ice
import numpy as np
import omero
import omero.all  # every model, API and command module, loaded in their order
import pyarrow as pa
from omero.gateway import BlitzGateway
from omero.model import (
    ExternalInfoI,
    FileAnnotationI,
    ImageI,
    MapAnnotationI,
    MaskI,
    NamedValue,
    OriginalFileI,
    PolygonI,
    RoiI,
)
from omero.rtypes import rdouble, rint, rlong, rstring, unwrap
from omero.sys import ParametersI

from labelcollections.errors import InputError
from labelcollections.omero.gateway import (
    DEFAULT_LIMIT,
    PIXEL_DTYPES,
    ExternalInfo,
    FileAnnotation,
    MapAnnotation,
    MaskShape,
    MixedGroupError,
    ObjectKind,
    OmeroGroup,
    OmeroImage,
    OmeroNotFoundError,
    OmeroPermissionError,
    OmeroPlate,
    OmeroUser,
    OmeroWell,
    Roi,
    check_image_pixels,
    check_table,
    check_text,
    checked_pairs,
)
from labelcollections.omero.polygons import PolygonShape
from labelcollections.omero.tables import columns_of, metadata_of, table_of

ALL_GROUPS = "-1"
"""``omero.group`` value that lets reads see every group of the user."""
SHAPE_LABELS = "label values:"
"""Start of a ROI description listing the label value of each of its shapes, in order."""
HOLES = "holes:"
"""Start of the part of a ROI description listing which of its Polygons are holes."""
OMERO_PIXEL_TYPES = {"float": "float32", "double": "float64"}
"""OMERO PixelsType values whose numpy name differs (the integer types share their names)."""
KEEP_ALIVE_SECONDS = 300
"""How often the client pings a session it holds (OMERO's idle timeout is 10 minutes)."""
DELETE_POLLS = 600
DELETE_POLL_SECONDS = 0.1
"""How long to wait for a delete the server runs in the background: at most a minute."""
TABLES_MIMETYPE = "OMERO.tables"
"""The mimetype of an OMERO.table's OriginalFile."""
READ_CHUNK = 2_621_440
"""Bytes read from a file annotation per call (omero-py's own chunk size)."""


# -- rtypes and model objects (no server needed) -----------------------------------------------


def named_values(pairs: Sequence[tuple[str, str]]) -> list[Any]:
    """Map annotation pairs as OMERO ``NamedValue`` objects, order and repeated keys kept."""
    return [NamedValue(key, value) for key, value in checked_pairs(pairs)]


def pairs_of(values: Sequence[Any] | None) -> tuple[tuple[str, str], ...]:
    """The (key, value) pairs of a list of ``NamedValue`` (OMERO sends ``None`` for none)."""
    return tuple((str(v.name), str(v.value)) for v in values or ())


def id_of(obj: Any) -> int:
    """The id of an omero model object (loaded or not)."""
    return int(obj.getId().getValue())


def map_annotation_to_omero(namespace: str, pairs: Sequence[tuple[str, str]]) -> Any:
    """A new ``MapAnnotationI`` in ``namespace``."""
    annotation = MapAnnotationI()
    annotation.setNs(rstring(namespace))
    annotation.setMapValue(named_values(pairs))
    return annotation


def map_annotation_from_omero(annotation: Any) -> MapAnnotation:
    details = annotation.getDetails()
    return MapAnnotation(
        id=id_of(annotation),
        namespace=unwrap(annotation.getNs()) or "",
        pairs=pairs_of(annotation.getMapValue()),
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
    )


def file_annotation_to_omero(namespace: str, file_id: int) -> Any:
    """A new ``FileAnnotationI`` in ``namespace`` for an uploaded OriginalFile."""
    annotation = FileAnnotationI()
    annotation.setNs(rstring(namespace))
    annotation.setFile(OriginalFileI(file_id, False))
    return annotation


def file_annotation_from_omero(annotation: Any) -> FileAnnotation:
    """Our view of a ``FileAnnotationI`` whose OriginalFile is loaded."""
    details = annotation.getDetails()
    original = annotation.getFile()
    return FileAnnotation(
        id=id_of(annotation),
        namespace=unwrap(annotation.getNs()) or "",
        name=unwrap(original.getName()) or "",
        mimetype=unwrap(original.getMimetype()) or "",
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
    )


def linked_file(annotation: Any, name: str, mimetype: str) -> FileAnnotation:
    """Our view of a file annotation just saved (its file is not loaded; we know it)."""
    details = annotation.getDetails()
    return FileAnnotation(
        id=id_of(annotation),
        namespace=unwrap(annotation.getNs()) or "",
        name=name,
        mimetype=mimetype,
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
    )


def external_info_to_omero(info: ExternalInfo) -> Any:
    external = ExternalInfoI()
    external.setEntityType(rstring(info.entity_type))
    external.setEntityId(rlong(info.entity_id))
    external.setLsid(rstring(info.lsid))
    return external


def external_info_from_omero(external: Any) -> ExternalInfo | None:
    """Our ``ExternalInfo`` of a loaded ``ExternalInfoI`` (``None`` for none)."""
    if external is None:
        return None
    return ExternalInfo(
        entity_type=unwrap(external.getEntityType()),
        entity_id=int(unwrap(external.getEntityId())),
        lsid=unwrap(external.getLsid()) or "",
    )


def mask_to_omero(shape: MaskShape, external_info: ExternalInfo | None = None) -> Any:
    """A ``MaskI`` with the box, packed bits, plane, colour and text of ``shape``."""
    mask = MaskI()
    mask.setX(rdouble(shape.x))
    mask.setY(rdouble(shape.y))
    mask.setWidth(rdouble(shape.width))
    mask.setHeight(rdouble(shape.height))
    mask.setBytes(shape.bytes)
    _set_plane_and_style(mask, shape)
    if external_info is not None:
        mask.getDetails().setExternalInfo(external_info_to_omero(external_info))
    return mask


def mask_from_omero(mask: Any, label: int) -> MaskShape:
    """Our ``MaskShape`` of a ``MaskI``; ``label`` is the value it stands for."""
    packed = mask.getBytes()
    return MaskShape(
        label=label,
        x=int(unwrap(mask.getX()) or 0),  # unset on Masks made elsewhere: the origin
        y=int(unwrap(mask.getY()) or 0),
        width=int(unwrap(mask.getWidth()) or 0),
        height=int(unwrap(mask.getHeight()) or 0),
        bytes=b"" if packed is None else bytes(packed),
        **_plane_and_style(mask),
    )


def polygon_to_omero(shape: PolygonShape) -> Any:
    """A ``PolygonI`` with the points text, plane, colours and text of ``shape``."""
    polygon = PolygonI()
    polygon.setPoints(rstring(shape.points))
    _set_plane_and_style(polygon, shape)
    if shape.stroke_color is not None:
        polygon.setStrokeColor(rint(shape.stroke_color))
    return polygon


def polygon_from_omero(polygon: Any, label: int, hole: bool = False) -> PolygonShape:
    """Our ``PolygonShape`` of a ``PolygonI``, its points text as stored (OMERO.iviewer
    writes float coordinates, and may repeat the first vertex last)."""
    return PolygonShape(
        label=label,
        points=unwrap(polygon.getPoints()) or "",
        hole=hole,
        stroke_color=unwrap(polygon.getStrokeColor()),
        **_plane_and_style(polygon),
    )


def _set_plane_and_style(target: Any, shape: MaskShape | PolygonShape) -> None:
    """The fields every shape kind has: plane indices, fill colour and text (unset: unset)."""
    for setter, value in (
        (target.setTheZ, shape.z),
        (target.setTheT, shape.t),
        (target.setTheC, shape.c),
        (target.setFillColor, shape.fill_color),
    ):
        if value is not None:
            setter(rint(value))
    if shape.text is not None:
        target.setTextValue(rstring(shape.text))


def _plane_and_style(shape: Any) -> dict[str, Any]:
    """Plane indices, fill colour and text of a saved shape of any kind (``None``: unset)."""
    return {
        "z": unwrap(shape.getTheZ()),
        "t": unwrap(shape.getTheT()),
        "c": unwrap(shape.getTheC()),
        "fill_color": unwrap(shape.getFillColor()),
        "text": unwrap(shape.getTextValue()),
    }


def roi_to_omero(
    image_id: int,
    shapes: Sequence[MaskShape | PolygonShape],
    name: str | None = None,
    external_info: ExternalInfo | None = None,
) -> Any:
    """A new ``RoiI`` on the image holding one ``MaskI`` or ``PolygonI`` per shape, in order.

    OMERO has no field for a shape's label value, nor for a Polygon cutting a hole, so the
    ROI's description lists them: ``label values: 3 3 7``, one per shape in order, then
    ``holes: 3`` (the positions, from 1, of the Polygons that are holes) if there are any.
    ``external_info`` goes on the Masks.
    """
    roi = RoiI()
    roi.setImage(ImageI(image_id, False))
    if name is not None:
        roi.setName(rstring(name))
    holes = [
        str(position)
        for position, shape in enumerate(shapes, start=1)
        if isinstance(shape, PolygonShape) and shape.hole
    ]
    words = [SHAPE_LABELS, *(str(s.label) for s in shapes), *([HOLES, *holes] if holes else [])]
    roi.setDescription(rstring(" ".join(words)))
    for shape in shapes:
        roi.addShape(
            polygon_to_omero(shape)
            if isinstance(shape, PolygonShape)
            else mask_to_omero(shape, external_info)
        )
    return roi


def roi_from_omero(roi: Any, default_label: int) -> Roi:
    """Our ``Roi`` of a saved ``RoiI`` with its Masks and Polygons (other shape kinds are
    left out).

    Label values and holes come from the description written by :func:`roi_to_omero`; a ROI
    made elsewhere (or whose shapes changed) gives every shape ``default_label`` and no holes,
    as omero-rois numbers ROIs by rank.
    """
    shapes = [shape for shape in roi.copyShapes() if isinstance(shape, (MaskI, PolygonI))]
    labels, holes = shape_labels(unwrap(roi.getDescription()), len(shapes)) or (
        [default_label] * len(shapes),
        frozenset(),
    )
    pairs = list(zip(shapes, labels, strict=True))
    masks = [(shape, label) for shape, label in pairs if isinstance(shape, MaskI)]
    details = roi.getDetails()
    external = masks[0][0].getDetails().getExternalInfo() if masks else None
    return Roi(
        id=id_of(roi),
        image_id=id_of(roi.getImage()),
        name=unwrap(roi.getName()),
        masks=tuple(mask_from_omero(shape, label) for shape, label in masks),
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
        external_info=external_info_from_omero(external),
        polygons=tuple(
            polygon_from_omero(shape, label, position in holes)
            for position, (shape, label) in enumerate(pairs)
            if isinstance(shape, PolygonI)
        ),
    )


def shape_labels(description: str | None, count: int) -> tuple[list[int], frozenset[int]] | None:
    """The label values a ROI description lists and the positions (from 0) of its holes, if
    it lists exactly ``count`` integers and holes among them."""
    if description is None or not description.startswith(SHAPE_LABELS):
        return None
    values, _, holes = description[len(SHAPE_LABELS) :].partition(HOLES)
    words, positions = values.split(), holes.split()
    if len(words) != count or not all(w.isascii() and w.isdigit() for w in words + positions):
        return None
    if not all(0 < int(p) <= count for p in positions):
        return None
    return [int(w) for w in words], frozenset(int(p) - 1 for p in positions)


def pixels_dtype(pixels_type: str, where: str = "image") -> str:
    """The numpy dtype name of an OMERO PixelsType value (``uint16``, ``float`` …); ``bit``
    and the complex types have none here and are refused."""
    dtype = OMERO_PIXEL_TYPES.get(pixels_type, pixels_type)
    if dtype not in PIXEL_DTYPES:
        raise InputError(
            where, "pixels type", f"one of {', '.join(PIXEL_DTYPES)} (got {pixels_type})"
        )
    return dtype


def pixels_type(dtype: str) -> str:
    """The OMERO PixelsType value of a numpy dtype name (the inverse of :func:`pixels_dtype`)."""
    return next(
        (omero_type for omero_type, name in OMERO_PIXEL_TYPES.items() if name == dtype), dtype
    )


def image_from_omero(image: Any) -> OmeroImage:
    """Our ``OmeroImage`` of an ``ImageI`` loaded with its pixels and their type."""
    pixels = image.getPrimaryPixels()
    details = image.getDetails()
    return OmeroImage(
        id=id_of(image),
        name=unwrap(image.getName()) or "",
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
        size_t=int(unwrap(pixels.getSizeT())),
        size_c=int(unwrap(pixels.getSizeC())),
        size_z=int(unwrap(pixels.getSizeZ())),
        size_y=int(unwrap(pixels.getSizeY())),
        size_x=int(unwrap(pixels.getSizeX())),
        dtype=pixels_dtype(unwrap(pixels.getPixelsType().getValue()), f"Image:{id_of(image)}"),
    )


def plate_from_omero(plate: Any) -> OmeroPlate:
    """Our ``OmeroPlate`` of a ``PlateI`` loaded with its wells, well samples and images:
    wells by row and column, each well's fields in the order of their WellSamples' ids."""
    wells = []
    for well in sorted(
        plate.copyWells(), key=lambda w: (unwrap(w.getRow()), unwrap(w.getColumn()))
    ):
        samples = sorted(well.copyWellSamples(), key=id_of)
        wells.append(
            OmeroWell(
                row=int(unwrap(well.getRow())),
                column=int(unwrap(well.getColumn())),
                images=tuple(id_of(sample.getImage()) for sample in samples),
            )
        )
    details = plate.getDetails()
    return OmeroPlate(
        id=id_of(plate),
        name=unwrap(plate.getName()) or "",
        group_id=id_of(details.getGroup()),
        owner_id=id_of(details.getOwner()),
        wells=tuple(wells),
    )


def group_from_omero(group: Any) -> OmeroGroup:
    """Our ``OmeroGroup`` of an ``ExperimenterGroupI`` loaded with its member map."""
    owners = tuple(
        id_of(link.getChild())
        for link in group.copyGroupExperimenterMap()
        if unwrap(link.getOwner())
    )
    return OmeroGroup(
        id=id_of(group),
        name=unwrap(group.getName()) or "",
        permissions=str(group.getDetails().getPermissions()),
        owner_ids=owners,
    )


def user_from_event_context(context: Any) -> OmeroUser:
    """Our ``OmeroUser`` of a session's ``EventContext``."""
    return OmeroUser(
        id=int(context.userId),
        name=str(context.userName),
        group_ids=tuple(int(g) for g in context.memberOfGroups),
        default_group_id=int(context.groupId),
    )


def plane_to_bytes(plane: np.ndarray) -> bytes:
    """Pixels as the raw pixels store takes them: big-endian, row-major."""
    return np.ascontiguousarray(plane, dtype=plane.dtype.newbyteorder(">")).tobytes()


def plane_from_bytes(data: bytes, dtype: str, height: int, width: int) -> np.ndarray:
    """A (height, width) plane of native ``dtype`` from the raw pixels store's bytes."""
    big_endian = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder(">"))
    return big_endian.reshape(height, width).astype(dtype)


def tiles(height: int, width: int, tile: tuple[int, int]) -> Iterator[tuple[int, int, int, int]]:
    """``(x, y, width, height)`` of the tiles covering a plane, row by row."""
    tile_width, tile_height = tile
    for y in range(0, height, tile_height):
        for x in range(0, width, tile_width):
            yield x, y, min(tile_width, width - x), min(tile_height, height - y)


def find_query(
    kind: ObjectKind,
    namespace: str,
    conditions: Sequence[tuple[str, str]],
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
) -> tuple[str, Any]:
    """HQL and parameters for the ids of objects with one map annotation in ``namespace``
    holding every (key, value) pair: one join of the map values per pair, exact matches (so
    indexes apply), ascending ids, one page."""
    if offset < 0 or limit < 1:
        raise InputError("query", "page", "offset >= 0 and limit >= 1")
    params = ParametersI()
    params.addString("ns", namespace)
    joins = []
    clauses = ["ann.ns = :ns"]
    for index, (key, value) in enumerate(conditions):
        joins.append(f"join ann.mapValue mv{index}")
        clauses.append(f"mv{index}.name = :k{index} and mv{index}.value = :v{index}")
        params.addString(f"k{index}", key)
        params.addString(f"v{index}", value)
    params.page(offset, limit)
    query = (
        f"select distinct obj.id from {kind}AnnotationLink link"
        f" join link.parent obj join link.child ann {' '.join(joins)}"
        f" where {' and '.join(clauses)} order by obj.id"
    )
    return " ".join(query.split()), params


def linked_annotations_query(
    kind: ObjectKind, annotation_class: str, object_id: int, namespace: str | None
) -> tuple[str, Any]:
    """HQL for the annotations of one class linked to an object, oldest first."""
    params = ParametersI()
    params.addLong("id", object_id)
    fetch = "join fetch a.file" if annotation_class == "FileAnnotation" else ""
    where = "a.id in (select link.child.id from "
    where += f"{kind}AnnotationLink link where link.parent.id = :id)"
    if namespace is not None:
        where += " and a.ns = :ns"
        params.addString("ns", namespace)
    query = f"select a from {annotation_class} a {fetch} where {where} order by a.id"
    return " ".join(query.split()), params


def context(group_id: int | str) -> dict[str, str]:
    """An Ice call context running in ``group_id`` (or ``-1``: all the user's groups)."""
    return {"omero.group": str(group_id)}


@contextmanager
def server_errors(what: str) -> Iterator[None]:
    """Turn the server's refusals into our one-line errors."""
    try:
        yield
    except omero.MissingPyramidException:
        raise InputError(
            what, "pixels", "a pyramid the server has built (pyramid not ready yet, retry later)"
        ) from None
    except omero.SecurityViolation as error:
        message = str(getattr(error, "message", "") or error)
        if "MIXED GROUP" in message:
            raise MixedGroupError(what, "group", f"objects of one group ({message})") from None
        if "not a member of group" in message:
            raise OmeroPermissionError(
                what, "group", f"a group you are a member of ({message})"
            ) from None
        raise OmeroPermissionError(what, "permissions", message) from None
    except (omero.ValidationException, omero.ApiUsageException) as error:
        message = str(getattr(error, "message", "") or error)
        raise InputError(what, "value", message) from None


# -- the gateway -------------------------------------------------------------------------------


class BlitzOmeroGateway:
    """An :class:`~labelcollections.omero.gateway.OmeroGateway` on a server, via omero-py.

    Open with :meth:`connect` (user and password, or an existing session key), or on a client
    whose session is open (:meth:`from_client`, e.g. the ``omero`` command's after
    ``omero login``); close with :meth:`close` or a ``with`` block. A session the gateway
    created is killed on close; a joined one is only detached, so the web client or shell that
    created it stays logged in. Either way the client pings the server every
    :data:`KEEP_ALIVE_SECONDS`, so a long local step does not outlive the idle timeout.

    Each write is atomic as far as the server allows: a compound write (an image and its
    pixels, a file and its annotation, a table and its link) that fails part way deletes what it
    had created before raising.
    """

    def __init__(self, connection: Any, joined: bool, borrowed: bool = False) -> None:
        self._conn = connection
        self._joined = joined
        self._borrowed = borrowed
        self._pixels: tuple[int, OmeroImage, Any] | None = None

    @classmethod
    def connect(
        cls,
        host: str,
        port: int = 4064,
        username: str | None = None,
        password: str | None = None,
        session_key: str | None = None,
        client_factory: Callable[[str, int], Any] | None = None,
    ) -> BlitzOmeroGateway:
        """Log in with ``username``/``password`` or join the session ``session_key``.

        ``client_factory(host, port)`` makes the ``omero.client`` (the in-memory server's
        :meth:`~labelcollections.omero.testing.InMemoryOmero.client` in tests and demos).
        """
        source = f"omero://{host}:{port}"
        if not session_key and not (username and password):
            raise InputError(source, "login", "a user and password, or a session key")
        make = client_factory or (lambda h, p: omero.client(host=h, port=p))
        try:
            client = make(host, port)
            if session_key:
                client.joinSession(session_key)
            else:
                client.createSession(username, password)
        except (Glacier2.PermissionDeniedException, omero.ServerError, omero.ClientError):
            raise InputError(source, "login", "valid credentials or a live session key") from None
        except Ice.Exception as error:
            raise InputError(source, "connection", f"a reachable OMERO server ({error})") from None
        client.enableKeepAlive(KEEP_ALIVE_SECONDS)
        if session_key:
            client.getSession().detachOnDestroy()
        return cls(BlitzGateway(client_obj=client), joined=bool(session_key))

    @classmethod
    def from_client(cls, client: Any) -> BlitzOmeroGateway:
        """A gateway on someone else's client whose session is open (the ``omero`` command's):
        closing the gateway leaves the client and its session as they were."""
        return cls(BlitzGateway(client_obj=client), joined=True, borrowed=True)

    @property
    def session_key(self) -> str:
        """The session's key, for ``--session-key`` in later calls while the session lives:
        :meth:`close` kills a session this gateway created and leaves a joined one open."""
        return str(self._conn.c.getSessionId())

    def close(self) -> None:
        """Kill the session this gateway created, or only detach from a joined one; leave a
        borrowed client (:meth:`from_client`) open."""
        self._close_pixels()
        if not self._borrowed:
            self._conn.close(hard=not self._joined)

    def __enter__(self) -> BlitzOmeroGateway:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- who and where -------------------------------------------------------------------------

    def current_user(self) -> OmeroUser:
        return user_from_event_context(self._conn.getAdminService().getEventContext())

    def groups(self) -> list[OmeroGroup]:
        query = (
            "select distinct g from ExperimenterGroup g left outer join fetch"
            " g.groupExperimenterMap m left outer join fetch m.child where g.id in (:ids)"
            " order by g.id"
        )
        params = ParametersI()
        params.addIds(list(self.current_user().group_ids))
        found = self._query().findAllByQuery(query, params, context(ALL_GROUPS))
        return [group_from_omero(group) for group in found]

    # -- images --------------------------------------------------------------------------------

    def get_image(self, image_id: int) -> OmeroImage:
        return image_from_omero(self._image(image_id))

    def get_plate(self, plate_id: int) -> OmeroPlate:
        params = ParametersI()
        params.addId(plate_id)
        query = (
            "select distinct p from Plate p left outer join fetch p.wells w left outer join fetch"
            " w.wellSamples s left outer join fetch s.image where p.id = :id"
        )
        found = self._query().findByQuery(query, params, context(ALL_GROUPS))
        if found is None:
            raise OmeroNotFoundError(
                f"Plate:{plate_id}", "id", "an object visible in one of your groups"
            )
        return plate_from_omero(found)

    def create_image(
        self, name: str, pixels: np.ndarray, group_id: int, description: str | None = None
    ) -> OmeroImage:
        check_image_pixels(name, pixels)
        check_text(f"Image {name!r}", "name", name)
        check_text(f"Image {name!r}", "description", description or "")
        user = self.current_user()
        if group_id not in user.group_ids:
            raise OmeroPermissionError(
                f"Image {name!r}", "group", f"a group you are a member of (not {group_id})"
            )
        size_t, size_c, size_z, size_y, size_x = pixels.shape
        ctx = context(group_id)
        params = ParametersI()
        params.addString("value", pixels_type(str(pixels.dtype)))
        service = self._conn.getPixelsService()
        with server_errors(f"Image {name!r}"):
            omero_type = self._query().findByQuery(
                "from PixelsType as p where p.value = :value", params, ctx
            )
            image_id = int(
                unwrap(
                    service.createImage(
                        size_x,
                        size_y,
                        size_z,
                        size_t,
                        list(range(size_c)),
                        omero_type,
                        name,
                        description,
                        ctx,
                    )
                )
            )
        with self._deleted_on_failure("Image", image_id), server_errors(f"Image {name!r}"):
            self._write_pixels(image_id, pixels, ctx)
        dtype = str(pixels.dtype)
        return OmeroImage(
            image_id, name, group_id, user.id, size_t, size_c, size_z, size_y, size_x, dtype
        )

    def read_plane(
        self,
        image_id: int,
        z: int,
        c: int,
        t: int,
        tile: tuple[int, int, int, int] | None = None,
    ) -> np.ndarray:
        image, store = self._pixel_store(image_id)
        ctx = context(image.group_id)
        with server_errors(f"Image:{image_id}"):
            if tile is None:
                data = store.getPlane(z, c, t, ctx)
                return plane_from_bytes(data, image.dtype, image.size_y, image.size_x)
            x, y, width, height = tile
            data = store.getTile(z, c, t, x, y, width, height, ctx)
        return plane_from_bytes(data, image.dtype, height, width)

    # -- rights --------------------------------------------------------------------------------

    def can_annotate(self, kind: ObjectKind, object_id: int) -> bool:
        found = self._query().find(kind, object_id, context(ALL_GROUPS))
        return found is not None and bool(found.getDetails().getPermissions().canAnnotate())

    def can_edit_annotation(self, annotation_id: int) -> bool:
        found = self._query().find("Annotation", annotation_id, context(ALL_GROUPS))
        return found is not None and bool(found.getDetails().getPermissions().canEdit())

    # -- map annotations -----------------------------------------------------------------------

    def link_map_annotation(
        self, kind: ObjectKind, object_id: int, namespace: str, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        annotation = map_annotation_to_omero(check_text("map annotation", "ns", namespace), pairs)
        target = self._annotatable(kind, object_id)
        return map_annotation_from_omero(self._save_link(kind, target, annotation))

    def update_map_annotation(
        self, annotation_id: int, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        values = named_values(pairs)
        annotation = self._annotation("MapAnnotation", annotation_id)
        self._require_edit(annotation, f"MapAnnotation:{annotation_id}")
        annotation.setMapValue(values)
        group_id = id_of(annotation.getDetails().getGroup())
        with server_errors(f"MapAnnotation:{annotation_id}"):
            saved = self._update().saveAndReturnObject(annotation, context(group_id))
        return map_annotation_from_omero(saved)

    def link_annotation(self, kind: ObjectKind, object_id: int, annotation_id: int) -> None:
        target = self._annotatable(kind, object_id)
        annotation = self._annotation("Annotation", annotation_id)
        target_group = id_of(target.getDetails().getGroup())
        annotation_group = id_of(annotation.getDetails().getGroup())
        if annotation_group != target_group:
            raise MixedGroupError(
                f"{kind}:{object_id}",
                "group",
                f"the group of Annotation:{annotation_id} (MIXED GROUP: group {target_group}"
                f" and group {annotation_group} cannot be linked)",
            )
        query, params = linked_annotations_query(kind, "Annotation", object_id, None)
        linked = self._query().findAllByQuery(query, params, context(ALL_GROUPS))
        if annotation_id not in {id_of(a) for a in linked}:
            self._save_link(kind, target, annotation.__class__(annotation_id, False))

    def map_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[MapAnnotation]:
        self._visible(kind, object_id)
        query, params = linked_annotations_query(kind, "MapAnnotation", object_id, namespace)
        found = self._query().findAllByQuery(query, params, context(ALL_GROUPS))
        return [map_annotation_from_omero(a) for a in found]

    # -- file annotations ----------------------------------------------------------------------

    def link_file_annotation(
        self,
        kind: ObjectKind,
        object_id: int,
        namespace: str,
        name: str,
        data: bytes,
        mimetype: str = "application/json",
    ) -> FileAnnotation:
        for field, text in (("ns", namespace), ("name", name), ("mimetype", mimetype)):
            check_text(f"file {name!r}", field, text)
        target = self._annotatable(kind, object_id)
        file_id = self._upload(data, name, mimetype, id_of(target.getDetails().getGroup()))
        with self._deleted_on_failure("OriginalFile", file_id):
            saved = self._save_link(kind, target, file_annotation_to_omero(namespace, file_id))
        return linked_file(saved, name, mimetype)

    def replace_file_annotation(self, annotation_id: int, data: bytes) -> FileAnnotation:
        """New content under the same annotation id; the previous OriginalFile is deleted, so
        changed documents do not pile up on the server."""
        current = self._file_annotation(annotation_id)
        annotation = self._annotation("FileAnnotation", annotation_id, fetch="join fetch a.file")
        self._require_edit(annotation, f"FileAnnotation:{annotation_id}")
        previous = id_of(annotation.getFile())
        file_id = self._upload(data, current.name, current.mimetype, current.group_id)
        where = f"FileAnnotation:{annotation_id}"
        with self._deleted_on_failure("OriginalFile", file_id):
            annotation.setFile(OriginalFileI(file_id, False))
            with server_errors(where):
                self._update().saveObject(annotation, context(current.group_id))
            try:
                self.delete("OriginalFile", [previous])
            except BaseException:
                annotation.setFile(OriginalFileI(previous, False))
                with server_errors(where):
                    self._update().saveObject(annotation, context(current.group_id))
                raise
        return current

    def file_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[FileAnnotation]:
        self._visible(kind, object_id)
        query, params = linked_annotations_query(kind, "FileAnnotation", object_id, namespace)
        found = self._query().findAllByQuery(query, params, context(ALL_GROUPS))
        return [file_annotation_from_omero(a) for a in found]

    def read_file_annotation(self, annotation_id: int) -> bytes:
        annotation = self._annotation("FileAnnotation", annotation_id, fetch="join fetch a.file")
        original = annotation.getFile()
        size = int(unwrap(original.getSize()) or 0)
        ctx = context(id_of(annotation.getDetails().getGroup()))
        store = self._conn.c.sf.createRawFileStore()
        try:
            store.setFileId(id_of(original), ctx)
            return b"".join(
                store.read(offset, min(READ_CHUNK, size - offset), ctx)
                for offset in range(0, size, READ_CHUNK)
            )
        finally:
            store.close()

    # -- tables --------------------------------------------------------------------------------

    def link_table(
        self,
        kind: ObjectKind,
        object_id: int,
        namespace: str,
        name: str,
        table: pa.Table,
        metadata: Mapping[str, str],
    ) -> FileAnnotation:
        where = f"table {name!r}"
        check_text(where, "name", name)
        check_text(where, "ns", namespace)
        for key, value in metadata.items():
            check_text(where, key, value)
        check_table(where, table)
        target = self._annotatable(kind, object_id)
        ctx = context(id_of(target.getDetails().getGroup()))
        resources = self._conn.c.sf.sharedResources()
        with server_errors(where):
            repository = id_of(resources.repositories().descriptions[0])
            created = resources.newTable(repository, name, ctx)
        file_id: int | None = None
        try:
            with server_errors(where):
                columns = columns_of(table)
                created.initialize(columns, ctx)
                file_id = id_of(created.getOriginalFile(ctx))
                if table.num_rows:
                    created.addData(columns, ctx)
                created.setAllMetadata(metadata_of(table, metadata), ctx)
            saved = self._save_link(kind, target, file_annotation_to_omero(namespace, file_id))
        except BaseException:
            with suppress(omero.ServerError, Ice.Exception):
                file_id = file_id or id_of(created.getOriginalFile(ctx))
            if file_id is not None:
                self._delete_quietly("OriginalFile", [file_id])
            raise
        finally:
            created.close(ctx)
        return linked_file(saved, name, TABLES_MIMETYPE)

    def read_table(self, annotation_id: int) -> tuple[pa.Table, dict[str, str]]:
        annotation = self._annotation("FileAnnotation", annotation_id, fetch="join fetch a.file")
        ctx = context(id_of(annotation.getDetails().getGroup()))
        resources = self._conn.c.sf.sharedResources()
        with server_errors(f"FileAnnotation:{annotation_id}"):
            opened = resources.openTable(OriginalFileI(id_of(annotation.getFile()), False), ctx)
        try:
            headers = opened.getHeaders(ctx)
            rows = opened.getNumberOfRows(ctx)
            columns = (
                opened.read(list(range(len(headers))), 0, rows, ctx).columns if rows else headers
            )
            metadata = opened.getAllMetadata(ctx)
        finally:
            opened.close(ctx)
        return table_of(columns, metadata)

    # -- ROIs ----------------------------------------------------------------------------------

    def create_roi(
        self,
        image_id: int,
        shapes: Sequence[MaskShape | PolygonShape],
        name: str | None = None,
        external_info: ExternalInfo | None = None,
    ) -> Roi:
        texts = [name or "", *(s.text or "" for s in shapes)]
        texts += [s.points for s in shapes if isinstance(s, PolygonShape)]
        if external_info is not None:
            texts += [external_info.lsid, external_info.entity_type]
        for text in texts:
            check_text(f"Image:{image_id}", "ROI", text)
        image = self._annotatable("Image", image_id)
        roi = roi_to_omero(image_id, shapes, name, external_info)
        group_id = id_of(image.getDetails().getGroup())
        with server_errors(f"Image:{image_id}"):
            saved = self._update().saveAndReturnObject(roi, context(group_id))
        with self._deleted_on_failure("Roi", id_of(saved)):
            self._load_external_infos([saved])
        return roi_from_omero(saved, default_label=1)

    def rois(self, image_id: int) -> list[Roi]:
        self._visible("Image", image_id)
        found = self._conn.getRoiService().findByImage(image_id, None, context(ALL_GROUPS))
        ordered = sorted(found.rois, key=id_of)
        self._load_external_infos(ordered)
        return [roi_from_omero(roi, rank) for rank, roi in enumerate(ordered, start=1)]

    # -- queries -------------------------------------------------------------------------------

    def find_objects(
        self,
        kind: ObjectKind,
        namespace: str,
        conditions: Sequence[tuple[str, str]],
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        group_id: int | None = None,
    ) -> list[int]:
        query, params = find_query(kind, namespace, conditions, offset, limit)
        group = ALL_GROUPS if group_id is None else group_id
        with server_errors(f"group {group}"):
            rows = self._query().projection(query, params, context(group))
        return [int(row[0]) for row in unwrap(rows)]

    # -- deleting ------------------------------------------------------------------------------

    def delete(self, kind: str, object_ids: Sequence[int]) -> None:
        if not object_ids:
            return
        where = f"{kind}:{','.join(str(i) for i in object_ids)}"
        request = omero.cmd.Delete2(targetObjects={kind: list(object_ids)})
        with server_errors(where):
            handle = self._conn.c.sf.submit(request, context(ALL_GROUPS))
            try:
                response = None
                for _ in range(DELETE_POLLS):
                    response = handle.getResponse()
                    if response is not None:
                        break
                    time.sleep(DELETE_POLL_SECONDS)
            finally:
                handle.close()
        if response is None:
            raise InputError(where, "delete", "a deletion the server finishes in time")
        if isinstance(response, omero.cmd.ERR):
            details = ", ".join(f"{k}: {v}" for k, v in (response.parameters or {}).items())
            raise OmeroPermissionError(where, "delete", f"the right to delete ({details})")

    # -- helpers -------------------------------------------------------------------------------

    def _query(self) -> Any:
        return self._conn.getQueryService()

    def _update(self) -> Any:
        return self._conn.getUpdateService()

    def _visible(self, kind: ObjectKind, object_id: int) -> Any:
        found = self._query().find(kind, object_id, context(ALL_GROUPS))
        if found is None:
            raise OmeroNotFoundError(
                f"{kind}:{object_id}", "id", "an object visible in one of your groups"
            )
        return found

    def _annotatable(self, kind: ObjectKind, object_id: int) -> Any:
        found = self._visible(kind, object_id)
        if not found.getDetails().getPermissions().canAnnotate():
            raise OmeroPermissionError(
                f"{kind}:{object_id}",
                "permissions",
                "the ANNOTATE right (the group's permission level does not let you annotate"
                " this object)",
            )
        return found

    def _require_edit(self, annotation: Any, what: str) -> None:
        if not annotation.getDetails().getPermissions().canEdit():
            raise OmeroPermissionError(
                what, "permissions", "the WRITE right (only its owner may change it here)"
            )

    def _image(self, image_id: int) -> Any:
        params = ParametersI()
        params.addId(image_id)
        query = (
            "select i from Image i join fetch i.pixels p join fetch p.pixelsType where i.id = :id"
        )
        found = self._query().findByQuery(query, params, context(ALL_GROUPS))
        if found is None:
            raise OmeroNotFoundError(
                f"Image:{image_id}", "id", "an object visible in one of your groups"
            )
        return found

    def _pixel_store(self, image_id: int) -> tuple[OmeroImage, Any]:
        """One open RawPixelsStore for the image being read, reused for all its tiles."""
        if self._pixels is not None and self._pixels[0] == image_id:
            return self._pixels[1], self._pixels[2]
        self._close_pixels()
        loaded = self._image(image_id)
        image = image_from_omero(loaded)
        store = self._conn.c.sf.createRawPixelsStore()
        with server_errors(f"Image:{image_id}"):
            store.setPixelsId(id_of(loaded.getPrimaryPixels()), True, context(image.group_id))
        self._pixels = (image_id, image, store)
        return image, store

    def _close_pixels(self) -> None:
        if self._pixels is not None:
            store, self._pixels = self._pixels[2], None
            store.close()

    def _annotation(self, annotation_class: str, annotation_id: int, fetch: str = "") -> Any:
        params = ParametersI()
        params.addId(annotation_id)
        query = f"select a from {annotation_class} a {fetch} where a.id = :id"
        found = self._query().findByQuery(query, params, context(ALL_GROUPS))
        if found is None:
            raise OmeroNotFoundError(
                f"{annotation_class}:{annotation_id}", "id", "a visible annotation"
            )
        return found

    def _file_annotation(self, annotation_id: int) -> FileAnnotation:
        annotation = self._annotation("FileAnnotation", annotation_id, fetch="join fetch a.file")
        return file_annotation_from_omero(annotation)

    def _save_link(self, kind: ObjectKind, target: Any, annotation: Any) -> Any:
        """Save a link (and a new annotation with it) in the target's group; return the
        saved annotation."""
        link = getattr(omero.model, f"{kind}AnnotationLinkI")()
        link.setParent(target.__class__(id_of(target), False))
        link.setChild(annotation)
        group_id = id_of(target.getDetails().getGroup())
        with server_errors(f"{kind}:{id_of(target)}"):
            saved = self._update().saveAndReturnObject(link, context(group_id))
        return saved.getChild()

    def _upload(self, data: bytes, name: str, mimetype: str, group_id: int) -> int:
        """Upload ``data`` as an OriginalFile of ``group_id`` (omero-py's own upload). The
        file's path is unique, so a failed upload's file is found and deleted."""
        path = f"labelcollections/{uuid.uuid4().hex}/"
        self._conn.SERVICE_OPTS.setOmeroGroup(str(group_id))
        try:
            with server_errors(f"file {name!r}"):
                original = self._conn.createOriginalFileFromFileObj(
                    io.BytesIO(data), path, name, len(data), mimetype=mimetype
                )
        except BaseException:
            params = ParametersI()
            params.addString("path", path)
            query = "select f.id from OriginalFile f where f.path = :path"
            with suppress(omero.ServerError, Ice.Exception):
                rows = self._query().projection(query, params, context(group_id))
                self._delete_quietly("OriginalFile", [int(row[0]) for row in unwrap(rows)])
            raise
        # The wrapper's getId() is already an int (the model object's would be an rlong).
        return int(original.getId())

    @contextmanager
    def _deleted_on_failure(self, kind: str, object_id: int) -> Iterator[None]:
        """Delete what a compound write created when its next step fails."""
        try:
            yield
        except BaseException:
            self._delete_quietly(kind, [object_id])
            raise

    def _delete_quietly(self, kind: str, object_ids: Sequence[int]) -> None:
        """Clean up after a failure; the failure itself is what the caller reports."""
        with suppress(InputError, Ice.Exception):
            self.delete(kind, object_ids)

    def _load_external_infos(self, rois: Sequence[Any]) -> None:
        """findByImage leaves ExternalInfo unloaded; fetch them in one query."""
        unloaded: dict[int, list[Any]] = {}
        for roi in rois:
            for shape in roi.copyShapes():
                external = shape.getDetails().getExternalInfo()
                if external is not None and not external.isLoaded():
                    unloaded.setdefault(id_of(external), []).append(shape)
        if not unloaded:
            return
        params = ParametersI()
        params.addIds(list(unloaded))
        query = "select e from ExternalInfo e where e.id in (:ids)"
        loaded: Mapping[int, Any] = {
            id_of(e): e for e in self._query().findAllByQuery(query, params, context(ALL_GROUPS))
        }
        for external_id, shapes in unloaded.items():
            for shape in shapes:
                shape.getDetails().setExternalInfo(loaded.get(external_id))

    def _write_pixels(self, image_id: int, pixels: np.ndarray, ctx: dict[str, str]) -> None:
        """Write an image's planes tile by tile (the server builds the pyramid of planes
        larger than its maximum plane size), then its channels' ranges."""
        size_t, size_c, size_z, size_y, size_x = pixels.shape
        pixels_id = id_of(self._image(image_id).getPrimaryPixels())
        store = self._conn.c.sf.createRawPixelsStore()
        try:
            store.setPixelsId(pixels_id, True, ctx)
            tile_size = tuple(store.getTileSize(ctx))
            for t in range(size_t):
                for c in range(size_c):
                    for z in range(size_z):
                        plane = pixels[t, c, z]
                        for x, y, width, height in tiles(size_y, size_x, tile_size):
                            data = plane_to_bytes(plane[y : y + height, x : x + width])
                            store.setTile(data, z, c, t, x, y, width, height, ctx)
            store.save(ctx)
        finally:
            store.close()
        service = self._conn.getPixelsService()
        for c in range(size_c):
            channel = pixels[:, c]
            service.setChannelGlobalMinMax(
                pixels_id, c, float(channel.min()), float(channel.max()), ctx
            )
