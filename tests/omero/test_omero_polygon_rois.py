"""A pushed label image as OMERO Polygon ROIs named by instance id and back, Polygons drawn in
OMERO.iviewer read into a label image, and the refusals of ``omero masks --shape polygon``,
all through the adapter on the in-memory OMERO."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import omero
import pytest
import shapely
from omero.model import LengthI, PolygonI, RectangleI, RoiI
from omero.model.enums import UnitsLength
from omero.rtypes import rint, rstring
from omero_helpers import World, new_world, upload_reference

from labelcollections.cli import main
from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.omero.masks import int_to_rgba, rgba_to_int
from labelcollections.omero.testing import HOST, PASSWORD
from labelcollections.omero_sync import OmeroSync, PixelMode, from_masks
from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash
from sample_labels import instance_labels

RED = (255, 0, 0, 255)
SCHEMA = LabelSchema(
    classes=(LabelClass(value=1, name="nucleus", color=RED), LabelClass(value=2, name="cell"))
)


def instance_stack() -> np.ndarray:
    """Two z-planes: the objects, and the objects upside down without object 3."""
    second = instance_labels()[::-1].copy()
    second[second == 3] = 0
    return np.stack([instance_labels(), second])


@pytest.fixture
def cells_repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "cells-repo") as repository:
        repository.add_image(np.zeros((2, 40, 50), np.uint8), "slide", axes=("z", "y", "x"))
        repository.add_labels(
            "slide",
            instance_stack(),
            collection="segmentation",
            name="cells",
            label_type="instance",
            axes=("z", "y", "x"),
            label_schema=SCHEMA,
            provenance=Provenance(method="algorithm", software="cellpose"),
        )
        yield repository


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
def test_label_image_to_polygon_rois_and_back_is_equal(
    world: World, cells_repo: Repository, pixels: PixelMode
) -> None:
    sync = OmeroSync(cells_repo, world.gateway)
    ref = upload_reference(world.gateway, cells_repo, "slide", world.group.id)
    sync.push("slide", ref.id, pixels=pixels)
    label = cells_repo.label_image("cells@v1")
    expected = instance_stack()

    rois = sync.to_masks(ref.id, "cells@v1", shape="polygon")

    values = [int(v) for v in np.unique(expected) if v != 0]
    assert [roi.name for roi in rois] == [label.instance_id(v) for v in values]
    assert all(roi.masks == () and roi.external_info is None for roi in rois)
    stored = {roi.id: roi for roi in world.gateway.rois(ref.id)}
    assert [stored[roi.id] for roi in rois] == rois
    one, two, three, four, seven = rois
    # One Polygon per ring: a shell and a hole on each plane, in the class colour; holes
    # are not filled.
    assert [(p.z, p.hole) for p in one.polygons] == [(0, False), (0, True), (1, False), (1, True)]
    assert {p.text for p in one.polygons} == {"nucleus"}
    assert {int_to_rgba(p.stroke_color or 0) for p in one.polygons} == {RED}
    assert [int_to_rgba(p.fill_color or 0)[3] for p in one.polygons] == [255, 0, 255, 0]
    assert [(p.z, p.hole) for p in two.polygons] == [(0, False), (0, False), (1, False), (1, False)]
    assert {(p.text, p.fill_color) for p in two.polygons} == {("cell", None)}
    assert [p.z for p in three.polygons] == [0, 0]  # a shell with a hole, on plane 0 only
    assert [p.z for p in four.polygons] == [0, 0, 1, 1]  # two diagonal pieces on each plane
    assert len(seven.polygons) == 2 and three.polygons[0].points.count(",") == 4

    painted = sync.from_masks(ref.id, shape="polygon")

    assert painted.shape == (1, 1, 2, 40, 50) and painted.dtype == np.uint32
    np.testing.assert_array_equal(painted[0, 0], expected)
    again = painted[0, 0].astype(expected.dtype)
    assert content_hash(again) == label.provenance.content_hash
    # Masks of the same label image can sit beside its Polygons; each reads back alone.
    sync.to_masks(ref.id, "cells@v1", shape="mask")
    np.testing.assert_array_equal(sync.from_masks(ref.id)[0, 0], expected)
    np.testing.assert_array_equal(sync.from_masks(ref.id, shape="polygon"), painted)


def iviewer_roi(image_id: int, points: str, name: str | None = None) -> Any:
    """A ROI as OMERO.iviewer saves one drawn with its Polygon tool (through omero-marshal):
    float points, the plane it was drawn on, iviewer's default colours and stroke width, no
    name and no description."""
    polygon = PolygonI()
    polygon.setPoints(rstring(points))
    polygon.setTheZ(rint(0))
    polygon.setTheT(rint(0))
    polygon.setFillColor(rint(rgba_to_int((255, 255, 255, 26))))
    polygon.setStrokeColor(rint(rgba_to_int((255, 255, 0, 255))))
    polygon.setStrokeWidth(LengthI(1, UnitsLength.PIXEL))
    roi = RoiI()
    roi.setImage(omero.model.ImageI(image_id, False))
    if name is not None:
        roi.setName(rstring(name))
    roi.addShape(polygon)
    return roi


def pixel_centres_inside(points: list[tuple[float, float]], shape: tuple[int, int]) -> np.ndarray:
    """What a drawn Polygon covers, computed apart from our filling: shapely's test of each
    pixel centre."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    return np.asarray(shapely.contains_xy(shapely.Polygon(points), xs, ys))


