"""Any label image, schema and provenance survives push and pull through the in-memory server."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from omero_helpers import new_world

from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.model.vocabulary import LABEL_DTYPES
from labelcollections.omero_sync import LABEL_PIXEL_DTYPES, OmeroSync
from labelcollections.repository import Repository

text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=12)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), text)
parameters = st.dictionaries(text, st.recursive(json_leaf, lambda c: st.lists(c, max_size=3)))
classes = st.lists(
    st.builds(
        LabelClass,
        value=st.integers(0, 255),
        name=st.one_of(st.none(), text.filter(bool)),
        color=st.one_of(st.none(), st.tuples(*[st.integers(0, 255)] * 4)),
    ),
    max_size=4,
    unique_by=lambda c: c.value,
)


@settings(max_examples=10)
@given(
    st.sampled_from(["upload", "zarr"]).flatmap(
        lambda mode: st.tuples(
            st.just(mode),
            st.sampled_from(LABEL_PIXEL_DTYPES if mode == "upload" else LABEL_DTYPES).flatmap(
                lambda dtype: arrays(
                    dtype=dtype,
                    shape=st.tuples(st.integers(1, 2), st.integers(1, 90), st.integers(1, 90)),
                )
            ),
        )
    ),
    classes,
    parameters,
    text,
)
def test_push_pull_round_trip(
    case: tuple[str, np.ndarray],
    schema: list[LabelClass],
    params: dict[str, Any],
    author: str,
) -> None:
    mode, pixels = case
    world = new_world("read-write")
    gateway, group = world.gateway, world.group
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        image = (np.arange(pixels.size) % 7).astype(np.uint16).reshape(pixels.shape)
        with Repository.init(root / "a") as first:
            first.add_image(image, "img", axes=["z", "y", "x"])
            label = first.add_labels(
                "img",
                pixels,
                collection="c",
                name="l",
                label_type="panoptic",
                label_schema=LabelSchema(classes=tuple(schema)),
                provenance=Provenance(method="algorithm", author=author or None, parameters=params),
            )
            ref = gateway.create_image("img", image.reshape(1, 1, *image.shape), group.id)
            OmeroSync(first, gateway).push(
                "img", ref.id, pixels="zarr" if mode == "zarr" else "upload"
            )
            collections = first.collections()
            with Repository.init(root / "b") as second:
                OmeroSync(second, gateway).pull(ref.id)
                (copy,) = second.label_images()
                assert copy == label
                assert second.collections() == collections
                assert second.images() == first.images()
                restored = np.asarray(second.label_levels(copy)[0][...])
        assert restored.dtype == pixels.dtype
        np.testing.assert_array_equal(restored, pixels)
