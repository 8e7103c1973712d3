"""The in-memory OMERO keeps the server's own rules, whatever the client checks first:
omero-py calls straight to its services meet OMERO's exceptions, and omero-py's BlitzGateway
methods run on it unmodified."""

from __future__ import annotations

import numpy as np
import omero
import pytest
from omero.model import (
    ImageAnnotationLinkI,
    ImageI,
    MapAnnotationI,
    MaskI,
    NamedValue,
    RoiI,
)
from omero.rtypes import rdouble, rstring
from omero_helpers import World, new_world

from labelcollections.errors import InputError
from labelcollections.omero.gateway import OmeroPermissionError
from labelcollections.omero.testing import InMemoryOmero


def new_annotation(pairs: list[tuple[str, str]]) -> MapAnnotationI:
    annotation = MapAnnotationI()
    annotation.setNs(rstring("ns"))
    annotation.setMapValue([NamedValue(k, v) for k, v in pairs])
    return annotation


def link(image_id: int, annotation: object) -> ImageAnnotationLinkI:
    created = ImageAnnotationLinkI()
    created.setParent(ImageI(image_id, False))
    created.setChild(annotation)
    return created


def image_of(world: World) -> int:
    return world.gateway.create_image("i", np.zeros((1, 1, 1, 4, 4), "uint8"), world.group.id).id


def test_the_update_service_refuses_what_the_server_refuses() -> None:
    world = new_world("read-only")
    image_id = image_of(world)
    other = world.omero.add_group("other", "read-write")
    ctx = {"omero.group": str(world.group.id)}
    update = world.gateway._conn.getUpdateService()
    with pytest.raises(omero.SecurityViolation, match=r"omero\.group=-1"):
        update.saveObject(new_annotation([("k", "v")]), {"omero.group": "-1"})
    with pytest.raises(omero.SecurityViolation, match="not a member of group"):
        update.saveObject(new_annotation([("k", "v")]), {"omero.group": str(other.id)})
    with pytest.raises(omero.InternalException, match="0x00"):
        update.saveObject(link(image_id, new_annotation([("k", "a\0b")])), ctx)
    world.act_as(world.omero.add_user("bob", [world.group, other]))
    update = world.gateway._conn.getUpdateService()
    with pytest.raises(omero.SecurityViolation, match=f"Cannot annotate Image:Id_{image_id}"):
        update.saveObject(link(image_id, new_annotation([("k", "v")])), ctx)
    mine = world.gateway.create_image("mine", np.zeros((1, 1, 1, 2, 2), "uint8"), other.id)
    with pytest.raises(omero.GroupSecurityViolation, match="MIXED GROUP"):
        update.saveObject(link(mine.id, new_annotation([("k", "v")])), ctx)
    assert world.gateway.map_annotations("Image", image_id) == []


def test_an_administrator_sees_and_annotates_every_group() -> None:
    world = new_world("private")
    image_id = image_of(world)
    world.act_as(world.omero.add_user("root", [world.group], admin=True))
    assert world.gateway.can_annotate("Image", image_id)
    world.gateway.link_map_annotation("Image", image_id, "ns", [("k", "v")])
    with pytest.raises(InputError, match="permissions: one of private"):
        world.omero.add_group("odd", "rwx---")


def test_deleting_an_image_deletes_its_rois_and_annotations(world: World) -> None:
    image_id = image_of(world)
    roi = world.gateway.create_roi(image_id, [], "r")
    world.gateway.link_map_annotation("Roi", roi.id, "ns", [("k", "v")])
    document = world.gateway.link_file_annotation("Image", image_id, "ns", "d.json", b"{}")
    world.gateway.delete(
        "OriginalFile", [world.omero.server.objects[document.id].getFile().getId().getValue()]
    )
    assert world.gateway.file_annotations("Image", image_id) == []
    world.gateway.delete("Image", [image_id])
    assert world.omero.visible_state()["objects"] == {}


def test_omero_pys_own_gateway_methods_run_on_it(world: World) -> None:
    conn = world.gateway._conn
    assert conn.getMaxPlaneSize() == (3192, 3192)  # IConfig
    planes = (np.full((3, 5), value, dtype="uint16") for value in range(2))
    image = conn.createImageFromNumpySeq(planes, "numpy", sizeZ=2)  # IQuery, IPixels, IContainer
    read = world.gateway.get_image(image.getId())
    assert (read.name, read.size_z, read.dtype) == ("numpy", 2, "uint16")
    assert world.gateway.read_plane(image.getId(), 1, 0, 0).tolist() == [[1] * 5] * 3
    assert conn.getEventContext().userName == "alice"  # IAdmin
    with pytest.raises(omero.QueryException, match="does not know this HQL"):
        conn.getObject("Image", image.getId())  # a query this project never sends


def test_rois_keep_their_masks_and_a_server_copy_is_never_shared(world: World) -> None:
    image_id = image_of(world)
    roi = RoiI()
    roi.setImage(ImageI(image_id, False))
    mask = MaskI()
    mask.setWidth(rdouble(2))
    roi.addShape(mask)
    update = world.gateway._conn.getUpdateService()
    saved = update.saveAndReturnObject(roi, {"omero.group": str(world.group.id)})
    saved.copyShapes()[0].setWidth(rdouble(9))  # changing what the client got
    (stored,) = world.gateway.rois(image_id)
    assert stored.masks[0].width == 2


def test_checkpoints_restore_everything() -> None:
    omero_server = InMemoryOmero()
    lab = omero_server.add_group("lab")
    alice = omero_server.add_user("alice", [lab])
    start = omero_server.checkpoint()
    with omero_server.connect(alice) as gateway:
        gateway.create_image("i", np.zeros((1, 1, 1, 2, 2), "uint8"), lab.id)
    assert omero_server.visible_state()["objects"]
    omero_server.restore(start)
    assert omero_server.visible_state()["objects"] == {}


def test_a_group_owner_edits_members_annotations_in_a_private_group_but_does_not_annotate() -> None:
    world = new_world("private")
    image_id = image_of(world)
    annotation = world.gateway.link_map_annotation("Image", image_id, "ns", [("k", "v")])
    world.act_as(world.omero.add_user("carol", [world.group], owner_of=[world.group]))
    assert world.gateway.can_edit_annotation(annotation.id)
    assert world.gateway.update_map_annotation(annotation.id, [("k", "w")]).pairs == (("k", "w"),)
    assert not world.gateway.can_annotate("Image", image_id)
    with pytest.raises(OmeroPermissionError, match="ANNOTATE"):
        world.gateway.link_map_annotation("Image", image_id, "ns", [("k", "x")])


def test_a_refused_save_stores_nothing() -> None:
    world = new_world("read-write")
    image_id = image_of(world)
    other = world.omero.add_group("other", "read-write")
    world.act_as(world.omero.add_user("bob", [world.group, other]))
    mine = world.gateway.create_image("mine", np.zeros((1, 1, 1, 2, 2), "uint8"), other.id)
    before = world.omero.visible_state()
    update = world.gateway._conn.getUpdateService()
    with pytest.raises(omero.GroupSecurityViolation, match="MIXED GROUP"):
        update.saveObject(
            link(mine.id, new_annotation([("k", "v")])), {"omero.group": str(world.group.id)}
        )
    roi = RoiI()
    roi.setImage(ImageI(image_id, False))
    text = MaskI()
    text.setTextValue(rstring("a\0b"))
    roi.addShape(MaskI())
    roi.addShape(text)
    with pytest.raises(omero.InternalException, match="0x00"):
        update.saveObject(roi, {"omero.group": str(world.group.id)})
    assert world.omero.visible_state() == before
