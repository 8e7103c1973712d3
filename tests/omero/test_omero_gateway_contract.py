"""The contract the omero-py adapter keeps: on the in-memory OMERO always, on a live server when
OMERO_HOST, OMERO_USER and OMERO_PASSWORD are set (skipped otherwise, saying so). Live runs can
be repeated on one server: their namespaces are their own and what they make is deleted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omero_helpers import new_world

from labelcollections.errors import InputError
from labelcollections.omero.gateway import (
    ExternalInfo,
    MaskShape,
    OmeroGateway,
    OmeroNotFoundError,
)
from labelcollections.omero.polygons import PolygonShape

RUN = uuid.uuid4().hex
"""Namespaces of this run: a live server keeps earlier runs' objects, and queries must not
see them."""


def ns(name: str) -> str:
    return f"labelcollections-test/{RUN}/{name}"


@pytest.fixture
def made(gateway: OmeroGateway) -> Iterator[list[int]]:
    """The images a test makes, deleted afterwards with everything on them."""
    images: list[int] = []
    yield images
    gateway.delete("Image", images)


def new_image(gateway: OmeroGateway, made: list[int], dtype: str = "uint16") -> int:
    group = gateway.current_user().default_group_id
    pixels = np.arange(2 * 3 * 5 * 7, dtype=dtype).reshape(1, 2, 1, 5, 21)
    made.append(gateway.create_image("contract", pixels, group).id)
    return made[-1]


def test_images_keep_their_pixels_group_and_owner(gateway: OmeroGateway, made: list[int]) -> None:
    user = gateway.current_user()
    for dtype in ("uint8", "uint16", "uint32"):
        pixels = (np.arange(3 * 2 * 6 * 5) % 251).astype(dtype).reshape(1, 3, 2, 6, 5)
        image = gateway.create_image("contract", pixels, user.default_group_id)
        made.append(image.id)
        fetched = gateway.get_image(image.id)
        assert fetched == image
        assert (fetched.owner_id, fetched.group_id) == (user.id, user.default_group_id)
        assert fetched.shape == (1, 3, 2, 6, 5) and fetched.dtype == dtype
        plane = gateway.read_plane(image.id, 1, 2, 0)
        np.testing.assert_array_equal(plane, pixels[0, 2, 1])
        assert plane.dtype == np.dtype(dtype)
        tile = gateway.read_plane(image.id, 0, 1, 0, (1, 2, 3, 4))
        np.testing.assert_array_equal(tile, pixels[0, 1, 0, 2:6, 1:4])


def test_pixel_types_omero_cannot_hold_are_refused(gateway: OmeroGateway, made: list[int]) -> None:
    group = gateway.current_user().default_group_id
    with pytest.raises(InputError, match="dtype"):
        gateway.create_image("bad", np.zeros((1, 1, 1, 2, 2), dtype="uint64"), group)
    with pytest.raises(InputError, match="5-D"):
        gateway.create_image("bad", np.zeros((2, 2), dtype="uint8"), group)


def test_map_annotations_keep_order_and_repeated_keys(
    gateway: OmeroGateway, made: list[int]
) -> None:
    image_id = new_image(gateway, made)
    pairs = [("b", "1"), ("a", "x, y"), ("b", "2"), ("ü", "ß\n✓"), ("empty", "")]
    created = gateway.link_map_annotation("Image", image_id, ns("test"), pairs)
    assert created.pairs == tuple(pairs)
    gateway.link_map_annotation("Image", image_id, ns("other"), [("k", "v")])
    (listed,) = gateway.map_annotations("Image", image_id, ns("test"))
    assert listed == created
    assert len(gateway.map_annotations("Image", image_id)) == 2
    updated = gateway.update_map_annotation(created.id, [("b", "3")])
    assert (updated.id, updated.pairs) == (created.id, (("b", "3"),))
    assert gateway.map_annotations("Image", image_id, ns("test")) == [updated]


def test_map_values_are_strings_without_nul_or_lone_surrogates(
    gateway: OmeroGateway, made: list[int]
) -> None:
    image_id = new_image(gateway, made)
    with pytest.raises(InputError, match="U\\+0000"):
        gateway.link_map_annotation("Image", image_id, ns("test"), [("k", "a\0b")])
    with pytest.raises(InputError, match="lone surrogates"):
        gateway.link_map_annotation("Image", image_id, ns("test"), [("k", "a\ud800")])
    with pytest.raises(InputError, match="name: text without U\\+0000"):
        gateway.link_file_annotation("Image", image_id, ns("doc"), "a\0.json", b"{}")
    with pytest.raises(InputError, match="name: text without lone surrogates"):
        gateway.create_image("\udfff", np.zeros((1, 1, 1, 2, 2), dtype="uint8"), 1)
    assert gateway.file_annotations("Image", image_id) == []
    with pytest.raises(TypeError):
        gateway.link_map_annotation("Image", image_id, ns("test"), [("k", 1)])  # type: ignore[list-item]
    assert gateway.map_annotations("Image", image_id, ns("test")) == []


def test_file_annotations_upload_read_and_replace(gateway: OmeroGateway, made: list[int]) -> None:
    image_id = new_image(gateway, made)
    data = '{"ome": "ü"}'.encode()
    created = gateway.link_file_annotation("Image", image_id, ns("doc"), "c.json", data)
    assert (created.name, created.mimetype) == ("c.json", "application/json")
    assert gateway.file_annotations("Image", image_id, ns("doc")) == [created]
    assert gateway.read_file_annotation(created.id) == data
    replaced = gateway.replace_file_annotation(created.id, b"{}")
    assert replaced.id == created.id
    assert gateway.read_file_annotation(created.id) == b"{}"


def test_rois_keep_mask_bytes_and_external_info(gateway: OmeroGateway, made: list[int]) -> None:
    image_id = new_image(gateway, made)
    mask = MaskShape(
        label=3,
        x=1,
        y=2,
        width=9,
        height=2,
        bytes=np.packbits(np.ones((2, 9), bool)).tobytes(),
        z=0,
        c=1,
        t=0,
        fill_color=-16776961,
        text="nucleus",
    )
    info = ExternalInfo("com.glencoesoftware.ngff:multiscales", 3, "file:///data/l%40v1")
    roi = gateway.create_roi(image_id, [mask], "cells", info)
    (listed,) = gateway.rois(image_id)
    assert listed.id == roi.id and listed.external_info == info
    (stored,) = listed.masks
    assert (stored.x, stored.y, stored.width, stored.height) == (1, 2, 9, 2)
    assert stored.bytes == mask.bytes and (stored.z, stored.c, stored.t) == (0, 1, 0)
    assert (stored.fill_color, stored.text) == (mask.fill_color, mask.text)
    annotation = gateway.link_map_annotation("Roi", roi.id, ns("roi"), [("k", "v")])
    assert gateway.find_objects("Roi", ns("roi"), [("k", "v")]) == [roi.id]
    assert gateway.map_annotations("Roi", roi.id) == [annotation]


def test_rois_keep_polygon_points_planes_colours_and_holes(
    gateway: OmeroGateway, made: list[int]
) -> None:
    image_id = new_image(gateway, made)
    shell = PolygonShape(
        label=4,
        points="1,1 9,1 9,4 1,4",
        z=0,
        c=1,
        t=0,
        fill_color=-16776961,
        stroke_color=-16776961,
        text="nucleus",
    )
    hole = PolygonShape(label=4, points="2.5,2 3,2.25 3,3", hole=True, fill_color=-16777216)
    drawn = PolygonShape(label=4, points="10.125,0.5 20.75,0.5 20.75,4.5 10.125,0.5")
    roi = gateway.create_roi(image_id, [shell, hole, drawn], "cells")
    (listed,) = gateway.rois(image_id)
    assert listed == roi
    assert listed.polygons == (shell, hole, drawn) and listed.masks == ()
    with pytest.raises(InputError, match="ROI: text without U\\+0000"):
        gateway.create_roi(image_id, [PolygonShape(label=1, points="0,0 1,0\0 1,1")])
    assert gateway.rois(image_id) == [listed]


def test_queries_match_every_pair_of_one_annotation_in_the_namespace(
    gateway: OmeroGateway, made: list[int]
) -> None:
    first, second = new_image(gateway, made), new_image(gateway, made)
    gateway.link_map_annotation("Image", first, ns("q"), [("a", "1"), ("b", "2")])
    gateway.link_map_annotation("Image", second, ns("q"), [("a", "1")])
    gateway.link_map_annotation("Image", second, ns("q"), [("b", "2")])
    assert gateway.find_objects("Image", ns("q"), [("a", "1"), ("b", "2")]) == [first]
    assert gateway.find_objects("Image", ns("q"), [("a", "1")]) == [first, second]
    assert gateway.find_objects("Image", ns("q"), [("a", "1")], offset=1, limit=1) == [second]
    assert gateway.find_objects("Image", ns("other"), [("a", "1")]) == []


def test_unknown_objects_are_not_found(gateway: OmeroGateway) -> None:
    with pytest.raises(OmeroNotFoundError):
        gateway.get_image(2**40)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=8),
            st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=12),
        ),
        max_size=12,
    )
)
def test_any_text_pairs_come_back_exactly(pairs: list[tuple[str, str]]) -> None:
    gateway = new_world("private").gateway
    image_id = new_image(gateway, [])
    created = gateway.link_map_annotation("Image", image_id, "ns", pairs)
    assert (
        gateway.map_annotations("Image", image_id, "ns")[0].pairs == tuple(pairs) == created.pairs
    )
    gateway.close()
