"""OMERO's permission and group rules, for each of the four permission levels and for the data's
owner, another member and the group's owner: every refusal is a clear error and leaves the
server exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from omero_helpers import upload_reference

from labelcollections.errors import InputError
from labelcollections.formats.omero_kv import NS_LABEL_IMAGE
from labelcollections.model.provenance import Provenance
from labelcollections.omero.gateway import (
    MixedGroupError,
    OmeroGroup,
    OmeroNotFoundError,
    OmeroPermissionError,
    OmeroUser,
)
from labelcollections.omero.memory import InMemoryGateway
from labelcollections.omero_sync import OmeroSync
from labelcollections.repository import Repository

LEVELS = ["private", "read-only", "read-annotate", "read-write"]


@dataclass
class Lab:
    gateway: InMemoryGateway
    group: OmeroGroup
    alice: OmeroUser  # owns the reference image
    bob: OmeroUser  # another member
    carol: OmeroUser  # the group's owner


def lab(level: str) -> Lab:
    gateway = InMemoryGateway()
    group = gateway.add_group("lab", level)
    alice = gateway.add_user("alice", [group])
    bob = gateway.add_user("bob", [group])
    carol = gateway.add_user("carol", [group], owner_of=[group])
    return Lab(gateway, group, alice, bob, carol)


# (level, actor) -> None if a push is allowed, else the error it raises.
EXPECTED: dict[tuple[str, str], type[Exception] | None] = {
    ("private", "alice"): None,
    ("private", "bob"): OmeroNotFoundError,  # other members' data is invisible
    ("private", "carol"): OmeroPermissionError,  # owners see but may not annotate
    ("read-only", "alice"): None,
    ("read-only", "bob"): OmeroPermissionError,
    ("read-only", "carol"): None,
    ("read-annotate", "alice"): None,
    ("read-annotate", "bob"): None,
    ("read-annotate", "carol"): None,
    ("read-write", "alice"): None,
    ("read-write", "bob"): None,
    ("read-write", "carol"): None,
}


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
@pytest.mark.parametrize(("level", "actor"), sorted(EXPECTED))
def test_push_follows_the_groups_permission_level(
    denbi_repo: Repository, level: str, actor: str, pixels: str
) -> None:
    world = lab(level)
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    world.gateway.act_as(getattr(world, actor))
    before = world.gateway.snapshot()
    sync = OmeroSync(denbi_repo, world.gateway)
    expected = EXPECTED[(level, actor)]
    mode = "zarr" if pixels == "zarr" else "upload"
    if expected is None:
        sync.push("nuclei_raw", ref.id, pixels=mode)
        assert world.gateway.snapshot() != before
        assert len(sync.read(ref.id)) == 1
        return
    with pytest.raises(expected) as raised:
        sync.push("nuclei_raw", ref.id, pixels=mode)
    assert str(raised.value).startswith(f"Image:{ref.id}: ")
    if expected is OmeroPermissionError:
        assert "ANNOTATE" in str(raised.value) and world.group.permissions in str(raised.value)
    assert world.gateway.snapshot() == before
    assert denbi_repo.collection("nuclei_cell_analysis_1").omero_collection_id is None


@pytest.mark.parametrize("level", LEVELS)
def test_a_member_may_change_the_owners_push_only_in_a_read_write_group(
    denbi_repo: Repository, level: str
) -> None:
    world = lab(level)
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    world.gateway.act_as(world.bob)
    sync = OmeroSync(denbi_repo, world.gateway)
    if level == "read-annotate":
        unchanged = world.gateway.snapshot()
        sync.push("nuclei_raw", ref.id)  # nothing to change: no right needed
        assert world.gateway.snapshot() == unchanged
    image = denbi_repo.image("nuclei_raw")
    denbi_repo.add_labels(
        "nuclei_raw",
        np.ones(image.shape, dtype="uint8"),
        collection="nuclei_cell_analysis_1",
        name="foreground",
        label_type="semantic",
        provenance=Provenance(method="manual", author="bob"),
    )
    before = world.gateway.snapshot()
    if level == "read-write":
        sync.push("nuclei_raw", ref.id)
        assert world.gateway.snapshot() != before
        (pushed,) = sync.read(ref.id)
        assert len(pushed.labels) == 2
        return
    expected = OmeroNotFoundError if level == "private" else OmeroPermissionError
    with pytest.raises(expected) as raised:
        sync.push("nuclei_raw", ref.id)
    if level == "read-annotate":
        assert "MapAnnotation:" in str(raised.value) and "the right to change it" in str(
            raised.value
        )
    assert world.gateway.snapshot() == before


def test_a_collection_stays_in_the_reference_images_group(denbi_repo: Repository) -> None:
    world = lab("read-annotate")
    other = world.gateway.add_group("elsewhere", "read-annotate")
    dave = world.gateway.add_user("dave", [other])
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    sync = OmeroSync(denbi_repo, world.gateway)
    sync.push("nuclei_raw", ref.id)
    (label_image,) = world.gateway.find_objects(
        "Image", NS_LABEL_IMAGE, [("omero.ref_image_id", str(ref.id))]
    )
    world.gateway.move_to_group("Image", label_image, other)
    world.gateway.add_user("erin", [world.group, other])
    world.gateway.act_as(world.gateway.add_user("frank", [world.group, other]))
    before = world.gateway.snapshot()
    with pytest.raises(MixedGroupError, match=f"Image:{label_image}: group: .*MIXED GROUP"):
        sync.push("nuclei_raw", ref.id)
    assert world.gateway.snapshot() == before
    world.gateway.act_as(dave)
    with pytest.raises(OmeroNotFoundError):
        sync.push("nuclei_raw", ref.id)


def test_a_reference_image_outside_the_users_groups_is_refused(
    denbi_repo: Repository,
) -> None:
    world = lab("read-annotate")
    other = world.gateway.add_group("elsewhere", "read-write")
    world.gateway.act_as(world.gateway.add_user("gina", [other]))
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", other.id)
    world.gateway.act_as(world.alice)
    with pytest.raises(OmeroNotFoundError, match=f"Image:{ref.id}: id: an object visible"):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)


@pytest.mark.parametrize("level", LEVELS)
def test_the_gateway_refuses_annotations_without_the_annotate_right(level: str) -> None:
    world = lab(level)
    image = world.gateway.create_image(
        "img", np.zeros((1, 1, 1, 4, 4), dtype="uint8"), world.group.id
    )
    for actor, allowed in (
        (world.alice, True),
        (world.bob, level in ("read-annotate", "read-write")),
        (world.carol, level != "private"),
    ):
        world.gateway.act_as(actor)
        if level == "private" and actor is world.bob:
            with pytest.raises(OmeroNotFoundError):
                world.gateway.link_map_annotation("Image", image.id, "ns", [("k", "v")])
            continue
        assert world.gateway.can_annotate("Image", image.id) is allowed
        if allowed:
            world.gateway.link_map_annotation("Image", image.id, "ns", [("k", actor.name)])
        else:
            with pytest.raises(OmeroPermissionError, match="ANNOTATE"):
                world.gateway.link_map_annotation("Image", image.id, "ns", [("k", "v")])


def test_linking_an_annotation_of_another_group_is_a_mixed_group_error() -> None:
    world = lab("read-write")
    other = world.gateway.add_group("elsewhere", "read-write")
    user = world.gateway.add_user("henry", [world.group, other])
    world.gateway.act_as(user)
    pixels = np.zeros((1, 1, 1, 2, 2), dtype="uint8")
    here = world.gateway.create_image("here", pixels, world.group.id)
    there = world.gateway.create_image("there", pixels, other.id)
    annotation = world.gateway.link_map_annotation("Image", here.id, "ns", [("k", "v")])
    with pytest.raises(MixedGroupError, match="MIXED GROUP"):
        world.gateway.link_annotation("Image", there.id, annotation.id)
    assert world.gateway.map_annotations("Image", there.id) == []
    with pytest.raises(OmeroPermissionError, match="a group you are a member of"):
        world.gateway.act_as(world.alice)
        world.gateway.create_image("x", pixels, other.id)


def test_refusals_are_input_errors_the_cli_prints_on_one_line() -> None:
    for error in (OmeroPermissionError, MixedGroupError, OmeroNotFoundError):
        assert issubclass(error, InputError)
