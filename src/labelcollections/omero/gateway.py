"""The OMERO port: the few server operations label collections need, and what crosses them.

Use cases talk to an :class:`OmeroGateway`; ``blitz.py`` implements it with omero-py (the one
implementation), and tests run it on the in-memory OMERO of :mod:`labelcollections.omero.testing`.
Everything crossing the port is a plain frozen dataclass, never an omero-py object, so the use
cases import no omero-py.

OMERO rules the server keeps and the adapter reports as our errors (see docs/omero.md):

* every object, annotation and link has an owner and lives in exactly one group;
* linking objects of different groups is refused (``MIXED GROUP``, :class:`MixedGroupError`);
* linking an annotation or a ROI needs the ANNOTATE right: owners may always annotate their own
  objects; other members only in read-annotate (``rwra--``) and read-write (``rwrw--``) groups;
  in read-only (``rwr---``) groups only the group's owners (leaders); in private (``rw----``)
  groups nobody but the owner (:class:`OmeroPermissionError`);
* map annotation values are strings, keys repeat and keep their order;
* queries page, with OMERO's default limit of :data:`DEFAULT_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import pyarrow as pa

from labelcollections.errors import InputError, NotFoundError
from labelcollections.omero.masks import MaskShape
from labelcollections.omero.polygons import PolygonShape

__all__ = [
    "DEFAULT_LIMIT",
    "PERMISSION_LEVELS",
    "PIXEL_DTYPES",
    "ExternalInfo",
    "FileAnnotation",
    "MapAnnotation",
    "MaskShape",
    "MixedGroupError",
    "ObjectKind",
    "OmeroGateway",
    "OmeroGroup",
    "OmeroImage",
    "OmeroNotFoundError",
    "OmeroPermissionError",
    "OmeroPlate",
    "OmeroUser",
    "OmeroWell",
    "Roi",
    "check_table",
    "check_text",
    "checked_pairs",
]

DEFAULT_LIMIT = 500
"""OMERO's default page size for queries (``getObjectsByMapAnnotations``, HQL paging)."""

PIXEL_DTYPES: tuple[str, ...] = (
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "float32",
    "float64",
)
"""The numpy types of OMERO's PixelsType (no 64-bit integers, no booleans)."""


def check_image_pixels(name: str, pixels: np.ndarray) -> None:
    """What OMERO accepts as an Image's pixels: 5-D (t, c, z, y, x) of one of its pixel types."""
    if pixels.ndim != 5:
        raise InputError(name, "pixels", f"a 5-D array (t, c, z, y, x) (got {pixels.ndim}-D)")
    if str(pixels.dtype) not in PIXEL_DTYPES:
        raise InputError(name, "dtype", f"one of {', '.join(PIXEL_DTYPES)} (got {pixels.dtype})")


