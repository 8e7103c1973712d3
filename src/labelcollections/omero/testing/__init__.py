"""An OMERO server in memory, at the Ice service boundary, for tests and demos.

No OMERO server runs where this project is tested, so this package implements the services
omero-py calls (the session's ``ServiceFactory`` with IQuery, IUpdate, IAdmin, IContainer,
IRoi, IPixels, IConfig, ISession, RawFileStore, RawPixelsStore, OMERO.tables and ``Delete2``)
over one in-memory state of real ``omero.model`` objects, with OMERO's four permission levels
and its exceptions. omero-py's own ``BlitzGateway`` and
:class:`~labelcollections.omero.blitz.BlitzOmeroGateway` run on it unmodified::

    omero = InMemoryOmero()
    lab = omero.add_group("lab", "read-annotate")
    alice = omero.add_user("alice", [lab])
    with omero.connect(alice) as gateway:      # a BlitzOmeroGateway
        image = gateway.create_image("raw", pixels, lab.id)

It answers only the HQL it knows (:mod:`.hql`) and raises ``omero.QueryException`` on any
other, so a new query is never answered by accident. Every service call is counted
(:attr:`InMemoryOmero.calls`) and :meth:`InMemoryOmero.fail_at` makes one of them fail, to test
what a failure half-way leaves behind.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import omero
import omero.model
from omero.rtypes import rint, rstring, unwrap

from labelcollections.errors import InputError
from labelcollections.omero.blitz import BlitzOmeroGateway
from labelcollections.omero.gateway import ObjectKind, OmeroGroup, OmeroUser
from labelcollections.omero.testing.acl import LEVELS
from labelcollections.omero.testing.client import HOST, InMemoryClient
from labelcollections.omero.testing.server import LINKS, InMemoryServer, Session, snapshot_of

__all__ = ["HOST", "PASSWORD", "InMemoryClient", "InMemoryOmero", "InMemoryServer"]

PASSWORD = "omero"
"""The password of every user made with :meth:`InMemoryOmero.add_user` unless given."""


class InMemoryOmero:
    """One in-memory OMERO server, set up as an administrator would."""

    def __init__(self) -> None:
        self.server = InMemoryServer()

    # -- what an administrator does ------------------------------------------------------------

    def add_group(self, name: str, level: str = "read-annotate") -> OmeroGroup:
        """A group with one of the four permission levels or its permission string."""
        permissions = LEVELS.get(level, level)
        if permissions not in LEVELS.values():
            raise InputError("group", "permissions", f"one of {', '.join(LEVELS)}")
        group = self.server.add_group(name, permissions)
        return OmeroGroup(unwrap(group.getId()), name, permissions)

    def add_user(
        self,
        name: str,
        groups: Sequence[OmeroGroup],
        owner_of: Sequence[OmeroGroup] = (),
        password: str = PASSWORD,
        admin: bool = False,
    ) -> OmeroUser:
        """A user who is a member of ``groups`` (the first is the default) and an owner
        (leader) of ``owner_of``."""
        member_of = [g.id for g in groups]
        user_id = self.server.add_user(name, password, member_of, [g.id for g in owner_of], admin)
        return OmeroUser(user_id, name, tuple(member_of), member_of[0])

    def client(self, host: str = HOST, port: int = 4064) -> InMemoryClient:
        """A new ``omero.client`` of this server (``client_factory`` of the gateway)."""
        return InMemoryClient(self.server, port)

    def connect(self, user: OmeroUser, password: str = PASSWORD) -> BlitzOmeroGateway:
        """A gateway logged in as ``user``, through omero-py's ``BlitzGateway``."""
        return BlitzOmeroGateway.connect(
            HOST, username=user.name, password=password, client_factory=self.client
        )

    def add_plate(
        self,
        owner: OmeroUser,
        group: OmeroGroup,
        name: str,
        wells: Mapping[tuple[int, int], Sequence[int]],
    ) -> int:
        """A Screen with one Plate whose Wells (by 0-based row and column) hold WellSamples of
        the given Images, in field order, owned by ``owner`` in ``group`` (as an import makes
        them); returns the Plate's id."""
        server = self.server
        session = Session(f"import-{name}", owner.id, group.id)
        screen = omero.model.ScreenI()
        screen.setName(rstring(name))
        plate = omero.model.PlateI()
        plate.setName(rstring(name))
        server.own(session, screen, group.id)
        plate_id = server.own(session, plate, group.id)
        link = omero.model.ScreenPlateLinkI()
        link.setParent(omero.model.ScreenI(unwrap(screen.getId()), False))
        link.setChild(omero.model.PlateI(plate_id, False))
        server.own(session, link, group.id)
        for (row, column), images in sorted(wells.items()):
            well = omero.model.WellI()
            well.setRow(rint(row))
            well.setColumn(rint(column))
            well.setPlate(omero.model.PlateI(plate_id, False))
            server.own(session, well, group.id)
            for image_id in images:
                sample = omero.model.WellSampleI()
                sample.setImage(server.objects[image_id])
                sample.setWell(omero.model.WellI(unwrap(well.getId()), False))
                server.own(session, sample, group.id)
                well.addWellSample(sample)
            plate.addWell(well)
        return plate_id

    def move_to_group(self, kind: ObjectKind, object_id: int, group: OmeroGroup) -> None:
        """Move an object with its annotations and links to another group (``chgrp``)."""
        moved = [self.server.objects[object_id]]
        for cls in LINKS:
            for link in self.server.links(cls):
                if unwrap(link.getParent().getId()) == object_id:
                    moved += [link, self.server.objects[unwrap(link.getChild().getId())]]
        if isinstance(moved[0], omero.model.ImageI):
            moved += [self.server.objects[unwrap(p.getId())] for p in moved[0].copyPixels()]
        for obj in moved:
            obj.getDetails().setGroup(omero.model.ExperimenterGroupI(group.id, False))
            obj.getDetails().setPermissions(omero.model.PermissionsI(group.permissions))

    def edit_map_annotation(self, annotation_id: int, pairs: Sequence[tuple[str, str]]) -> None:
        """Change an annotation's pairs behind everybody's back (as an administrator)."""
        values = [omero.model.NamedValue(k, v) for k, v in pairs]
        self.server.objects[annotation_id].setMapValue(values)

    def edit_file_annotation(self, annotation_id: int, data: bytes) -> None:
        """Change a file annotation's content behind everybody's back."""
        annotation = self.server.objects[annotation_id]
        self.server.files[unwrap(annotation.getFile().getId())] = bytes(data)

    def unlink(self, kind: ObjectKind, object_id: int, annotation_id: int) -> None:
        """Remove one annotation link (a user deleting it in OMERO.web)."""
        for link in list(self.server.links(f"{kind}AnnotationLinkI")):
            parent, child = unwrap(link.getParent().getId()), unwrap(link.getChild().getId())
            if (parent, child) == (object_id, annotation_id):
                self.server.delete(unwrap(link.getId()))

    def set_pixels_type(self, image_id: int, value: str) -> None:
        """Give an image a pixels type labelcollections does not read (``bit``, ``complex``)."""
        image = self.server.objects[image_id]
        image.getPrimaryPixels().setPixelsType(self.server.pixels_types[value])

    def hold_pyramids(self, held: bool = True) -> None:
        """Leave the pyramids of big images unbuilt (reads raise MissingPyramidException)."""
        self.server.pyramids_wait = held

    # -- what tests look at --------------------------------------------------------------------

    @property
    def calls(self) -> list[str]:
        """Every service call so far, as ``Service.method``."""
        return self.server.calls

    def fail_at(self, call: int) -> None:
        """Make the ``call``-th service call from now fail (once, ``InternalException``)."""
        self.server.fail_at = len(self.server.calls) + call

    def checkpoint(self) -> InMemoryServer:
        """A copy of the whole server state, to :meth:`restore` later."""
        return copy.deepcopy(self.server)

    def restore(self, checkpoint: InMemoryServer) -> None:
        """Go back to a checkpoint; sessions opened since are gone, so connect again."""
        self.server = copy.deepcopy(checkpoint)

    def visible_state(self) -> dict[str, Any]:
        """What users can see, without the ids of OriginalFiles (a restored file annotation
        keeps its id and content, not its file): every object with its fields and links, file
        and table contents, and the files no annotation holds (which should be none)."""
        server = self.server
        files = {
            unwrap(obj.getFile().getId())
            for obj in server.objects.values()
            if isinstance(obj, omero.model.FileAnnotationI)
        }
        state: dict[int, Any] = {}
        for object_id, obj in server.objects.items():
            if isinstance(obj, omero.model.OriginalFileI):
                continue
            text = _without_file(snapshot_of(obj))
            if isinstance(obj, omero.model.FileAnnotationI):
                file_id = unwrap(obj.getFile().getId())
                content = server.files.get(file_id)
                text += repr((unwrap(server.objects[file_id].getName()), content))
                text += repr(server.tables.get(file_id))
            state[object_id] = text
        orphans = sorted(
            unwrap(obj.getName())
            for i, obj in server.objects.items()
            if isinstance(obj, omero.model.OriginalFileI) and i not in files
        )
        pixels = {i: p.data.tobytes() for i, p in server.pixels.items()}
        return {"objects": state, "orphan files": orphans, "pixels": pixels}


def _without_file(text: str) -> str:
    """An object's state text without the id of the OriginalFile it points at."""
    start = text.find("('OriginalFileI', ")
    if start < 0:
        return text
    end = text.index(")", start)
    return text[:start] + "('OriginalFileI', ?" + text[end:]