def test_polygons_drawn_in_iviewer_with_float_coordinates_become_a_label_image(
    world: World,
) -> None:
    gateway = world.gateway
    ref = gateway.create_image("drawn", np.zeros((1, 1, 1, 30, 40), np.uint8), world.group.id)
    save = gateway._conn.getUpdateService().saveAndReturnObject
    ctx = {"omero.group": str(world.group.id)}
    square = [(2.25, 3.25), (20.75, 3.25), (20.75, 18.125), (2.25, 18.125)]
    triangle = [(15.5, 10.4), (37.9, 12.2), (25.3, 28.7)]
    closed = " ".join(f"{x},{y}" for x, y in [*square, square[0]])  # iviewer closes rings
    with pytest.raises(NotFoundError, match="rois: ROIs with Polygon shapes"):
        from_masks(gateway, ref.id, "polygon")
    save(iviewer_roi(ref.id, closed), ctx)
    save(iviewer_roi(ref.id, ", ".join(f"{x},{y}" for x, y in triangle)), ctx)  # x,y, x,y
    rectangle = RoiI()
    rectangle.setImage(omero.model.ImageI(ref.id, False))
    rectangle.addShape(RectangleI())
    save(rectangle, ctx)  # other shape kinds are left alone

    first, second, _ = gateway.rois(ref.id)
    assert first.name is None and first.masks == ()
    (drawn,) = first.polygons
    assert (drawn.points, drawn.label, drawn.hole, drawn.z, drawn.t, drawn.c) == (
        closed, 1, False, 0, 0, None,
    )  # fmt: skip
    assert [p.label for p in second.polygons] == [2]
    painted = from_masks(gateway, ref.id, "polygon")

    assert painted.shape == (1, 1, 1, 30, 40)  # z and t pinned, c on every channel
    expected = np.zeros((30, 40), np.uint32)
    expected[pixel_centres_inside(square, (30, 40))] = 1
    expected[pixel_centres_inside(triangle, (30, 40))] = 2  # the later ROI wins
    assert (expected == 1).sum() > 0 and (expected == 2).sum() > 0
    np.testing.assert_array_equal(painted[0, 0, 0], expected)


def test_rois_of_one_value_are_filled_each_on_its_own(world: World) -> None:
    """A ROI named by an instance id and an unnamed ROI of the same rank share a value; their
    overlap belongs to it, instead of cancelling out as one even-odd filling would."""
    gateway = world.gateway
    ref = gateway.create_image("drawn", np.zeros((1, 1, 1, 10, 10), np.uint8), world.group.id)
    save = gateway._conn.getUpdateService().saveAndReturnObject
    ctx = {"omero.group": str(world.group.id)}
    save(iviewer_roi(ref.id, "0,0 6,0 6,6 0,6"), ctx)  # rank 1
    save(iviewer_roi(ref.id, "3,3 9,3 9,9 3,9", name="a1b2:1"), ctx)  # value 1 by its name
    save(iviewer_roi(ref.id, "8,0 10,0 10,2", name=f"a1b2:{2**32}"), ctx)

    with pytest.raises(InputError, match=r"Roi:\d+: name: an instance id with a value ≤"):
        from_masks(gateway, ref.id, "polygon")
    gateway.delete("Roi", [gateway.rois(ref.id)[-1].id])
    painted = from_masks(gateway, ref.id, "polygon")

    expected = np.zeros((10, 10), np.uint32)
    expected[0:6, 0:6] = expected[3:9, 3:9] = 1
    np.testing.assert_array_equal(painted[0, 0, 0], expected)


def test_a_polygon_that_does_not_parse_is_named_by_its_roi(world: World) -> None:
    gateway = world.gateway
    ref = gateway.create_image("drawn", np.zeros((1, 1, 1, 10, 10), np.uint8), world.group.id)
    ctx = {"omero.group": str(world.group.id)}
    saved = gateway._conn.getUpdateService().saveAndReturnObject(
        iviewer_roi(ref.id, "points[1,1 5,1 5,5]"), ctx
    )
    roi_id = saved.getId().getValue()
    with pytest.raises(InputError, match=f"Image:{ref.id}: Roi:{roi_id}: points: 'x1,y1"):
        from_masks(gateway, ref.id, "polygon")