def check_text(where: str, field: str, text: str) -> str:
    """Text as OMERO can store it: no U+0000 (PostgreSQL refuses it) and no lone surrogate
    (IcePy cannot encode it and fails with a ``SystemError``)."""
    if "\0" in text:
        raise InputError(where, field, "text without U+0000 (NUL)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(where, field, "text without lone surrogates (not valid UTF-8)") from None
    return text


def check_table(where: str, table: pa.Table) -> None:
    """Refuse what OMERO.tables cannot hold: nested or binary columns, text OMERO cannot
    store."""
    for column_field, column in zip(table.schema, table.columns, strict=True):
        kind = column_field.type
        name = check_text(where, "column name", column_field.name)
        supported = (
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
        )
        if not supported:
            raise InputError(where, name, f"integers, floats, booleans or text (got {kind})")
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            for text in column.drop_null().to_pylist():
                check_text(where, name, str(text))


def checked_pairs(pairs: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Pairs as OMERO stores them: strings only, each checked by :func:`check_text`."""
    checked = []
    for key, value in pairs:
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"map annotation keys and values are strings (got {key!r}: {value!r})")
        shown = key.replace("\0", "\\0").encode("utf-8", "backslashreplace").decode()
        check_text("map annotation", shown, key)
        check_text("map annotation", shown, value)
        checked.append((key, value))
    return tuple(checked)


PERMISSION_LEVELS: dict[str, str] = {
    "private": "rw----",
    "read-only": "rwr---",
    "read-annotate": "rwra--",
    "read-write": "rwrw--",
}
"""OMERO's four group permission levels and their permission strings."""

ObjectKind = Literal["Image", "Roi", "Plate"]
"""The OMERO object types annotations are linked to here."""


class OmeroPermissionError(InputError):
    """The user lacks the right an operation needs (ANNOTATE, WRITE, or even READ)."""


class MixedGroupError(InputError):
    """Two objects of different groups would be linked; OMERO refuses with ``MIXED GROUP``."""


class OmeroNotFoundError(NotFoundError):
    """No object with that id is visible to the user in any of their groups."""


@dataclass(frozen=True)
class OmeroUser:
    """The user a gateway acts as, with the groups they are a member of."""

    id: int
    name: str
    group_ids: tuple[int, ...]
    default_group_id: int


@dataclass(frozen=True)
class OmeroGroup:
    """A group: its permission string (see :data:`PERMISSION_LEVELS`) and its owners."""

    id: int
    name: str
    permissions: str
    owner_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OmeroImage:
    """An OMERO Image: where it lives, who owns it and the size of its pixels (5-D, TCZYX)."""

    id: int
    name: str
    group_id: int
    owner_id: int
    size_t: int
    size_c: int
    size_z: int
    size_y: int
    size_x: int
    dtype: str

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """``(t, c, z, y, x)``, NGFF's axis order."""
        return (self.size_t, self.size_c, self.size_z, self.size_y, self.size_x)


@dataclass(frozen=True)
class OmeroWell:
    """A well of an OMERO Plate: its row and column (0-based, as OMERO numbers them) and the
    Images of its WellSamples, in order (the fields)."""

    row: int
    column: int
    images: tuple[int, ...]


@dataclass(frozen=True)
class OmeroPlate:
    """An OMERO Plate (of a Screen) with its Wells; fields are Images of WellSamples."""

    id: int
    name: str
    group_id: int
    owner_id: int
    wells: tuple[OmeroWell, ...]

    def image_at(self, row: int, column: int, field: int) -> int | None:
        """The Image of a field, by its well's row and column index and its index there."""
        for well in self.wells:
            if (well.row, well.column) == (row, column) and field < len(well.images):
                return well.images[field]
        return None


@dataclass(frozen=True)
class MapAnnotation:
    """A namespaced map annotation: ordered string pairs, keys may repeat."""

    id: int
    namespace: str
    pairs: tuple[tuple[str, str], ...]
    group_id: int
    owner_id: int


@dataclass(frozen=True)
class FileAnnotation:
    """A namespaced file annotation (its bytes are read with ``read_file_annotation``)."""

    id: int
    namespace: str
    name: str
    mimetype: str
    group_id: int
    owner_id: int


@dataclass(frozen=True)
class ExternalInfo:
    """``details.externalInfo`` of an OMERO object: where its data really lives.

    omero-label marks a Mask backed by an OME-Zarr label with ``entity_type``
    ``com.glencoesoftware.ngff:multiscales``, ``entity_id`` 3 (a percent-encoded URI) and the
    URI in ``lsid``.
    """

    entity_type: str
    entity_id: int
    lsid: str


@dataclass(frozen=True)
class Roi:
    """A ROI of an image with its Mask and Polygon shapes (other kinds are left out);
    ``external_info`` is that of its Masks."""

    id: int
    image_id: int
    name: str | None
    masks: tuple[MaskShape, ...]
    group_id: int
    owner_id: int
    external_info: ExternalInfo | None = None
    polygons: tuple[PolygonShape, ...] = ()


class OmeroGateway(Protocol):
    """What the label-collection use cases need from an OMERO server, and nothing more."""

    def current_user(self) -> OmeroUser:
        """The user the session belongs to."""
        ...

    def groups(self) -> list[OmeroGroup]:
        """The groups the current user is a member of (the scope of cross-group queries)."""
        ...

    def get_image(self, image_id: int) -> OmeroImage:
        """An image in any of the user's groups, with its group and owner.

        Raises :class:`OmeroNotFoundError` when no such image is visible: in a private group
        other members' images are invisible, as on a server.
        """
        ...

    def get_plate(self, plate_id: int) -> OmeroPlate:
        """A Plate in any of the user's groups with its Wells and their fields' Images
        (:class:`OmeroNotFoundError` when no such plate is visible)."""
        ...

    def create_image(
        self, name: str, pixels: np.ndarray, group_id: int, description: str | None = None
    ) -> OmeroImage:
        """A new Image in ``group_id`` holding ``pixels`` (5-D, TCZYX, one of PIXEL_DTYPES).

        New objects need a concrete group (never ``-1``); the user must be a member of it.
        Planes larger than the server's maximum plane size are written in tiles, and the server
        builds the pyramid for them.
        """
        ...

    def read_plane(
        self,
        image_id: int,
        z: int,
        c: int,
        t: int,
        tile: tuple[int, int, int, int] | None = None,
    ) -> np.ndarray:
        """One plane (Y, X) of an image, or the tile ``(x, y, width, height)`` of it."""
        ...

    def can_annotate(self, kind: ObjectKind, object_id: int) -> bool:
        """Whether the user holds ANNOTATE on the object (``details.permissions.canAnnotate``),
        so use cases can refuse before they write anything."""
        ...

    def can_edit_annotation(self, annotation_id: int) -> bool:
        """Whether the user may change an annotation (``canEdit``): its owner, a read-write
        group's members, or the group's owners."""
        ...

    def link_map_annotation(
        self, kind: ObjectKind, object_id: int, namespace: str, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        """Create a map annotation in the object's group and link it to the object.

        Needs ANNOTATE on the object. Values must be strings; PostgreSQL refuses U+0000 in text.
        """
        ...

    def update_map_annotation(
        self, annotation_id: int, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        """Replace the pairs of an existing map annotation, keeping its id and links.

        Editing an annotation needs WRITE on it: its owner, or a read-write group's member.
        """
        ...

    def link_annotation(self, kind: ObjectKind, object_id: int, annotation_id: int) -> None:
        """Link an existing annotation to one more object (no-op if already linked).

        Needs ANNOTATE on the object; an annotation of another group is refused with
        :class:`MixedGroupError`, as the server does.
        """
        ...

    def map_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[MapAnnotation]:
        """Map annotations linked to an object (in ``namespace`` if given), oldest first."""
        ...

    def link_file_annotation(
        self,
        kind: ObjectKind,
        object_id: int,
        namespace: str,
        name: str,
        data: bytes,
        mimetype: str = "application/json",
    ) -> FileAnnotation:
        """Upload ``data`` as an OriginalFile and link it as a file annotation (ANNOTATE)."""
        ...

    def replace_file_annotation(self, annotation_id: int, data: bytes) -> FileAnnotation:
        """Give an existing file annotation new content, keeping its id (WRITE on it)."""
        ...

    def file_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[FileAnnotation]:
        """File annotations linked to an object (in ``namespace`` if given), oldest first."""
        ...

    def link_table(
        self,
        kind: ObjectKind,
        object_id: int,
        namespace: str,
        name: str,
        table: pa.Table,
        metadata: Mapping[str, str],
    ) -> FileAnnotation:
        """Write ``table`` as an OMERO.table in the object's group and link it as a file
        annotation (ANNOTATE); ``metadata`` is kept with it. Columns are integers, floats,
        booleans or text; their arrow types and missing values come back on reading."""
        ...

    def read_table(self, annotation_id: int) -> tuple[pa.Table, dict[str, str]]:
        """The table a file annotation holds (as :meth:`link_table` wrote it), and its
        metadata."""
        ...

    def delete(self, kind: str, object_ids: Sequence[int]) -> None:
        """Delete objects (``Image``, ``Roi``, ``Annotation``, ``OriginalFile``) with what
        hangs on them: links, shapes, annotations no longer linked, files. Needs the right to
        delete each; nothing is deleted when one is refused."""
        ...

    def read_file_annotation(self, annotation_id: int) -> bytes:
        """The content of a file annotation."""
        ...

    def create_roi(
        self,
        image_id: int,
        shapes: Sequence[MaskShape | PolygonShape],
        name: str | None = None,
        external_info: ExternalInfo | None = None,
    ) -> Roi:
        """A ROI on the image, in the image's group, holding ``shapes`` (Masks and Polygons;
        ANNOTATE on the image). Each shape's label value, and whether a Polygon is a hole,
        come back from :meth:`rois`.

        ``external_info`` is set on every Mask (omero-label: one ROI with one Mask).
        """
        ...

    def rois(self, image_id: int) -> list[Roi]:
        """The ROIs of an image, oldest first."""
        ...

    def find_objects(
        self,
        kind: ObjectKind,
        namespace: str,
        conditions: Sequence[tuple[str, str]],
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        group_id: int | None = None,
    ) -> list[int]:
        """Ids (ascending) of objects with one map annotation in ``namespace`` holding every pair.

        Runs across all the user's groups (``omero.group = -1``) unless ``group_id`` is given,
        and returns one page: ``offset`` and ``limit`` as in OMERO's ``ParametersI.page``.
        """
        ...
