"""The state of the in-memory OMERO: users, groups, sessions, model objects, pixels and files.

It holds real ``omero.model`` objects with ids and details (owner, group, permissions), and
keeps the server's rules when they are saved or deleted: new objects need a concrete group
the user is a member of, links need the ANNOTATE right on their parent and objects of one
group (``MIXED GROUP``), changes need the WRITE right, PostgreSQL refuses U+0000 in text.
Everything a client sees is a copy whose ``details.permissions`` carry the restrictions
``BasicACLVoter`` computes for the calling user (:mod:`.acl`).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import Glacier2
import numpy as np
import omero
import omero.model
from omero.rtypes import rlong, rstring, rtime, unwrap

from labelcollections.omero.testing.acl import Actor, can_annotate, can_read, restrictions

__all__ = ["PIXELS_TYPES", "InMemoryServer", "Session", "StoredPixels", "clone", "is_a"]

PIXELS_TYPES = (
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "float",
    "double",
    "bit",
    "complex",
    "double-complex",
)
"""OMERO's PixelsType enumeration."""

LINKS = {
    "ImageAnnotationLinkI": "ImageI",
    "RoiAnnotationLinkI": "RoiI",
    "PlateAnnotationLinkI": "PlateI",
}
"""Annotation link classes and the class of their parent."""
TEXT_FIELDS = (
    "_name",
    "_ns",
    "_description",
    "_textValue",
    "_points",
    "_path",
    "_mimetype",
    "_lsid",
)
"""Fields of the model objects whose text the server stores (checked for U+0000)."""


@dataclass
class Session:
    """A login: its user, the group its calls run in, and whether it is alive."""

    uuid: str
    user_id: int
    group_id: int
    alive: bool = True
    keep_alives: int = 0


@dataclass
class StoredPixels:
    """The pixel data behind a Pixels object (TCZYX), and whether its pyramid is built."""

    data: np.ndarray
    pyramid_ready: bool = True


@dataclass
class _User:
    id: int
    name: str
    password: str
    default_group: int
    member_of: list[int]
    leader_of: list[int] = field(default_factory=list)
    admin: bool = False


