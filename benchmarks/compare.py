"""Comparing two segmentations: ``compare_labels`` vs a straightforward per-instance IoU loop.

Both sides compare the same pair of 8192×8192 uint32 instance label images (≥ 10,000 objects):
``a`` from the shared synthetic generator, ``b`` the same objects shifted by a few pixels, with
new label values, some objects dropped and a few extra ones.

* ours: ``labelcollections.instances.compare_labels(a, b)``: one contingency pass over both
  images, optimal one-to-one matching at IoU 0.5, precision / recall / F1, mean IoU, average
  precision over IoU 0.50:0.95, splits and merges;
* peer: the loop such comparisons are usually written as: for each object of ``a``, its mask,
  the objects of ``b`` under it, and for each of those the IoU of the two masks; the best
  partner above 0.5 is the match. It only finds the IoUs (no AP, splits or merges).

For information the script also times the same loop with every mask cut to the bounding boxes
of the two objects (``scipy.ndimage.find_objects``), the usual first optimisation.

The peer's time grows with the number of objects (two whole-image passes per object), so it is
timed on ``--peer-sample`` objects of ``a`` drawn at random and scaled to all objects; its IoUs
for those objects must equal ours. With ``--peer-sample 0`` it runs on every object (slow at
8192²). The last line is ``RATIO name=compare value=<peer s / our s>
peer=per-instance-iou-loop target=50``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import ndimage

from harness import benchmark_parser, best_time, check_size
from labelcollections.instances import compare_labels
from synthetic import make_labels

TARGET = 50
CELL_SPACING = 80
THRESHOLD = 0.5


def make_pair(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two segmentations of the same objects that mostly, but not always, agree."""
    a, count = make_labels(size, seed, CELL_SPACING)
    rng = np.random.default_rng(seed + 1)
    relabel = np.zeros(count + 1, dtype=np.uint32)
    relabel[1:] = rng.permutation(count) + 1
    relabel[1:][rng.random(count) < 0.03] = 0  # dropped objects
    b = np.roll(relabel[a], (2, 3), axis=(0, 1))
    extra = rng.integers(0, size - 20, (max(1, count // 100), 2))
    for number, (y, x) in enumerate(extra, start=count + 1):
        b[y : y + 12, x : x + 12] = number
    return a, b


def peer(a: np.ndarray, b: np.ndarray, objects: np.ndarray) -> dict[int, tuple[int, float]]:
    """Best partner in ``b`` (IoU ≥ 0.5) of each given object of ``a``, one object at a time."""
    matches = {}
    for value in objects:
        mask_a = a == value
        best = (0, 0.0)
        for other in np.unique(b[mask_a]):
            if other == 0:
                continue
            mask_b = b == other
            iou = np.logical_and(mask_a, mask_b).sum() / np.logical_or(mask_a, mask_b).sum()
            if iou > best[1]:
                best = (int(other), float(iou))
        if best[1] >= THRESHOLD:
            matches[int(value)] = best
    return matches


def cropped_peer(a: np.ndarray, b: np.ndarray) -> dict[int, tuple[int, float]]:
    """The same loop over every object of ``a``, each mask cut to the two objects' boxes."""
    boxes_a, boxes_b = ndimage.find_objects(a), ndimage.find_objects(b)
    matches = {}
    for value, box in enumerate(boxes_a, start=1):
        if box is None:
            continue
        best = (0, 0.0)
        for other in np.unique(b[box][a[box] == value]):
            if other == 0:
                continue
            other_box = boxes_b[other - 1]
            union_box = tuple(
                slice(min(p.start, q.start), max(p.stop, q.stop))
                for p, q in zip(box, other_box, strict=True)
            )
            mask_a, mask_b = a[union_box] == value, b[union_box] == other
            iou = np.logical_and(mask_a, mask_b).sum() / np.logical_or(mask_a, mask_b).sum()
            if iou > best[1]:
                best = (int(other), float(iou))
        if best[1] >= THRESHOLD:
            matches[value] = best
    return matches


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "runs of ours, best counts")
    parser.add_argument("--peer-sample", type=int, default=60, help="objects timed (0: all)")
    args = parser.parse_args(argv)
    check_size(parser, args, 32)
    if args.peer_sample < 0:
        parser.error("--peer-sample must be 0 (all objects) or more")

    a, b = make_pair(args.size, args.seed)
    objects_a = np.unique(a[a > 0])
    print(f"label images {args.size}×{args.size} uint32, {objects_a.size} objects in a")
    compare_labels(a[:256, :256], b[:256, :256])  # warm-up outside the clock
    ours, result = best_time(args.repeats, lambda: compare_labels(a, b, threshold=THRESHOLD))

    rng = np.random.default_rng(args.seed)
    sample = objects_a
    if 0 < args.peer_sample < objects_a.size:
        sample = np.sort(rng.choice(objects_a, args.peer_sample, replace=False))
    start = time.perf_counter()
    expected = peer(a, b, sample)
    sampled = time.perf_counter() - start
    peer_time = sampled * objects_a.size / sample.size

    start = time.perf_counter()
    cropped = cropped_peer(a, b)
    cropped_time = time.perf_counter() - start

    ours_by_a = {pa: (pb, iou) for pa, pb, iou in result.matched_pairs()}
    got = {value: ours_by_a[value] for value in sample.tolist() if value in ours_by_a}
    same = got.keys() == expected.keys() and all(
        got[k][0] == expected[k][0] and abs(got[k][1] - expected[k][1]) < 1e-12 for k in got
    )
    same = same and cropped.keys() == ours_by_a.keys()
    metrics = result.instances
    assert metrics is not None
    print(
        f"ours: matched {metrics.matched}, missed {metrics.missed}, extra {metrics.extra},"
        f" F1 {metrics.f1:.4f}, AP {metrics.average_precision:.4f},"
        f" splits {len(result.splits)}, merges {len(result.merges)}"
    )
    print(f"{'compare':<52}{'seconds':>9}")
    print(f"{'labelcollections compare_labels (best)':<52}{ours:>9.3f}")
    print(f"{f'per-instance IoU loop ({sample.size} objects)':<52}{sampled:>9.3f}")
    print(f"{f'per-instance IoU loop, scaled to {objects_a.size} objects':<52}{peer_time:>9.3f}")
    print(f"{'for information: the loop cut to bounding boxes':<52}{cropped_time:>9.3f}")
    print(f"  (ratio {cropped_time / ours:.2f}; find_objects boxes, every object)")
    verdict = "yes" if same else "no"
    print(f"matches equal (sampled objects, every object of the cut loop): {verdict}")
    if not same:
        print("matches differ; no ratio", file=sys.stderr)
        return 1
    print(
        f"RATIO name=compare value={peer_time / ours:.2f} peer=per-instance-iou-loop"
        f" target={TARGET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
