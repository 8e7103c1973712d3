"""compare agrees with a brute-force reference and does not depend on block order."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
import zarr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import linear_sum_assignment

from labelcollections.instances.blocks import block_regions
from labelcollections.instances.compare import AP_THRESHOLDS, compare_labels
from labelcollections.instances.contingency import block_contingency
from labelcollections.instances.runs import compact_values
from labelcollections.model.label_schema import LabelClass, LabelSchema

Blobs = Callable[..., np.ndarray]


def brute_force_matches(
    a: np.ndarray, b: np.ndarray, threshold: float
) -> tuple[set[tuple[int, int]], dict[tuple[int, int], float]]:
    """Per-object masks, a dense IoU matrix and the Hungarian algorithm over all objects."""
    a_objects = [v for v in np.unique(a) if v != 0]
    b_objects = [v for v in np.unique(b) if v != 0]
    iou = np.zeros((len(a_objects), len(b_objects)))
    for i, va in enumerate(a_objects):
        mask_a = a == va
        for j, vb in enumerate(b_objects):
            mask_b = b == vb
            union = np.logical_or(mask_a, mask_b).sum()
            iou[i, j] = np.logical_and(mask_a, mask_b).sum() / union
    candidate = iou >= threshold
    weight = 1.0 / (2.0 * (min(iou.shape) + 1))
    rows, cols = linear_sum_assignment(-(candidate * (1.0 + weight * iou)))
    pairs = {
        (int(a_objects[r]), int(b_objects[c]))
        for r, c in zip(rows, cols, strict=True)
        if candidate[r, c]
    }
    ious = {
        (int(a_objects[r]), int(b_objects[c])): iou[r, c] for r, c in zip(rows, cols, strict=True)
    }
    return pairs, ious


def shifted_versions(make_blobs: Blobs) -> tuple[np.ndarray, np.ndarray]:
    a = make_blobs((64, 80), 25, seed=1)
    b = np.roll(a, 2, axis=1)
    b[:, :2] = 0
    b[b == 7] = 0  # one object missed
    b[40:48, 60:70] = 999  # one extra object
    return a, b


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.75])
def test_matches_equal_the_brute_force_reference(threshold: float, make_blobs: Blobs) -> None:
    a, b = shifted_versions(make_blobs)
    result = compare_labels(a, b, threshold=threshold)
    expected, ious = brute_force_matches(a, b, threshold)
    got = {(pa, pb) for pa, pb, _ in result.matched_pairs()}
    assert got == expected
    for pa, pb, iou in result.matched_pairs():
        assert iou == pytest.approx(ious[(pa, pb)])
    metrics = result.instances
    assert metrics is not None
    objects_a, objects_b = np.unique(a).size - 1, np.unique(b).size - 1
    assert (metrics.matched, metrics.missed, metrics.extra) == (
        len(expected),
        objects_a - len(expected),
        objects_b - len(expected),
    )
    assert metrics.precision == pytest.approx(len(expected) / objects_b)
    assert metrics.recall == pytest.approx(len(expected) / objects_a)


def test_average_precision_is_the_mean_over_the_coco_thresholds(make_blobs: Blobs) -> None:
    a, b = shifted_versions(make_blobs)
    result = compare_labels(a, b)
    assert result.instances is not None
    per_threshold = []
    for threshold in AP_THRESHOLDS:
        hits = len(brute_force_matches(a, b, threshold)[0])
        per_threshold.append(hits / (np.unique(a).size - 1 + np.unique(b).size - 1 - hits))
    assert result.instances.average_precision == pytest.approx(np.mean(per_threshold))


def test_block_order_does_not_change_the_result(tmp_path: object, make_blobs: Blobs) -> None:
    a, b = (make_blobs((200, 230), 80, seed=s) for s in (4, 5))
    stored = zarr.create_array(f"{tmp_path}/a.zarr", shape=a.shape, chunks=(64, 50), dtype=a.dtype)
    stored[...] = a
    regions = block_regions(stored)
    reference = compare_labels(stored, b, threshold=0.2).to_dict()
    for seed in range(3):
        shuffled = list(regions)
        random.Random(seed).shuffle(shuffled)
        assert compare_labels(stored, b, threshold=0.2, regions=shuffled).to_dict() == reference


def test_splits_and_merges_are_reported() -> None:
    a = np.zeros((20, 20), dtype=np.uint8)
    a[2:10, 2:18] = 1  # split in b into 11 and 12
    a[12:18, 2:8] = 2  # merged in b with 3 into 20
    a[12:18, 10:16] = 3
    b = np.zeros_like(a)
    b[2:10, 2:10] = 11
    b[2:10, 10:18] = 12
    b[12:18, 2:16] = 20
    result = compare_labels(a, b)
    assert result.splits == {1: [11, 12]}
    assert result.merges == {20: [2, 3]}


def test_semantic_labels_get_dice_and_iou_per_class() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, (50, 60)).astype(np.uint8)
    b = a.copy()
    b[rng.random(a.shape) < 0.2] = 2
    schema = LabelSchema(classes=(LabelClass(value=2, name="stroma"),))
    result = compare_labels(a, b, semantic=True, schema=schema)
    assert [c.value for c in result.classes] == [1, 2, 3]
    for metrics in result.classes:
        in_a, in_b = a == metrics.value, b == metrics.value
        overlap = np.logical_and(in_a, in_b).sum()
        assert metrics.dice == pytest.approx(2 * overlap / (in_a.sum() + in_b.sum()))
        assert metrics.iou == pytest.approx(overlap / np.logical_or(in_a, in_b).sum())
    assert result.classes[1].name == "stroma"


label_blocks = hnp.arrays(
    dtype=st.sampled_from([np.uint8, np.int16, np.uint32, np.uint64]),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=12),
    elements=st.integers(0, 5),
)


@given(label_blocks, st.data())
def test_block_contingency_counts_every_pair_of_values(a: np.ndarray, data: st.DataObject) -> None:
    b = data.draw(hnp.arrays(dtype=np.uint16, shape=a.shape, elements=st.integers(0, 4)))
    table = block_contingency(a, b)
    expected: dict[tuple[int, int], int] = {}
    for va, vb in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist(), strict=True):
        expected[(va, vb)] = expected.get((va, vb), 0) + 1
    got = dict(
        zip(
            zip(table.a.tolist(), table.b.tolist(), strict=True), table.counts.tolist(), strict=True
        )
    )
    assert got == expected


@given(st.sampled_from([np.int8, np.uint16, np.int64, np.uint64]), st.booleans(), st.data())
def test_compact_values_equals_unique(dtype: type, narrow: bool, data: st.DataObject) -> None:
    """Narrow ranges take the counting path, wide ones the sorting path: both equal unique."""
    elements = st.integers(0, 20) if narrow else None
    values = data.draw(hnp.arrays(dtype, st.integers(0, 50), elements=elements))
    distinct, index = compact_values(values)
    expected, inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(distinct[index], values)
    np.testing.assert_array_equal(index, inverse.reshape(-1))
