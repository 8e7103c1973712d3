"""The omero-py adapter against the in-memory OMERO: the server's answers and refusals reach
the user as clear errors, sessions live as long as they should, and nothing leaks."""

from __future__ import annotations

import numpy as np
import omero
import pytest
from omero.sys import ParametersI
from omero_helpers import World, new_world

from labelcollections.errors import InputError
from labelcollections.omero.blitz import KEEP_ALIVE_SECONDS, BlitzOmeroGateway
from labelcollections.omero.gateway import OmeroPermissionError
from labelcollections.omero.testing import HOST, PASSWORD


def test_groups_are_listed_once_with_their_owners(world: World) -> None:
    world.omero.add_user("bob", [world.group])
    carol = world.omero.add_user("carol", [world.group], owner_of=[world.group])
    (group,) = world.gateway.groups()
    assert (group.id, group.permissions, group.owner_ids) == (world.group.id, "rwra--", (carol.id,))
    # Without "distinct", a fetch join repeats the group once per member, as on a server.
    query = (
        "select g from ExperimenterGroup g left outer join fetch g.groupExperimenterMap m"
        " left outer join fetch m.child where g.id in (:ids) order by g.id"
    )
    params = ParametersI()
    params.addIds([world.group.id])
    assert len(world.gateway._query().findAllByQuery(query, params, {"omero.group": "-1"})) == 3


def test_a_query_the_server_does_not_know_raises(world: World) -> None:
    with pytest.raises(omero.QueryException, match="does not know this HQL"):
        world.gateway._query().findAllByQuery("select i from Image i", None)


def test_a_replaced_document_leaves_no_file_behind(world: World) -> None:
    image = world.gateway.create_image("i", np.zeros((1, 1, 1, 2, 2), "uint8"), world.group.id)
    document = world.gateway.link_file_annotation("Image", image.id, "ns", "d.json", b"1")
    for content in (b"22", b"333"):
        world.gateway.replace_file_annotation(document.id, content)
    assert world.gateway.read_file_annotation(document.id) == b"333"
    files = [
        o for o in world.omero.server.objects.values() if isinstance(o, omero.model.OriginalFileI)
    ]
    assert len(files) == 1 and world.omero.visible_state()["orphan files"] == []


def test_sessions_are_kept_alive_and_a_joined_session_outlives_the_gateway() -> None:
    world = new_world()
    created = world.gateway
    assert created._conn.c.keep_alive == KEEP_ALIVE_SECONDS
    key = created.session_key
    joined = BlitzOmeroGateway.connect(HOST, session_key=key, client_factory=world.omero.client)
    assert joined.current_user().id == world.user.id
    joined.close()  # only detaches
    assert created.current_user().name == "alice"
    created.close()  # kills the session it created
    with pytest.raises(InputError, match="login: valid credentials or a live session key"):
        BlitzOmeroGateway.connect(HOST, session_key=key, client_factory=world.omero.client)
    with pytest.raises(InputError, match="login: valid credentials"):
        BlitzOmeroGateway.connect(
            HOST, username="alice", password=PASSWORD + "x", client_factory=world.omero.client
        )


def test_big_images_are_written_in_tiles_and_read_once_their_pyramid_is_built(
    world: World,
) -> None:
    config = world.omero.server.config
    config.update(
        {
            "omero.pixeldata.max_plane_width": "40",
            "omero.pixeldata.max_plane_height": "40",
            "omero.pixeldata.tile_width": "16",
            "omero.pixeldata.tile_height": "16",
        }
    )
    pixels = (np.arange(2 * 50 * 70) % 65521).astype("uint16").reshape(1, 2, 1, 50, 70)
    world.omero.hold_pyramids()
    image = world.gateway.create_image("big", pixels, world.group.id)
    assert world.omero.calls.count("RawPixelsStore.setTile") == 2 * 4 * 5
    with pytest.raises(InputError, match=f"Image:{image.id}: pixels: .*pyramid not ready yet"):
        world.gateway.read_plane(image.id, 0, 0, 0)
    for pixels_id in world.omero.server.pixels:
        world.omero.server.pixels[pixels_id].pyramid_ready = True
    np.testing.assert_array_equal(world.gateway.read_plane(image.id, 0, 1, 0), pixels[0, 1, 0])


def test_tiles_of_one_image_are_read_through_one_pixels_store(world: World) -> None:
    pixels = np.arange(64, dtype="uint8").reshape(1, 1, 1, 8, 8)
    image = world.gateway.create_image("i", pixels, world.group.id)
    start = len(world.omero.calls)
    for x, y in ((0, 0), (4, 0), (0, 4), (4, 4)):
        tile = world.gateway.read_plane(image.id, 0, 0, 0, (x, y, 4, 4))
        np.testing.assert_array_equal(tile, pixels[0, 0, 0, y : y + 4, x : x + 4])
    calls = world.omero.calls[start:]
    assert calls.count("RawPixelsStore.setPixelsId") == 1
    assert calls.count("Query.findByQuery") == 1
    assert calls.count("RawPixelsStore.getTile") == 4


@pytest.mark.parametrize("pixels_type", ["bit", "complex", "double-complex"])
def test_pixel_types_we_do_not_read_are_a_clear_error(world: World, pixels_type: str) -> None:
    image = world.gateway.create_image("i", np.zeros((1, 1, 1, 2, 2), "uint8"), world.group.id)
    world.omero.set_pixels_type(image.id, pixels_type)
    with pytest.raises(InputError, match=f"Image:{image.id}: pixels type: .*got {pixels_type}"):
        world.gateway.get_image(image.id)


def test_a_group_the_user_is_not_in_is_a_clear_error(world: World) -> None:
    other = world.omero.add_group("other", "read-write")
    with pytest.raises(OmeroPermissionError, match="group: a group you are a member of"):
        world.gateway.find_objects("Image", "ns", [("k", "v")], group_id=other.id)


def test_deleting_needs_the_right_to_and_deletes_nothing_otherwise(world: World) -> None:
    image = world.gateway.create_image("i", np.zeros((1, 1, 1, 2, 2), "uint8"), world.group.id)
    annotation = world.gateway.link_map_annotation("Image", image.id, "ns", [("k", "v")])
    world.act_as(world.omero.add_user("bob", [world.group]))
    before = world.omero.visible_state()
    with pytest.raises(OmeroPermissionError, match="delete: the right to delete"):
        world.gateway.delete("Annotation", [annotation.id])
    assert world.omero.visible_state() == before
    world.act_as(world.user)
    world.gateway.delete("Image", [image.id])
    assert world.omero.visible_state()["objects"] == {}