class InMemoryServer:
    """One OMERO server's state. Use :class:`~labelcollections.omero.testing.InMemoryOmero`."""

    def __init__(self) -> None:
        self._ids: Iterator[int] = count(1)
        self.users: dict[int, _User] = {}
        self.groups: dict[int, Any] = {}
        self.sessions: dict[str, Session] = {}
        self.objects: dict[int, Any] = {}
        self.linked: dict[int, set[int]] = {}
        """Ids of the annotation links of each parent and child, for fast lookups."""
        self.pixels: dict[int, StoredPixels] = {}
        self.files: dict[int, bytes] = {}
        self.tables: dict[int, Any] = {}
        self.config = {
            "omero.pixeldata.max_plane_width": "3192",
            "omero.pixeldata.max_plane_height": "3192",
            "omero.pixeldata.tile_width": "256",
            "omero.pixeldata.tile_height": "256",
        }
        self.pyramids_wait = False
        self.calls: list[str] = []
        self.fail_at: int | None = None

        self.pixels_types = {}
        for value in PIXELS_TYPES:
            enum = omero.model.PixelsTypeI(self.new_id(), True)
            enum.setValue(rstring(value))
            self.pixels_types[value] = enum

    def new_id(self) -> int:
        return next(self._ids)

    # -- calls ---------------------------------------------------------------------------------

    def call(self, name: str) -> None:
        """Count a service call, failing it when it is the one a test chose."""
        self.calls.append(name)
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            self.fail_at = None
            raise omero.InternalException(None, None, f"injected failure in {name}")

    # -- users, groups and sessions ------------------------------------------------------------

    def add_group(self, name: str, permissions: str) -> Any:
        group = omero.model.ExperimenterGroupI(self.new_id(), True)
        group.setName(rstring(name))
        group.getDetails().setPermissions(omero.model.PermissionsI(permissions))
        self.groups[unwrap(group.getId())] = group
        return group

    def add_user(
        self, name: str, password: str, groups: list[int], leader_of: list[int], admin: bool
    ) -> int:
        user = _User(self.new_id(), name, password, groups[0], list(groups), list(leader_of), admin)
        self.users[user.id] = user
        return user.id

    def login(self, name: str, password: str) -> Session:
        for user in self.users.values():
            if user.name == name and user.password == password:
                session = Session(str(uuid.uuid4()), user.id, user.default_group)
                self.sessions[session.uuid] = session
                return session
        raise Glacier2.PermissionDeniedException(f"Password check failed for {name!r}")

    def session(self, key: str) -> Session:
        session = self.sessions.get(key)
        if session is None or not session.alive:
            raise omero.RemovedSessionException(None, None, f"session {key} does not exist")
        return session

    def actor(self, session: Session) -> Actor:
        user = self.users[session.user_id]
        return Actor(user.id, frozenset(user.member_of), frozenset(user.leader_of), user.admin)

    def experimenter(self, user_id: int) -> Any:
        user = self.users[user_id]
        experimenter = omero.model.ExperimenterI(user.id, True)
        experimenter.setOmeName(rstring(user.name))
        return experimenter

    def group_level(self, group_id: int) -> str:
        return str(self.groups[group_id].getDetails().getPermissions())

    def event_context(self, session: Session) -> Any:
        user = self.users[session.user_id]
        group = self.groups[session.group_id]
        return omero.sys.EventContext(
            sessionUuid=session.uuid,
            userId=user.id,
            userName=user.name,
            groupId=session.group_id,
            groupName=unwrap(group.getName()),
            isAdmin=user.admin,
            memberOfGroups=list(user.member_of),
            leaderOfGroups=list(user.leader_of),
            groupPermissions=omero.model.PermissionsI(self.group_level(session.group_id)),
            adminPrivileges=[],
        )

    def session_object(self, session: Session) -> Any:
        found = omero.model.SessionI(self.new_id(), True)
        found.setUuid(rstring(session.uuid))
        found.setTimeToIdle(rlong(600_000))
        found.setTimeToLive(rlong(0))
        found.setStarted(rtime(0))
        found.setOwner(omero.model.ExperimenterI(session.user_id, False))
        return found

    # -- reading -------------------------------------------------------------------------------

    def read_groups(self, session: Session, ctx: dict[str, str] | None) -> frozenset[int]:
        """The groups a call reads from: ``omero.group`` of its context, or the session's."""
        wanted = (ctx or {}).get("omero.group", str(session.group_id))
        user = self.users[session.user_id]
        if wanted == "-1":
            return frozenset(user.member_of if not user.admin else self.groups)
        group_id = int(wanted)
        if group_id not in user.member_of and not user.admin:
            raise omero.SecurityViolation(
                None, None, f"Current user is not a member of group {group_id}"
            )
        return frozenset({group_id})

    def visible(self, session: Session, obj: Any, groups: frozenset[int] | None = None) -> bool:
        details = obj.getDetails()
        group_id = unwrap(details.getGroup().getId())
        if groups is not None and group_id not in groups:
            return False
        owner_id = unwrap(details.getOwner().getId())
        return can_read(self.actor(session), owner_id, group_id, self.group_level(group_id))

    def stored(self, session: Session, cls: str, object_id: int) -> Any:
        """A stored object the user may read (``SecurityViolation`` or ``ApiUsageException``
        as the server's ``get`` raises)."""
        found = self.objects.get(object_id)
        if found is None or not is_a(found, cls):
            raise omero.ApiUsageException(None, None, f"No row with the given identifier: {cls}")
        if not self.visible(session, found):
            raise omero.SecurityViolation(None, None, f"Cannot read {cls}:Id_{object_id}")
        return found

    def view(self, session: Session, obj: Any) -> Any:
        """What a client receives: a copy with the caller's permission restrictions."""
        copied = clone(obj)
        for part in _graph(copied):
            self.restrict(session, part)
        return copied

    def restrict(self, session: Session, obj: Any) -> None:
        if not obj.isLoaded() or obj.getDetails() is None:
            return
        details = obj.getDetails()
        if details.getGroup() is None:
            return
        group_id = unwrap(details.getGroup().getId())
        owner_id = unwrap(details.getOwner().getId())
        permissions = omero.model.PermissionsI(self.group_level(group_id))
        permissions._restrictions = restrictions(
            self.actor(session), owner_id, group_id, self.group_level(group_id)
        )
        details.setPermissions(permissions)

    def all_of(self, session: Session, cls: str, groups: frozenset[int]) -> list[Any]:
        """Every object of a class the user may read in ``groups``, by id."""
        return [
            obj
            for object_id, obj in sorted(self.objects.items())
            if is_a(obj, cls) and self.visible(session, obj, groups)
        ]

    def links(self, cls: str, end: int | None = None) -> Iterator[Any]:
        """Annotation links of a class (to or from object ``end`` if given)."""
        ids = self.linked.get(end, set()) if end is not None else list(self.objects)
        found = (self.objects.get(i) for i in sorted(ids))
        return (obj for obj in found if type(obj).__name__ == cls)

    # -- writing -------------------------------------------------------------------------------

    def write_group(self, session: Session, ctx: dict[str, str] | None) -> int:
        """The group new objects go to: a concrete one the user is a member of."""
        wanted = (ctx or {}).get("omero.group", str(session.group_id))
        if wanted == "-1":
            raise omero.SecurityViolation(
                None, None, "Cannot create objects with omero.group=-1; name a group"
            )
        group_id = int(wanted)
        if group_id not in self.users[session.user_id].member_of:
            raise omero.SecurityViolation(
                None, None, f"Current user is not a member of group {group_id}"
            )
        return group_id

    def own(self, session: Session, obj: Any, group_id: int) -> int:
        """Give a new object an id, its owner and group; store it."""
        object_id = self.new_id()
        obj.setId(rlong(object_id))
        details = obj.getDetails()
        details.setOwner(omero.model.ExperimenterI(session.user_id, False))
        details.setGroup(omero.model.ExperimenterGroupI(group_id, False))
        details.setPermissions(omero.model.PermissionsI(self.group_level(group_id)))
        self.objects[object_id] = obj
        if type(obj).__name__ in LINKS:
            for end in (obj.getParent(), obj.getChild()):
                self.linked.setdefault(unwrap(end.getId()), set()).add(object_id)
        return object_id

    def require_annotate(self, session: Session, target: Any) -> None:
        details = target.getDetails()
        group_id = unwrap(details.getGroup().getId())
        owner_id = unwrap(details.getOwner().getId())
        if not can_annotate(self.actor(session), owner_id, group_id, self.group_level(group_id)):
            name = type(target).__name__.removesuffix("I")
            raise omero.SecurityViolation(
                None,
                None,
                f"Cannot annotate {name}:Id_{unwrap(target.getId())} (group {group_id} is "
                f"{self.group_level(group_id)})",
            )

    def require_edit(self, session: Session, target: Any) -> None:
        self.restrict(session, probe := copy.copy(target))
        if not probe.getDetails().getPermissions().canEdit():
            name = type(target).__name__.removesuffix("I")
            raise omero.SecurityViolation(
                None, None, f"Cannot update {name}:Id_{unwrap(target.getId())}"
            )

    @staticmethod
    def require_same_group(objects: list[Any], group_id: int) -> None:
        for obj in objects:
            other = unwrap(obj.getDetails().getGroup().getId())
            if other != group_id:
                names = " and ".join(
                    f"{type(o).__name__.removesuffix('I')}:Id_{unwrap(o.getId())}" for o in objects
                )
                raise omero.GroupSecurityViolation(
                    None,
                    None,
                    f"MIXED GROUP: {names} cannot be linked (groups {group_id}, {other})",
                )

    @staticmethod
    def check_text(obj: Any) -> None:
        """PostgreSQL refuses U+0000 in text columns."""
        texts = [unwrap(getattr(obj, name, None)) for name in TEXT_FIELDS]
        for value in getattr(obj, "_mapValue", None) or ():
            texts.extend((value.name, value.value))
        if any(isinstance(text, str) and "\0" in text for text in texts):
            raise omero.InternalException(
                None, None, 'ERROR: invalid byte sequence for encoding "UTF8": 0x00'
            )

    def delete(self, object_id: int) -> list[int]:
        """Delete an object with what hangs on it (links, shapes, orphaned annotations and
        files), as ``Delete2`` does; return the ids deleted."""
        obj = self.objects.pop(object_id, None)
        if obj is None:
            return []
        deleted = [object_id]
        if type(obj).__name__ in LINKS:
            for end in (obj.getParent(), obj.getChild()):
                self.linked.get(unwrap(end.getId()), set()).discard(object_id)
        for link in [link for cls in LINKS for link in self.links(cls, object_id)]:
            parent, child = unwrap(link.getParent().getId()), unwrap(link.getChild().getId())
            if object_id in (parent, child):
                deleted += self.delete(unwrap(link.getId()))
                if parent == object_id and not self._linked(child):
                    deleted += self.delete(child)
        if isinstance(obj, omero.model.ImageI):
            pixels_id = unwrap(obj.getPrimaryPixels().getId())
            self.pixels.pop(pixels_id, None)
            self.objects.pop(pixels_id, None)
            for roi in [r for r in self.objects.values() if isinstance(r, omero.model.RoiI)]:
                if unwrap(roi.getImage().getId()) == object_id:
                    deleted += self.delete(unwrap(roi.getId()))
        if isinstance(obj, omero.model.RoiI):
            for shape in obj.copyShapes():
                info = shape.getDetails().getExternalInfo()
                for part in (shape, info):
                    if part is not None:
                        deleted += self.delete(unwrap(part.getId()))
        if isinstance(obj, omero.model.FileAnnotationI) and obj.getFile() is not None:
            deleted += self.delete(unwrap(obj.getFile().getId()))
        if isinstance(obj, omero.model.OriginalFileI):
            self.files.pop(object_id, None)
            self.tables.pop(object_id, None)
            users = [
                a
                for a in self.objects.values()
                if isinstance(a, omero.model.FileAnnotationI)
                and unwrap(a.getFile().getId()) == object_id
            ]
            for annotation in users:
                deleted += self.delete(unwrap(annotation.getId()))
        return deleted

    def _linked(self, annotation_id: int) -> bool:
        return any(True for cls in LINKS for _ in self.links(cls, annotation_id))


