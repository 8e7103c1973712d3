"""A pushed label image as classic Mask ROIs named by instance id, and back."""

from __future__ import annotations

import numpy as np
import pytest
from omero_helpers import World, upload_reference

from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.omero.masks import MaskShape, int_to_rgba
from labelcollections.omero_sync import OmeroSync
from labelcollections.repository import Repository


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
def test_label_image_to_masks_and_back(world: World, demo_repo: Repository, pixels: str) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    sync = OmeroSync(demo_repo, world.gateway)
    sync.push("ihc", ref.id, pixels="zarr" if pixels == "zarr" else "upload")
    for key in ("nuclei@v1", "stains@v1"):
        label = demo_repo.label_image(key)
        expected = np.asarray(demo_repo.label_levels(label)[0][...])
        values = [int(v) for v in np.unique(expected) if v != 0]
        rois = sync.to_masks(ref.id, key)
        assert [roi.name for roi in rois] == [label.instance_id(v) for v in values]
        with pytest.raises(ConflictError, match=f"{key}: masks: a label image not yet converted"):
            sync.to_masks(ref.id, key)
    tissue = demo_repo.label_image("stains@v1")
    dab = next(roi for roi in world.gateway.rois(ref.id) if roi.name == tissue.instance_id(2))
    assert {int_to_rgba(m.fill_color or 0) for m in dab.masks} == {(160, 82, 45, 200)}
    assert {m.text for m in dab.masks} == {"dab-positive"}


def test_masks_of_one_label_image_paint_it_back(world: World, denbi_repo: Repository) -> None:
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    sync = OmeroSync(denbi_repo, world.gateway)
    with pytest.raises(NotFoundError, match="rois: ROIs with Mask shapes"):
        sync.from_masks(ref.id)
    sync.push("nuclei_raw", ref.id, pixels="zarr")  # its ExternalInfo ROI holds no pixels
    sync.to_masks(ref.id, "nuclei_segmentation@v1")
    label = denbi_repo.label_image("nuclei_segmentation@v1")
    expected = np.asarray(denbi_repo.label_levels(label)[0][...])
    painted = sync.from_masks(ref.id)
    assert painted.shape == (1, 1, 1, *expected.shape) and painted.dtype == np.uint32
    np.testing.assert_array_equal(painted[0, 0, 0], expected)


def test_unnamed_rois_are_numbered_by_rank_and_overlaps_refused(
    world: World, denbi_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    sync = OmeroSync(denbi_repo, world.gateway)
    sync.push("nuclei_raw", ref.id)
    rois = sync.to_masks(ref.id, "nuclei_segmentation@v1")
    label = denbi_repo.label_image("nuclei_segmentation@v1")
    background = np.argwhere(np.asarray(denbi_repo.label_levels(label)[0][...]) == 0)[0]
    y, x = (int(v) for v in background)
    dot = MaskShape(label=0, x=x, y=y, width=1, height=1, bytes=np.packbits([1]).tobytes())
    world.gateway.create_roi(ref.id, [dot], "drawn by hand")
    assert sync.from_masks(ref.id)[0, 0, 0, y, x] == len(rois) + 1
    world.gateway.create_roi(ref.id, list(rois[0].masks), "a copy")
    with pytest.raises(InputError, match="masks of different labels not overlapping"):
        sync.from_masks(ref.id)
    with pytest.raises(NotFoundError, match="nothing: label image"):
        sync.to_masks(ref.id, "nothing")
