"""The largest uint64 label value, 2**64-1, survives the OMERO key-value pairs and a push and
pull through the in-memory OMERO (Zarr-backed pixels: OMERO's own pixel types stop at 32 bits)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from omero_helpers import new_world

from labelcollections.formats.omero_kv import label_image_from_pairs, label_image_to_pairs
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.omero_sync import OmeroSync
from labelcollections.repository import Repository

LARGEST = 2**64 - 1
SCHEMA = LabelSchema(classes=(LabelClass(value=LARGEST, name="edge", color=(255, 0, 0, 255)),))


def test_largest_value_survives_pairs_push_and_pull(tmp_path: Path) -> None:
    pixels = np.zeros((1, 24, 32), np.uint64)
    pixels[0, 4:12, 6:20] = LARGEST
    image = np.arange(pixels.size, dtype=np.uint16).reshape(pixels.shape) % 9
    world = new_world("read-write")
    with Repository.init(tmp_path / "a") as first:
        first.add_image(image, "img", axes=["z", "y", "x"])
        label = first.add_labels(
            "img",
            pixels,
            collection="c",
            name="edges",
            label_type="instance",
            label_schema=SCHEMA,
            provenance=Provenance(method="manual"),
        )
        pairs = label_image_to_pairs(label)
        assert ("class.18446744073709551615.name", "edge") in pairs
        assert label_image_from_pairs(pairs, "pairs").label == label
        ref = world.gateway.create_image("img", image.reshape(1, 1, *image.shape), world.group.id)
        OmeroSync(first, world.gateway).push("img", ref.id, pixels="zarr")
        with Repository.init(tmp_path / "b") as second:
            OmeroSync(second, world.gateway).pull(ref.id)
            [copy] = second.label_images()
            assert copy == label
            restored = np.asarray(second.label_levels(copy)[0][...])
            assert second.instance(f"{copy.id}:{LARGEST}").row["area"] == 8 * 14
    assert restored.dtype == np.uint64
    np.testing.assert_array_equal(restored, pixels)
    world.gateway.close()
