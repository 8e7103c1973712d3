"""Who may do what to an object: OMERO's four group permission levels, as the server's
``BasicACLVoter`` decides them for a user, an object's owner and its group.

* reading: members see their groups' objects, except that in a private group only the owner
  and the group's owners (leaders) see a member's objects; administrators see everything;
* annotating (linking annotations and ROIs): the owner; any member of a read-annotate or
  read-write group; a group owner in a read-only, read-annotate or read-write group;
  administrators;
* editing and deleting: the owner; any member of a read-write group; the group's owners, in a
  private group too; administrators;
* linking one's objects to another's (e.g. Dataset–Image): as editing, except that a group
  owner may not link to members' data in a private group (nor annotate it).

The restrictions land in ``details.permissions`` of every object the server returns, so
``canAnnotate()``, ``canEdit()``, ``canLink()`` and ``canDelete()`` answer as on a server.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEVELS", "Actor", "can_annotate", "can_edit", "can_read", "restrictions"]

LEVELS = {
    "private": "rw----",
    "read-only": "rwr---",
    "read-annotate": "rwra--",
    "read-write": "rwrw--",
}
"""The four levels and their permission strings."""


@dataclass(frozen=True)
class Actor:
    """The user a call runs as: their groups, the groups they lead, and whether an admin."""

    user_id: int
    member_of: frozenset[int]
    leader_of: frozenset[int]
    admin: bool = False


def can_read(actor: Actor, owner_id: int, group_id: int, permissions: str) -> bool:
    if actor.admin:
        return True
    if group_id not in actor.member_of:
        return False
    if owner_id == actor.user_id or group_id in actor.leader_of:
        return True
    return permissions != LEVELS["private"]


def can_annotate(actor: Actor, owner_id: int, group_id: int, permissions: str) -> bool:
    if not can_read(actor, owner_id, group_id, permissions):
        return False
    if owner_id == actor.user_id or actor.admin:
        return True
    if permissions in (LEVELS["read-annotate"], LEVELS["read-write"]):
        return True
    return group_id in actor.leader_of and permissions != LEVELS["private"]


def can_edit(actor: Actor, owner_id: int, group_id: int, permissions: str) -> bool:
    if not can_read(actor, owner_id, group_id, permissions):
        return False
    if owner_id == actor.user_id or actor.admin or group_id in actor.leader_of:
        return True
    return permissions == LEVELS["read-write"]


def restrictions(actor: Actor, owner_id: int, group_id: int, permissions: str) -> list[bool]:
    """``PermissionsI._restrictions``: LINK, EDIT, DELETE, ANNOTATE, CHGRP, CHOWN disallowed."""
    edit = can_edit(actor, owner_id, group_id, permissions)
    annotate = can_annotate(actor, owner_id, group_id, permissions)
    owner = owner_id == actor.user_id or actor.admin
    link = edit and (owner or permissions != LEVELS["private"])
    return [not link, not edit, not edit, not annotate, not owner, not actor.admin]