COPIED = (
    omero.model.IObject,
    omero.model.Details,
    omero.model.Permissions,
    omero.model.NamedValue,
)
"""What a copy of a model graph copies; rtypes are immutable and shared."""


def clone(obj: Any, memo: dict[int, Any] | None = None) -> Any:
    """A copy of a model object graph that a client may change without touching the server's
    (``copy.deepcopy`` would also copy every rtype, ten times slower)."""
    memo = {} if memo is None else memo
    if id(obj) in memo:
        return memo[id(obj)]
    copied = copy.copy(obj)
    memo[id(obj)] = copied
    for name, value in vars(copied).items():
        if isinstance(value, list):
            setattr(copied, name, [clone(v, memo) if isinstance(v, COPIED) else v for v in value])
        elif isinstance(value, COPIED):
            setattr(copied, name, clone(value, memo))
    return copied


def is_a(obj: Any, cls: str) -> bool:
    """Whether ``obj`` is an instance of the model class named in a query (``Annotation``
    matches every annotation class, as HQL's polymorphic queries do)."""
    model = getattr(omero.model, cls, None)
    return model is not None and isinstance(obj, model)


def _graph(obj: Any) -> Iterator[Any]:
    """The model objects reachable from ``obj`` that carry details."""
    yield obj
    for name in ("_pixelsSeq", "_shapesSeq", "_wellsSeq", "_wellSamplesSeq"):
        for child in getattr(obj, name, None) or ():
            yield from _graph(child)
    for name in ("_parent", "_child", "_file", "_image", "_pixelsType"):
        child = getattr(obj, name, None)
        if child is not None and hasattr(child, "getDetails"):
            yield from _graph(child)


def snapshot_of(obj: Any) -> str:
    """A stable text of an object's state, for comparisons."""
    details = obj.getDetails()
    owner = details.getOwner()
    group = details.getGroup()
    state = {
        name: _plain(value)
        for name, value in sorted(vars(obj).items())
        if name not in ("_details", "_loaded")
    }
    return repr(
        (
            type(obj).__name__,
            unwrap(owner.getId()) if owner else None,
            unwrap(group.getId()) if group else None,
            state,
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "getId") and hasattr(value, "isLoaded"):
        return (type(value).__name__, unwrap(value.getId()))
    if isinstance(value, omero.model.NamedValue):
        return (value.name, value.value)
    if hasattr(value, "val"):
        return unwrap(value)
    return value if isinstance(value, (str, int, float, bool, bytes, type(None))) else repr(value)
