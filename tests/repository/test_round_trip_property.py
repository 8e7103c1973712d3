"""Any label image survives export (NGFF 0.5 or 0.4) and import: equal models, equal pixels."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labelcollections.model.provenance import Provenance
from labelcollections.model.vocabulary import LABEL_DTYPES
from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash

label_pixels = st.sampled_from(LABEL_DTYPES).flatmap(
    lambda dtype: arrays(
        dtype=dtype, shape=st.tuples(st.integers(1, 2), st.integers(1, 700), st.integers(1, 700))
    )
)


@settings(max_examples=12)
@given(label_pixels, st.sampled_from(["0.5", "0.4"]), st.sampled_from(["nearest", "mode"]))
def test_export_import_round_trip(pixels: np.ndarray, ngff: str, downsampling: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        image = np.zeros((pixels.shape[0], *pixels.shape[1:]), dtype=np.uint16)
        with Repository.init(root / "a") as first:
            first.add_image(image, "img", axes=["z", "y", "x"])
            label = first.add_labels(
                "img", pixels, collection="c", name="l", label_type="semantic",
                provenance=Provenance(method="algorithm", parameters={"n": pixels.size}),
                downsampling=downsampling,  # type: ignore[arg-type]
            )  # fmt: skip
            exported = first.export("img", root / "out.ome.zarr", ngff)  # type: ignore[arg-type]
            levels = [np.asarray(level[...]) for level in first.label_levels(label)]
        with Repository.init(root / "b") as second:
            result = second.import_store(exported)
            (copy,) = result.labels
            assert copy == label
            assert result.collections == tuple(second.collections())
            copied = [np.asarray(level[...]) for level in second.label_levels(copy)]
        assert copy.provenance.content_hash == content_hash(pixels)
        assert len(copied) == len(levels)
        for original, restored in zip(levels, copied, strict=True):
            assert original.dtype == restored.dtype
            np.testing.assert_array_equal(original, restored)
