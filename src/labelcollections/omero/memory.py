"""An OMERO server in memory, keeping the rules a real one enforces.

No OMERO server can run in this project's test environment, so use cases are tested against
this gateway; the same contract tests run against a live server through ``blitz.py``. It keeps
what matters to label collections: owners and groups on every object, the four permission
levels, MIXED GROUP refusals, string-only map values without U+0000, ordered repeated keys and
paged queries. Users and groups are set up with :meth:`InMemoryGateway.add_group`,
:meth:`~InMemoryGateway.add_user` and :meth:`~InMemoryGateway.act_as`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import count

import numpy as np

from labelcollections.errors import InputError
from labelcollections.omero.gateway import (
    DEFAULT_LIMIT,
    PERMISSION_LEVELS,
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
    OmeroUser,
    Roi,
    check_image_pixels,
    checked_pairs,
)

_ANNOTATING_LEVELS = frozenset({"rwra--", "rwrw--"})
"""Levels whose members may annotate each other's objects."""


@dataclass
class _Owned:
    """Owner and group of a stored object, and the annotations linked to it."""

    owner_id: int
    group_id: int
    links: list[int] = field(default_factory=list)


@dataclass
class _StoredImage(_Owned):
    image: OmeroImage | None = None
    pixels: np.ndarray | None = None


@dataclass
class _StoredRoi(_Owned):
    roi: Roi | None = None