def run_cli(world: World, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """``labelcollections omero --host … ARGS`` as the world's user runs it, on the in-memory
    server; its exit code."""
    monkeypatch.setattr(omero, "client", lambda *a, **k: world.omero.client())
    login = ["--host", HOST, "--user", world.user.name, "--password", PASSWORD]
    try:
        main(["omero", *login, *args])
    except SystemExit as exit_info:
        return int(exit_info.code or 0)
    return 0


def test_converting_twice_is_refused_on_one_line_and_writes_nothing(
    world: World,
    cells_repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ref = upload_reference(world.gateway, cells_repo, "slide", world.group.id)
    OmeroSync(cells_repo, world.gateway).push("slide", ref.id)
    convert = ("masks", str(ref.id), "cells@v1", "--shape", "polygon")
    assert run_cli(world, monkeypatch, *convert) == 0
    assert f"created 5 Polygon ROIs on Image:{ref.id}" in capsys.readouterr().out
    before = world.omero.visible_state()

    assert run_cli(world, monkeypatch, *convert) == 2

    assert capsys.readouterr().err.strip() == (
        f"error: cells@v1: polygons: a label image not yet converted to Polygons on Image:{ref.id}"
    )
    assert world.omero.visible_state() == before


def test_users_without_the_right_are_refused_on_one_line_and_nothing_is_written(
    cells_repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    world = new_world("read-only")
    ref = upload_reference(world.gateway, cells_repo, "slide", world.group.id)
    OmeroSync(cells_repo, world.gateway).push("slide", ref.id)
    world.user = world.omero.add_user("bob", [world.group])  # sees the image, may not annotate
    before = world.omero.visible_state()

    assert run_cli(world, monkeypatch, "masks", str(ref.id), "cells@v1", "--shape", "polygon") == 2

    error = capsys.readouterr().err.strip()
    assert error == (
        f"error: Image:{ref.id}: permissions: the ANNOTATE right (group {world.group.id} is"
        f" rwr--- and Image:{ref.id} belongs to user {ref.owner_id})"
    )
    assert world.omero.visible_state() == before
    world.user = world.omero.add_user("carol", [world.omero.add_group("elsewhere")])
    target = tmp_path / "painted.tif"
    from_polygons = ("masks", str(ref.id), str(target), "--from-masks", "--shape", "polygon")
    assert run_cli(world, monkeypatch, *from_polygons) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"error: Image:{ref.id}: id: an object visible in one of your groups"
    assert not target.exists()
    world.gateway.close()


def test_a_failed_server_call_takes_back_the_rois_made_before_it(
    world: World, cells_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, cells_repo, "slide", world.group.id)
    OmeroSync(cells_repo, world.gateway).push("slide", ref.id)
    checkpoint = world.omero.checkpoint()
    start = len(world.omero.calls)
    OmeroSync(cells_repo, world.gateway).to_masks(ref.id, "cells@v1", shape="polygon")
    calls = len(world.omero.calls) - start
    world.omero.restore(checkpoint)
    world.act_as(world.user)
    sync = OmeroSync(cells_repo, world.gateway)
    before = world.omero.visible_state()
    world.omero.fail_at(calls)  # the last call: saving the fifth ROI

    with pytest.raises(omero.InternalException, match="injected failure in Update"):
        sync.to_masks(ref.id, "cells@v1", shape="polygon")

    assert world.omero.visible_state() == before
    assert len(sync.to_masks(ref.id, "cells@v1", shape="polygon")) == 5
    with pytest.raises(ConflictError, match="not yet converted to Polygons"):
        sync.to_masks(ref.id, "cells@v1", shape="polygon")


def test_the_command_converts_both_ways_with_an_irrelevant_channel_axis(
    world: World,
    demo_repo: Repository,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    OmeroSync(demo_repo, world.gateway).push("ihc", ref.id, pixels="zarr")
    image = str(ref.id)
    assert run_cli(world, monkeypatch, "masks", image, "stains@v1", "--shape", "polygon") == 0
    assert f"created 2 Polygon ROIs on Image:{ref.id}" in capsys.readouterr().out
    polygons = [p for roi in world.gateway.rois(ref.id) for p in roi.polygons]
    assert polygons and all(p.c is None and p.z is None and p.t is None for p in polygons)
    painted = tmp_path / "painted.npy"

    assert run_cli(world, monkeypatch, "masks", image, str(painted), "--from-masks",
                   "--shape", "polygon") == 0  # fmt: skip

    assert "axes yx, shape (512, 512)" in capsys.readouterr().out
    stains = demo_repo.label_image("stains@v1")
    expected = np.asarray(demo_repo.label_levels(stains)[0][...])[0]
    np.testing.assert_array_equal(np.load(painted), expected)


def test_the_server_refuses_nul_in_points_as_postgresql_does(world: World) -> None:
    ref = world.gateway.create_image("i", np.zeros((1, 1, 1, 4, 4), np.uint8), world.group.id)
    update = world.gateway._conn.getUpdateService()
    with pytest.raises(omero.InternalException, match="0x00"):
        update.saveObject(
            iviewer_roi(ref.id, "0,0 1,0\0 1,1"), {"omero.group": str(world.group.id)}
        )
    assert world.gateway.rois(ref.id) == []
