"""The group and permission rules a use case checks before its first write, in one place.

OMERO keeps every object in one group and refuses links across groups (``MIXED GROUP``), so
everything of a collection lives in the reference image's group; linking needs the ANNOTATE
right and changing someone else's annotation the WRITE right (docs/omero.md, "Groups and
permissions"). Checking first means a refusal leaves nothing half-written.
"""

from __future__ import annotations

from labelcollections.errors import NotFoundError
from labelcollections.omero.gateway import (
    FileAnnotation,
    MapAnnotation,
    MixedGroupError,
    OmeroGateway,
    OmeroImage,
    OmeroPermissionError,
)

__all__ = ["group_id_of", "require_annotate", "require_edit", "require_same_group"]


def require_annotate(gateway: OmeroGateway, image: OmeroImage, role: str = "") -> None:
    """The user is a member of the image's group and holds ANNOTATE on it.

    ``role`` says what the image is to the command (``"the reference image"``), for the error.
    """
    if image.group_id not in gateway.current_user().group_ids:
        raise OmeroPermissionError(
            f"Image:{image.id}",
            "group",
            f"membership of the reference image's group {image.group_id}, where everything of "
            "a collection lives",
        )
    if not gateway.can_annotate("Image", image.id):
        on = f" on {role}" if role else ""
        raise OmeroPermissionError(
            f"Image:{image.id}", "permissions", f"the ANNOTATE right{on} ({_why(gateway, image)})"
        )


def require_same_group(group_id: int, ref: OmeroImage, what: str) -> None:
    """``what`` (in ``group_id``) may be linked to the reference image: same group."""
    if group_id != ref.group_id:
        raise MixedGroupError(
            what,
            "group",
            f"the reference image's group {ref.group_id} (it is in group {group_id}; OMERO "
            "refuses links across groups: MIXED GROUP)",
        )


def require_edit(gateway: OmeroGateway, annotation: MapAnnotation | FileAnnotation) -> None:
    """The user may change ``annotation`` (its owner, or a group level that lets them)."""
    if not gateway.can_edit_annotation(annotation.id):
        kind = "MapAnnotation" if isinstance(annotation, MapAnnotation) else "FileAnnotation"
        raise OmeroPermissionError(
            f"{kind}:{annotation.id}",
            "permissions",
            f"the right to change it (owned by user {annotation.owner_id}; ask them or a "
            "group owner to push)",
        )


def group_id_of(gateway: OmeroGateway, group: str) -> int:
    """The id of one of the user's groups, by name or id."""
    known = gateway.groups()
    for candidate in known:
        if group in (candidate.name, str(candidate.id)):
            return candidate.id
    names = ", ".join(g.name for g in known)
    raise NotFoundError(group, "group", f"one of your groups ({names})")


def _why(gateway: OmeroGateway, image: OmeroImage) -> str:
    groups = {g.id: g for g in gateway.groups()}
    group = groups.get(image.group_id)
    level = group.permissions if group is not None else "?"
    return (
        f"group {image.group_id} is {level} and Image:{image.id} belongs to user {image.owner_id}"
    )