class InMemoryGateway:
    """An :class:`~labelcollections.omero.gateway.OmeroGateway` without a server."""

    def __init__(self) -> None:
        self._ids: Iterator[int] = count(1)
        self._users: dict[int, OmeroUser] = {}
        self._groups: dict[int, OmeroGroup] = {}
        self._images: dict[int, _StoredImage] = {}
        self._rois: dict[int, _StoredRoi] = {}
        self._maps: dict[int, MapAnnotation] = {}
        self._files: dict[int, tuple[FileAnnotation, bytes]] = {}
        self._user_id: int | None = None

    # -- setting up users and groups (what an administrator does) ------------------------------

    def add_group(self, name: str, level: str = "read-annotate") -> OmeroGroup:
        """A group with one of the four permission levels (``private``, ``read-only``,
        ``read-annotate``, ``read-write``) or its permission string."""
        permissions = PERMISSION_LEVELS.get(level, level)
        if permissions not in PERMISSION_LEVELS.values():
            raise InputError("group", "permissions", f"one of {', '.join(PERMISSION_LEVELS)}")
        group = OmeroGroup(next(self._ids), name, permissions)
        self._groups[group.id] = group
        return group

    def add_user(
        self, name: str, groups: Sequence[OmeroGroup], owner_of: Sequence[OmeroGroup] = ()
    ) -> OmeroUser:
        """A user who is a member of ``groups`` (the first is the default) and an owner
        (group leader) of ``owner_of``."""
        user = OmeroUser(next(self._ids), name, tuple(g.id for g in groups), groups[0].id)
        self._users[user.id] = user
        for group in owner_of:
            current = self._groups[group.id]
            self._groups[group.id] = replace(current, owner_ids=(*current.owner_ids, user.id))
        if self._user_id is None:
            self._user_id = user.id
        return user

    def act_as(self, user: OmeroUser) -> None:
        """Make every following call run in ``user``'s session."""
        self._user_id = user.id

    def move_to_group(self, kind: ObjectKind, object_id: int, group: OmeroGroup) -> None:
        """Move an object with its annotations to another group, as ``chgrp`` does."""
        stored = self._owned(kind, object_id)
        stored.group_id = group.id
        for annotation_id in stored.links:
            if annotation_id in self._maps:
                self._maps[annotation_id] = replace(self._maps[annotation_id], group_id=group.id)
            if annotation_id in self._files:
                annotation, data = self._files[annotation_id]
                self._files[annotation_id] = (replace(annotation, group_id=group.id), data)
        if isinstance(stored, _StoredImage) and stored.image is not None:
            stored.image = replace(stored.image, group_id=group.id)
        if isinstance(stored, _StoredRoi) and stored.roi is not None:
            stored.roi = replace(stored.roi, group_id=group.id)

    def edit_map_annotation_as_admin(
        self, annotation_id: int, pairs: Sequence[tuple[str, str]]
    ) -> None:
        """Change an annotation's pairs behind everybody's back (a user editing it elsewhere)."""
        self._maps[annotation_id] = replace(self._maps[annotation_id], pairs=tuple(pairs))

    def edit_file_annotation_as_admin(self, annotation_id: int, data: bytes) -> None:
        """Change a file annotation's content behind everybody's back."""
        annotation, _ = self._files[annotation_id]
        self._files[annotation_id] = (annotation, data)

    def unlink_as_admin(self, kind: ObjectKind, object_id: int, annotation_id: int) -> None:
        """Remove one annotation link (a user deleting it in OMERO.web)."""
        self._owned(kind, object_id).links.remove(annotation_id)

    def snapshot(self) -> dict[str, object]:
        """Everything stored, whoever owns it, to compare before and after a refused call."""
        return {
            "images": {i: (s.image, list(s.links)) for i, s in self._images.items()},
            "rois": {i: (s.roi, list(s.links)) for i, s in self._rois.items()},
            "map_annotations": dict(self._maps),
            "file_annotations": dict(self._files),
        }

    # -- the port ------------------------------------------------------------------------------

    def current_user(self) -> OmeroUser:
        if self._user_id is None:
            raise OmeroPermissionError("session", "user", "a logged-in user (add_user first)")
        return self._users[self._user_id]

    def groups(self) -> list[OmeroGroup]:
        return [self._groups[g] for g in self.current_user().group_ids]

    def get_image(self, image_id: int) -> OmeroImage:
        stored = self._visible("Image", image_id)
        assert isinstance(stored, _StoredImage) and stored.image is not None
        return stored.image

    def create_image(
        self, name: str, pixels: np.ndarray, group_id: int, description: str | None = None
    ) -> OmeroImage:
        check_image_pixels(name, pixels)
        user = self._member_of(group_id, f"Image {name!r}")
        t, c, z, y, x = pixels.shape
        image = OmeroImage(
            next(self._ids), name, group_id, user.id, t, c, z, y, x, str(pixels.dtype)
        )
        self._images[image.id] = _StoredImage(user.id, group_id, image=image, pixels=pixels.copy())
        return image

    def read_plane(
        self,
        image_id: int,
        z: int,
        c: int,
        t: int,
        tile: tuple[int, int, int, int] | None = None,
    ) -> np.ndarray:
        stored = self._visible("Image", image_id)
        assert isinstance(stored, _StoredImage) and stored.pixels is not None
        plane = stored.pixels[t, c, z]
        if tile is not None:
            x, y, width, height = tile
            plane = plane[y : y + height, x : x + width]
        return np.array(plane)

    def can_annotate(self, kind: ObjectKind, object_id: int) -> bool:
        try:
            self._annotatable(kind, object_id)
        except OmeroPermissionError:
            return False
        return True

    def can_edit_annotation(self, annotation_id: int) -> bool:
        owned = self._maps.get(annotation_id) or self._file(annotation_id)
        try:
            self._check_edit(owned.owner_id, owned.group_id, f"Annotation:{annotation_id}")
        except OmeroPermissionError:
            return False
        return True

    def link_map_annotation(
        self, kind: ObjectKind, object_id: int, namespace: str, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        target = self._annotatable(kind, object_id)
        annotation = MapAnnotation(
            next(self._ids), namespace, checked_pairs(pairs), target.group_id, self._user().id
        )
        self._maps[annotation.id] = annotation
        target.links.append(annotation.id)
        return annotation

    def update_map_annotation(
        self, annotation_id: int, pairs: Sequence[tuple[str, str]]
    ) -> MapAnnotation:
        current = self._maps.get(annotation_id)
        if current is None or not self._can_read(current.owner_id, current.group_id):
            raise OmeroNotFoundError(f"MapAnnotation:{annotation_id}", "id", "a visible annotation")
        self._check_edit(current.owner_id, current.group_id, f"MapAnnotation:{annotation_id}")
        updated = replace(current, pairs=checked_pairs(pairs))
        self._maps[annotation_id] = updated
        return updated

    def link_annotation(self, kind: ObjectKind, object_id: int, annotation_id: int) -> None:
        target = self._annotatable(kind, object_id)
        group_id = self._annotation_group(annotation_id)
        if group_id != target.group_id:
            raise MixedGroupError(
                f"{kind}:{object_id}",
                "group",
                f"the group of Annotation:{annotation_id} (MIXED GROUP: group {target.group_id}"
                f" and group {group_id} cannot be linked)",
            )
        if annotation_id not in target.links:
            target.links.append(annotation_id)

    def map_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[MapAnnotation]:
        target = self._visible(kind, object_id)
        found = [self._maps[i] for i in target.links if i in self._maps]
        return [a for a in found if namespace is None or a.namespace == namespace]

    def link_file_annotation(
        self,
        kind: ObjectKind,
        object_id: int,
        namespace: str,
        name: str,
        data: bytes,
        mimetype: str = "application/json",
    ) -> FileAnnotation:
        target = self._annotatable(kind, object_id)
        annotation = FileAnnotation(
            next(self._ids), namespace, name, mimetype, target.group_id, self._user().id
        )
        self._files[annotation.id] = (annotation, bytes(data))
        target.links.append(annotation.id)
        return annotation

    def replace_file_annotation(self, annotation_id: int, data: bytes) -> FileAnnotation:
        annotation = self._file(annotation_id)
        self._check_edit(
            annotation.owner_id, annotation.group_id, f"FileAnnotation:{annotation_id}"
        )
        self._files[annotation_id] = (annotation, bytes(data))
        return annotation

    def file_annotations(
        self, kind: ObjectKind, object_id: int, namespace: str | None = None
    ) -> list[FileAnnotation]:
        target = self._visible(kind, object_id)
        found = [self._files[i][0] for i in target.links if i in self._files]
        return [a for a in found if namespace is None or a.namespace == namespace]

    def read_file_annotation(self, annotation_id: int) -> bytes:
        self._file(annotation_id)
        return self._files[annotation_id][1]

    def create_roi(
        self,
        image_id: int,
        masks: Sequence[MaskShape],
        name: str | None = None,
        external_info: ExternalInfo | None = None,
    ) -> Roi:
        image = self._annotatable("Image", image_id)
        roi = Roi(
            next(self._ids),
            image_id,
            name,
            tuple(masks),
            image.group_id,
            self._user().id,
            external_info,
        )
        self._rois[roi.id] = _StoredRoi(roi.owner_id, roi.group_id, roi=roi)
        return roi

    def rois(self, image_id: int) -> list[Roi]:
        self._visible("Image", image_id)
        return [
            stored.roi
            for stored in self._rois.values()
            if stored.roi is not None
            and stored.roi.image_id == image_id
            and self._can_read(stored.owner_id, stored.group_id)
        ]

    def find_objects(
        self,
        kind: ObjectKind,
        namespace: str,
        conditions: Sequence[tuple[str, str]],
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        group_id: int | None = None,
    ) -> list[int]:
        if offset < 0 or limit < 1:
            raise InputError("query", "page", "offset >= 0 and limit >= 1")
        wanted = set(conditions)
        objects: dict[int, _StoredImage] | dict[int, _StoredRoi]
        objects = self._images if kind == "Image" else self._rois
        ids = sorted(
            object_id
            for object_id, stored in objects.items()
            if self._can_read(stored.owner_id, stored.group_id)
            and group_id in (None, stored.group_id)
            and any(
                (a := self._maps.get(i)) is not None
                and a.namespace == namespace
                and wanted <= set(a.pairs)
                for i in stored.links
            )
        )
        return ids[offset : offset + limit]

    # -- rules ---------------------------------------------------------------------------------

    def _user(self) -> OmeroUser:
        return self.current_user()

    def _owned(self, kind: ObjectKind, object_id: int) -> _StoredImage | _StoredRoi:
        stored = (self._images if kind == "Image" else self._rois).get(object_id)
        if stored is None:
            raise OmeroNotFoundError(f"{kind}:{object_id}", "id", "an existing object")
        return stored

    def _can_read(self, owner_id: int, group_id: int) -> bool:
        """Members see their groups' objects, except other members' in private groups (which
        only the group's owners see)."""
        user = self._user()
        group = self._groups[group_id]
        if group_id not in user.group_ids:
            return False
        if owner_id == user.id or user.id in group.owner_ids:
            return True
        return group.permissions != PERMISSION_LEVELS["private"]

    def _visible(self, kind: ObjectKind, object_id: int) -> _StoredImage | _StoredRoi:
        stored = (self._images if kind == "Image" else self._rois).get(object_id)
        if stored is None or not self._can_read(stored.owner_id, stored.group_id):
            raise OmeroNotFoundError(
                f"{kind}:{object_id}", "id", "an object visible in one of your groups"
            )
        return stored

    def _annotatable(self, kind: ObjectKind, object_id: int) -> _StoredImage | _StoredRoi:
        """The object, if the user holds the ANNOTATE right on it."""
        stored = self._visible(kind, object_id)
        user = self._user()
        group = self._groups[stored.group_id]
        allowed = (
            stored.owner_id == user.id
            or group.permissions in _ANNOTATING_LEVELS
            or (group.permissions == "rwr---" and user.id in group.owner_ids)
        )
        if not allowed:
            raise OmeroPermissionError(
                f"{kind}:{object_id}",
                "permissions",
                f"the ANNOTATE right (group {group.name!r} is {_level(group)}, where "
                f"{_who_annotates(group)} may annotate {self._owner_name(stored.owner_id)}'s data)",
            )
        return stored

    def _check_edit(self, owner_id: int, group_id: int, what: str) -> None:
        """WRITE: the owner, a read-write group's members, a non-private group's owners."""
        user = self._user()
        group = self._groups[group_id]
        if owner_id == user.id or group.permissions == "rwrw--":
            return
        if user.id in group.owner_ids and group.permissions != "rw----":
            return
        raise OmeroPermissionError(
            what,
            "permissions",
            f"the WRITE right (group {group.name!r} is {_level(group)}; only its owner "
            f"{self._owner_name(owner_id)} may change it)",
        )

    def _owner_name(self, owner_id: int) -> str:
        user = self._users.get(owner_id)
        return user.name if user is not None else f"user {owner_id}"

    def _member_of(self, group_id: int, what: str) -> OmeroUser:
        user = self._user()
        if group_id not in user.group_ids:
            name = self._groups[group_id].name if group_id in self._groups else str(group_id)
            raise OmeroPermissionError(what, "group", f"a group you are a member of (not {name!r})")
        return user

    def _annotation_group(self, annotation_id: int) -> int:
        if annotation_id in self._maps:
            annotation: MapAnnotation | FileAnnotation = self._maps[annotation_id]
        elif annotation_id in self._files:
            annotation = self._files[annotation_id][0]
        else:
            raise OmeroNotFoundError(f"Annotation:{annotation_id}", "id", "an existing annotation")
        if not self._can_read(annotation.owner_id, annotation.group_id):
            raise OmeroNotFoundError(f"Annotation:{annotation_id}", "id", "a visible annotation")
        return annotation.group_id

    def _file(self, annotation_id: int) -> FileAnnotation:
        found = self._files.get(annotation_id)
        if found is None or not self._can_read(found[0].owner_id, found[0].group_id):
            raise OmeroNotFoundError(
                f"FileAnnotation:{annotation_id}", "id", "a visible file annotation"
            )
        return found[0]


def _level(group: OmeroGroup) -> str:
    name = next(n for n, p in PERMISSION_LEVELS.items() if p == group.permissions)
    return f"{name} {group.permissions}"


def _who_annotates(group: OmeroGroup) -> str:
    if group.permissions == "rwr---":
        return "only the data's owner and the group's owners"
    return "only the data's owner"
