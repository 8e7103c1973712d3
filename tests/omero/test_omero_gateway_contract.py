"""The contract every OmeroGateway keeps: in memory always, on a live server when OMERO_HOST,
OMERO_USER and OMERO_PASSWORD are set (the ``live`` cases are skipped otherwise, saying so)."""

from __future__ import annotations

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


def new_image(gateway: OmeroGateway, dtype: str = "uint16") -> int:
    group = gateway.current_user().default_group_id
    pixels = np.arange(2 * 3 * 5 * 7, dtype=dtype).reshape(1, 2, 1, 5, 21)
    return gateway.create_image("contract", pixels, group).id


def test_images_keep_their_pixels_group_and_owner(gateway: OmeroGateway) -> None:
    user = gateway.current_user()
    for dtype in ("uint8", "uint16", "uint32"):
        pixels = (np.arange(3 * 2 * 6 * 5) % 251).astype(dtype).reshape(1, 3, 2, 6, 5)
        image = gateway.create_image("contract", pixels, user.default_group_id)
        fetched = gateway.get_image(image.id)
        assert fetched == image
        assert (fetched.owner_id, fetched.group_id) == (user.id, user.default_group_id)
        assert fetched.shape == (1, 3, 2, 6, 5) and fetched.dtype == dtype
        plane = gateway.read_plane(image.id, 1, 2, 0)
        np.testing.assert_array_equal(plane, pixels[0, 2, 1])
        assert plane.dtype == np.dtype(dtype)
        tile = gateway.read_plane(image.id, 0, 1, 0, (1, 2, 3, 4))
        np.testing.assert_array_equal(tile, pixels[0, 1, 0, 2:6, 1:4])


def test_pixel_types_omero_cannot_hold_are_refused(gateway: OmeroGateway) -> None:
    group = gateway.current_user().default_group_id
    with pytest.raises(InputError, match="dtype"):
        gateway.create_image("bad", np.zeros((1, 1, 1, 2, 2), dtype="uint64"), group)
    with pytest.raises(InputError, match="5-D"):
        gateway.create_image("bad", np.zeros((2, 2), dtype="uint8"), group)


def test_map_annotations_keep_order_and_repeated_keys(gateway: OmeroGateway) -> None:
    image_id = new_image(gateway)
    pairs = [("b", "1"), ("a", "x, y"), ("b", "2"), ("ü", "ß\n✓"), ("empty", "")]
    created = gateway.link_map_annotation("Image", image_id, "test/ns", pairs)
    assert created.pairs == tuple(pairs)
    gateway.link_map_annotation("Image", image_id, "other/ns", [("k", "v")])
    (listed,) = gateway.map_annotations("Image", image_id, "test/ns")
    assert listed == created
    assert len(gateway.map_annotations("Image", image_id)) == 2
    updated = gateway.update_map_annotation(created.id, [("b", "3")])
    assert (updated.id, updated.pairs) == (created.id, (("b", "3"),))
    assert gateway.map_annotations("Image", image_id, "test/ns") == [updated]


def test_map_values_are_strings_without_nul_or_lone_surrogates(gateway: OmeroGateway) -> None:
    image_id = new_image(gateway)
    with pytest.raises(InputError, match="U\\+0000"):
        gateway.link_map_annotation("Image", image_id, "test/ns", [("k", "a\0b")])
    with pytest.raises(InputError, match="lone surrogates"):
        gateway.link_map_annotation("Image", image_id, "test/ns", [("k", "a\ud800")])
    with pytest.raises(InputError, match="name: text without U\\+0000"):
        gateway.link_file_annotation("Image", image_id, "doc/ns", "a\0.json", b"{}")
    with pytest.raises(InputError, match="name: text without lone surrogates"):
        gateway.create_image("\udfff", np.zeros((1, 1, 1, 2, 2), dtype="uint8"), 1)
    assert gateway.file_annotations("Image", image_id) == []
    with pytest.raises(TypeError):
        gateway.link_map_annotation("Image", image_id, "test/ns", [("k", 1)])  # type: ignore[list-item]
    assert gateway.map_annotations("Image", image_id, "test/ns") == []


def test_file_annotations_upload_read_and_replace(gateway: OmeroGateway) -> None:
    image_id = new_image(gateway)
    data = '{"ome": "ü"}'.encode()
    created = gateway.link_file_annotation("Image", image_id, "doc/ns", "c.json", data)
    assert (created.name, created.mimetype) == ("c.json", "application/json")
    assert gateway.file_annotations("Image", image_id, "doc/ns") == [created]
    assert gateway.read_file_annotation(created.id) == data
    replaced = gateway.replace_file_annotation(created.id, b"{}")
    assert replaced.id == created.id
    assert gateway.read_file_annotation(created.id) == b"{}"


def test_rois_keep_mask_bytes_and_external_info(gateway: OmeroGateway) -> None:
    image_id = new_image(gateway)
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
    annotation = gateway.link_map_annotation("Roi", roi.id, "roi/ns", [("k", "v")])
    assert gateway.find_objects("Roi", "roi/ns", [("k", "v")]) == [roi.id]
    assert gateway.map_annotations("Roi", roi.id) == [annotation]


def test_queries_match_every_pair_of_one_annotation_in_the_namespace(
    gateway: OmeroGateway,
) -> None:
    first, second = new_image(gateway), new_image(gateway)
    gateway.link_map_annotation("Image", first, "q/ns", [("a", "1"), ("b", "2")])
    gateway.link_map_annotation("Image", second, "q/ns", [("a", "1")])
    gateway.link_map_annotation("Image", second, "q/ns", [("b", "2")])
    assert gateway.find_objects("Image", "q/ns", [("a", "1"), ("b", "2")]) == [first]
    assert gateway.find_objects("Image", "q/ns", [("a", "1")]) == [first, second]
    assert gateway.find_objects("Image", "q/ns", [("a", "1")], offset=1, limit=1) == [second]
    assert gateway.find_objects("Image", "other/ns", [("a", "1")]) == []


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
    image_id = new_image(gateway)
    created = gateway.link_map_annotation("Image", image_id, "ns", pairs)
    assert (
        gateway.map_annotations("Image", image_id, "ns")[0].pairs == tuple(pairs) == created.pairs
    )
    gateway.close()
