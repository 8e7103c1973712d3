"""The omero-py adapter's object mapping, with real omero-py model classes and rtypes."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.omero.gateway import (
    ExternalInfo,
    MaskShape,
    MixedGroupError,
    OmeroGateway,
    OmeroPermissionError,
)
from labelcollections.omero.masks import masks_from_labels
from labelcollections.omero.polygons import PolygonShape, polygons_from_labels

pytest.importorskip(
    "omero.gateway", reason="omero-py (with zeroc-ice 3.6) not installed; make test installs it"
)
import omero
from omero.model import (
    ExperimenterGroupI,
    ExperimenterI,
    FileAnnotationI,
    GroupExperimenterMapI,
    ImageI,
    MapAnnotationI,
    MaskI,
    NamedValue,
    OriginalFileI,
    PermissionsI,
    PixelsI,
    PixelsTypeI,
    PolygonI,
    RectangleI,
)
from omero.rtypes import rbool, rdouble, rint, rstring
from omero.sys import EventContext

from labelcollections.omero import blitz

NGFF = ExternalInfo(
    "com.glencoesoftware.ngff:multiscales", 3, "https://example.org/a.zarr/labels/0"
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=8)


def owned(obj: object, owner: int = 7, group: int = 3) -> object:
    details = obj.getDetails()  # type: ignore[attr-defined]
    details.setOwner(ExperimenterI(owner, False))
    details.setGroup(ExperimenterGroupI(group, False))
    return obj


def saved_roi(roi: object, roi_id: int = 11) -> object:
    """The ROI as a server returns it: ids and owner/group on the ROI."""
    roi.setId(rint(roi_id))  # type: ignore[attr-defined]
    return owned(roi)


def test_adapter_offers_every_operation_of_the_port_with_its_parameters() -> None:
    operations = [name for name in vars(OmeroGateway) if not name.startswith("_")]
    assert operations
    for name in operations:
        port = inspect.signature(getattr(OmeroGateway, name))
        adapter = inspect.signature(getattr(blitz.BlitzOmeroGateway, name))
        assert list(adapter.parameters) == list(port.parameters), name
        assert [p.default for p in adapter.parameters.values()] == [
            p.default for p in port.parameters.values()
        ], name


# -- Masks -------------------------------------------------------------------------------------


def test_mask_keeps_box_bytes_plane_colour_and_text() -> None:
    shape = MaskShape(
        label=4, x=3, y=5, width=3, height=2, bytes=b"\xec", z=2, t=0, c=1,
        fill_color=-16776961, text="nucleus",
    )  # fmt: skip

    mask = blitz.mask_to_omero(shape)

    assert isinstance(mask, MaskI)
    assert (mask.getX().getValue(), mask.getY().getValue()) == (3.0, 5.0)
    assert (mask.getWidth().getValue(), mask.getHeight().getValue()) == (3.0, 2.0)
    assert mask.getBytes() == b"\xec"
    assert (mask.getTheZ().getValue(), mask.getTheT().getValue(), mask.getTheC().getValue()) == (
        2, 0, 1,
    )  # fmt: skip
    assert mask.getFillColor().getValue() == -16776961
    assert mask.getTextValue().getValue() == "nucleus"
    assert blitz.mask_from_omero(mask, 4) == shape


def test_unset_fields_stay_unset() -> None:
    shape = MaskShape(label=1, x=0, y=0, width=1, height=1, bytes=b"\x80")

    mask = blitz.mask_to_omero(shape)

    assert mask.getTheZ() is None and mask.getTheT() is None and mask.getTheC() is None
    assert mask.getFillColor() is None and mask.getTextValue() is None
    assert mask.getDetails().getExternalInfo() is None
    assert blitz.mask_from_omero(mask, 1) == shape


def test_masks_of_omero_rois_read_as_ours() -> None:
    omero_rois = pytest.importorskip("omero_rois", reason="omero-rois not installed")
    labels = np.zeros((9, 9), np.uint16)
    labels[1:4, 2:7] = 1
    labels[5:9, 5] = 2

    theirs = omero_rois.masks_from_label_image(labels, z=0)

    read = [blitz.mask_from_omero(m, i) for i, m in enumerate(theirs, start=1)]
    assert read == [
        MaskShape(**{**vars(s), "z": 0}) for s in masks_from_labels(labels)
    ]  # fmt: skip


def test_external_info_round_trips_with_omero_types() -> None:
    external = blitz.external_info_to_omero(NGFF)

    assert external.getEntityType().getValue() == "com.glencoesoftware.ngff:multiscales"
    assert type(external.getEntityId()).__name__ == "RLongI"
    assert external.getEntityId().getValue() == 3
    assert external.getLsid().getValue() == NGFF.lsid
    assert blitz.external_info_from_omero(external) == NGFF
    assert blitz.external_info_from_omero(None) is None


# -- ROIs --------------------------------------------------------------------------------------


def test_roi_carries_every_mask_with_its_label_and_external_info() -> None:
    shapes = masks_from_labels(np.array([[0, 3, 3], [7, 0, 3]], np.uint8))

    roi = blitz.roi_to_omero(51, shapes, name="cells", external_info=NGFF)

    assert roi.getImage().getId().getValue() == 51 and not roi.getImage().isLoaded()
    assert roi.getName().getValue() == "cells"
    masks = roi.copyShapes()
    assert [type(m) for m in masks] == [MaskI, MaskI]
    assert all(
        blitz.external_info_from_omero(m.getDetails().getExternalInfo()) == NGFF for m in masks
    )
    read = blitz.roi_from_omero(saved_roi(roi), default_label=1)
    assert (read.id, read.image_id, read.name, read.group_id, read.owner_id) == (
        11, 51, "cells", 3, 7,
    )  # fmt: skip
    assert read.masks == tuple(shapes)
    assert read.external_info == NGFF


def test_roi_made_elsewhere_gets_the_default_label_and_only_its_masks() -> None:
    shape = MaskShape(label=9, x=0, y=0, width=1, height=1, bytes=b"\x80")
    roi = blitz.roi_to_omero(51, [shape])
    roi.setDescription(rstring("drawn by hand"))
    roi.addShape(RectangleI())

    read = blitz.roi_from_omero(saved_roi(roi), default_label=2)

    assert [m.label for m in read.masks] == [2]
    assert read.external_info is None


# -- Polygons ----------------------------------------------------------------------------------


def test_polygon_keeps_points_plane_colours_and_text() -> None:
    shape = PolygonShape(
        label=4, points="1,1 5,1 5,5.5 1,5", z=2, t=0, c=1, fill_color=-16776961,
        stroke_color=-65281, text="nucleus",
    )  # fmt: skip

    polygon = blitz.polygon_to_omero(shape)

    assert isinstance(polygon, PolygonI)
    assert polygon.getPoints().getValue() == "1,1 5,1 5,5.5 1,5"
    assert (polygon.getTheZ().getValue(), polygon.getTheT().getValue()) == (2, 0)
    assert polygon.getTheC().getValue() == 1
    assert polygon.getFillColor().getValue() == -16776961
    assert polygon.getStrokeColor().getValue() == -65281
    assert polygon.getTextValue().getValue() == "nucleus"
    assert blitz.polygon_from_omero(polygon, 4) == shape
    bare = blitz.polygon_to_omero(PolygonShape(label=1, points="0,0 1,0 1,1"))
    assert bare.getTheZ() is None and bare.getTheC() is None and bare.getStrokeColor() is None
    assert bare.getFillColor() is None and bare.getTextValue() is None


def test_roi_of_polygons_lists_their_labels_and_holes() -> None:
    labels = np.pad(np.full((5, 5), 3, np.uint8), (0, 1))
    labels[2, 2], labels[5, 5] = 0, 7
    shapes = polygons_from_labels(labels)
    assert [(s.label, s.hole) for s in shapes] == [(3, False), (3, True), (7, False)]
    mask = masks_from_labels(labels)[0]

    roi = blitz.roi_to_omero(51, [*shapes, mask], name="cells")

    assert roi.getDescription().getValue() == "label values: 3 3 7 3 holes: 2"
    assert [type(s) for s in roi.copyShapes()] == [PolygonI, PolygonI, PolygonI, MaskI]
    read = blitz.roi_from_omero(saved_roi(roi), default_label=1)
    assert read.polygons == tuple(shapes) and read.masks == (mask,)
    roi.setDescription(rstring("drawn by hand"))
    drawn = blitz.roi_from_omero(saved_roi(roi), default_label=9)
    assert {(p.label, p.hole) for p in drawn.polygons} == {(9, False)}


@pytest.mark.parametrize(
    ("description", "count", "expected"),
    [
        ("label values: 3 3 7", 3, ([3, 3, 7], frozenset())),
        ("label values: 3 3 7 holes: 2 3", 3, ([3, 3, 7], frozenset({1, 2}))),
        ("label values: 3 3", 3, None),
        ("label values: 3 x 7", 3, None),
        ("label values: 3 ² 7", 3, None),
        ("label values: 3 3 7 holes: 4", 3, None),
        ("label values: 3 3 7 holes: 0", 3, None),
        ("label values:", 0, ([], frozenset())),
        (None, 1, None),
    ],
)
def test_shape_labels_are_read_only_when_they_match_the_shapes(
    description: str | None, count: int, expected: tuple[list[int], frozenset[int]] | None
) -> None:
    assert blitz.shape_labels(description, count) == expected


# -- annotations -------------------------------------------------------------------------------


@given(st.lists(st.tuples(st.sampled_from(["label.type", "a", ""]), TEXT), max_size=6))
def test_named_values_keep_order_and_repeated_keys(pairs: list[tuple[str, str]]) -> None:
    annotation = blitz.map_annotation_to_omero("labelcollections.org/collection", pairs)
    annotation.setId(rint(21))
    owned(annotation)

    values = annotation.getMapValue()

    assert all(isinstance(v, NamedValue) for v in values)
    read = blitz.map_annotation_from_omero(annotation)
    assert read.pairs == tuple(pairs)
    assert (read.id, read.namespace, read.group_id, read.owner_id) == (
        21, "labelcollections.org/collection", 3, 7,
    )  # fmt: skip


def test_map_values_are_strings_only() -> None:
    with pytest.raises(TypeError, match="strings"):
        blitz.named_values([("label.version", 2)])  # type: ignore[list-item]


def test_map_values_refuse_nul_as_the_server_would() -> None:
    with pytest.raises(InputError, match="U\\+0000"):
        blitz.named_values([("provenance.author", "Jane\0Doe")])


def test_mask_without_bytes_reads_as_empty() -> None:
    mask = MaskI()
    for name in ("X", "Y", "Width", "Height"):
        getattr(mask, f"set{name}")(rdouble(0))
    assert blitz.mask_from_omero(mask, 0).bytes == b""


def test_map_annotation_without_values_has_no_pairs() -> None:
    annotation = owned(MapAnnotationI(5, True))
    assert blitz.map_annotation_from_omero(annotation).pairs == ()


def test_file_annotation_points_at_its_file_and_reads_name_and_type() -> None:
    annotation = blitz.file_annotation_to_omero("labelcollections.org/document", 99)
    assert annotation.getFile().getId().getValue() == 99
    assert not annotation.getFile().isLoaded()

    original = OriginalFileI(99, True)
    original.setName(rstring("collection.json"))
    original.setMimetype(rstring("application/json"))
    loaded = owned(FileAnnotationI(31, True))
    loaded.setNs(rstring("labelcollections.org/document"))
    loaded.setFile(original)
    read = blitz.file_annotation_from_omero(loaded)
    assert (read.id, read.namespace, read.name, read.mimetype) == (
        31, "labelcollections.org/document", "collection.json", "application/json",
    )  # fmt: skip


# -- images, users, groups ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("omero_type", "dtype"), [("uint16", "uint16"), ("float", "float32"), ("double", "float64")]
)
def test_image_sizes_and_pixel_type(omero_type: str, dtype: str) -> None:
    pixels = PixelsI()
    for name, size in (("T", 2), ("C", 1), ("Z", 3), ("Y", 40), ("X", 50)):
        getattr(pixels, f"setSize{name}")(rint(size))
    pixels.setPixelsType(PixelsTypeI())
    pixels.getPixelsType().setValue(rstring(omero_type))
    image = owned(ImageI(51, True))
    image.setName(rstring("cells.tif"))
    image.addPixels(pixels)

    read = blitz.image_from_omero(image)

    assert (read.id, read.name, read.group_id, read.owner_id) == (51, "cells.tif", 3, 7)
    assert read.shape == (2, 1, 3, 40, 50) and read.dtype == dtype
    assert blitz.pixels_type(dtype) == omero_type


def test_group_permissions_and_owners() -> None:
    group = ExperimenterGroupI(3, True)
    group.setName(rstring("lab"))
    group.getDetails().setPermissions(PermissionsI("rwra--"))
    for user, leader in ((7, True), (8, False)):
        link = GroupExperimenterMapI()
        link.setParent(group)
        link.setChild(ExperimenterI(user, False))
        link.setOwner(rbool(leader))
        group.addGroupExperimenterMap(link)

    read = blitz.group_from_omero(group)

    assert (read.id, read.name, read.permissions, read.owner_ids) == (3, "lab", "rwra--", (7,))


def test_user_from_event_context() -> None:
    context = EventContext()
    context.userId, context.userName, context.groupId = 7, "ann", 4
    context.memberOfGroups = [1, 4, 9]

    read = blitz.user_from_event_context(context)

    assert (read.id, read.name, read.group_ids, read.default_group_id) == (7, "ann", (1, 4, 9), 4)


# -- pixels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint32", "float32", "float64"])
def test_planes_travel_big_endian(dtype: str) -> None:
    plane = np.arange(12, dtype=dtype).reshape(3, 4)
    data = blitz.plane_to_bytes(plane)
    assert data == plane.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    back = blitz.plane_from_bytes(data, dtype, 3, 4)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, plane)


def test_tiles_cover_the_plane_once() -> None:
    covered = np.zeros((5, 7), int)
    for x, y, width, height in blitz.tiles(5, 7, (3, 2)):
        covered[y : y + height, x : x + width] += 1
    assert (covered == 1).all()


# -- queries and errors ------------------------------------------------------------------------


def test_find_query_joins_one_map_value_per_pair_and_pages() -> None:
    conditions = [("label.type", "instance"), ("label.type", "semantic"), ("method", "manual")]

    query, params = blitz.find_query("Image", "ns.org/x", conditions, offset=500, limit=250)

    assert query.startswith("select distinct obj.id from ImageAnnotationLink link")
    assert query.count("join ann.mapValue") == 3
    assert "mv1.name = :k1 and mv1.value = :v1" in query and query.endswith("order by obj.id")
    assert {name: value.getValue() for name, value in params.map.items()} == {
        "ns": "ns.org/x",
        "k0": "label.type", "v0": "instance",
        "k1": "label.type", "v1": "semantic",
        "k2": "method", "v2": "manual",
    }  # fmt: skip
    assert (params.theFilter.offset.getValue(), params.theFilter.limit.getValue()) == (500, 250)


def test_find_query_refuses_a_bad_page() -> None:
    with pytest.raises(InputError, match="query: page"):
        blitz.find_query("Roi", "ns", [], limit=0)


def test_linked_annotations_query_filters_by_namespace_when_given() -> None:
    query, params = blitz.linked_annotations_query("Roi", "FileAnnotation", 5, "ns.org/x")
    assert "from FileAnnotation a join fetch a.file" in query
    assert "RoiAnnotationLink link where link.parent.id = :id" in query
    assert params.map["id"].getValue() == 5 and params.map["ns"].getValue() == "ns.org/x"
    query, params = blitz.linked_annotations_query("Image", "MapAnnotation", 5, None)
    assert "a.ns" not in query and "ns" not in params.map


def test_server_refusals_become_one_line_errors() -> None:
    with pytest.raises(MixedGroupError, match="Image:5: group"), blitz.server_errors("Image:5"):
        raise omero.SecurityViolation(message="MIXED GROUP: group 3 and group 4")
    refused = pytest.raises(OmeroPermissionError, match="Image:5: permissions: not")
    with refused, blitz.server_errors("Image:5"):
        raise omero.SecurityViolation(message="not allowed")


def test_connect_needs_credentials_and_a_reachable_server() -> None:
    with pytest.raises(InputError, match="login: a user and password, or a session key"):
        blitz.BlitzOmeroGateway.connect("127.0.0.1", 1)
    with pytest.raises(InputError, match=r"omero://127\.0\.0\.1:1: connection"):
        blitz.BlitzOmeroGateway.connect("127.0.0.1", 1, "user", "password")
