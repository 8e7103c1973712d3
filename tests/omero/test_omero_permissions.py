"""OMERO's permission and group rules, for each of the four permission levels and for the data's
owner, another member and the group's owner: every refusal is a clear error and leaves the
server exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from omero_helpers import World, add_foreground, upload_reference

from labelcollections.errors import InputError
from labelcollections.formats.omero_kv import NS_LABEL_IMAGE
from labelcollections.omero.gateway import (
    MixedGroupError,
    OmeroNotFoundError,
    OmeroPermissionError,
    OmeroUser,
)
from labelcollections.omero.testing import InMemoryOmero
from labelcollections.omero_sync import OmeroSync
from labelcollections.repository import Repository

LEVELS = ["private", "read-only", "read-annotate", "read-write"]


@dataclass
class Lab(World):
    """A group of one level with alice (owns the reference image), bob (another member),
    carol (the group's owner) and dave (a user of another group)."""

    bob: OmeroUser = field(init=False)
    carol: OmeroUser = field(init=False)
    dave: OmeroUser = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.bob = self.omero.add_user("bob", [self.group])
        self.carol = self.omero.add_user("carol", [self.group], owner_of=[self.group])
        self.dave = self.omero.add_user("dave", [self.omero.add_group("other", "read-write")])

    @property
    def alice(self) -> OmeroUser:
        return self.user


def lab(level: str) -> Lab:
    omero = InMemoryOmero()
    group = omero.add_group("lab", level)
    return Lab(omero, group, omero.add_user("alice", [group]))


ACTORS = ["alice", "bob", "carol", "dave"]
# (level, actor) -> None if a push is allowed, else the error it raises.
PUSH: dict[tuple[str, str], type[Exception] | None] = {
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
    **{(level, "dave"): OmeroNotFoundError for level in LEVELS},  # not in the group at all
}


def sees(level: str, actor: str) -> bool:
    """Whether ``actor`` sees alice's data (and so may pull and find it)."""
    return actor in ("alice", "carol") or (actor == "bob" and level != "private")


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
@pytest.mark.parametrize(("level", "actor"), sorted(PUSH))
def test_push_follows_the_groups_permission_level(
    denbi_repo: Repository, level: str, actor: str, pixels: str
) -> None:
    world = lab(level)
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    world.act_as(getattr(world, actor))
    before = world.omero.visible_state()
    sync = OmeroSync(denbi_repo, world.gateway)
    expected = PUSH[(level, actor)]
    mode = "zarr" if pixels == "zarr" else "upload"
    if expected is None:
        sync.push("nuclei_raw", ref.id, pixels=mode)
        assert world.omero.visible_state() != before
        assert len(sync.read(ref.id)) == 1
        return
    with pytest.raises(expected) as raised:
        sync.push("nuclei_raw", ref.id, pixels=mode)
    assert str(raised.value).startswith(f"Image:{ref.id}: ")
    if expected is OmeroPermissionError:
        assert "ANNOTATE" in str(raised.value) and world.group.permissions in str(raised.value)
    assert world.omero.visible_state() == before
    assert denbi_repo.collection("nuclei_cell_analysis_1").omero_collection_id is None


@pytest.mark.parametrize(("level", "actor"), [(lv, a) for lv in LEVELS for a in ACTORS])
def test_pull_and_find_follow_the_groups_permission_level(
    denbi_repo: Repository, tmp_path: Path, level: str, actor: str
) -> None:
    world = lab(level)
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    world.act_as(getattr(world, actor))
    with Repository.init(tmp_path / "pulled") as pulled:
        sync = OmeroSync(pulled, world.gateway)
        found = sync.find([("label.name", "nuclei_segmentation")])
        if sees(level, actor):
            sync.pull(ref.id)
            assert [label.key for label in pulled.label_images()] == ["nuclei_segmentation@v1"]
            assert [f.ref_image_id for f in found] == [ref.id]
            return
        before = world.omero.visible_state()
        with pytest.raises(OmeroNotFoundError, match=f"Image:{ref.id}: id: an object visible"):
            sync.pull(ref.id)
        assert found == []
        assert pulled.images() == []
        assert world.omero.visible_state() == before


@pytest.mark.parametrize("level", LEVELS)
def test_a_member_may_change_the_owners_push_only_in_a_read_write_group(
    denbi_repo: Repository, level: str
) -> None:
    world = lab(level)
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    world.act_as(world.bob)
    sync = OmeroSync(denbi_repo, world.gateway)
    if level == "read-annotate":
        unchanged = world.omero.visible_state()
        sync.push("nuclei_raw", ref.id)  # nothing to change: no right needed
        assert world.omero.visible_state() == unchanged
    add_foreground(denbi_repo, "bob")
    before = world.omero.visible_state()
    if level == "read-write":
        sync.push("nuclei_raw", ref.id)
        assert world.omero.visible_state() != before
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
    assert world.omero.visible_state() == before


def test_a_collection_stays_in_the_reference_images_group(denbi_repo: Repository) -> None:
    world = lab("read-annotate")
    other = world.omero.add_group("elsewhere", "read-annotate")
    dave = world.omero.add_user("dave", [other])
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    sync = OmeroSync(denbi_repo, world.gateway)
    sync.push("nuclei_raw", ref.id)
    (label_image,) = world.gateway.find_objects(
        "Image", NS_LABEL_IMAGE, [("omero.ref_image_id", str(ref.id))]
    )
    world.omero.move_to_group("Image", label_image, other)
    world.omero.add_user("erin", [world.group, other])
    world.act_as(world.omero.add_user("frank", [world.group, other]))
    before = world.omero.visible_state()
    with pytest.raises(MixedGroupError, match=f"Image:{label_image}: group: .*MIXED GROUP"):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    assert world.omero.visible_state() == before
    world.act_as(dave)
    with pytest.raises(OmeroNotFoundError):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)


def test_a_reference_image_outside_the_users_groups_is_refused(
    denbi_repo: Repository,
) -> None:
    world = lab("read-annotate")
    other = world.omero.add_group("elsewhere", "read-write")
    world.act_as(world.omero.add_user("gina", [other]))
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", other.id)
    world.act_as(world.alice)
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
        world.act_as(actor)
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
    other = world.omero.add_group("elsewhere", "read-write")
    user = world.omero.add_user("henry", [world.group, other])
    world.act_as(user)
    pixels = np.zeros((1, 1, 1, 2, 2), dtype="uint8")
    here = world.gateway.create_image("here", pixels, world.group.id)
    there = world.gateway.create_image("there", pixels, other.id)
    annotation = world.gateway.link_map_annotation("Image", here.id, "ns", [("k", "v")])
    with pytest.raises(MixedGroupError, match="MIXED GROUP"):
        world.gateway.link_annotation("Image", there.id, annotation.id)
    assert world.gateway.map_annotations("Image", there.id) == []
    with pytest.raises(OmeroPermissionError, match="a group you are a member of"):
        world.act_as(world.alice)
        world.gateway.create_image("x", pixels, other.id)


def test_refusals_are_input_errors_the_cli_prints_on_one_line() -> None:
    for error in (OmeroPermissionError, MixedGroupError, OmeroNotFoundError):
        assert issubclass(error, InputError)
