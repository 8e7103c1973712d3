"""Synthetic instance label images shared by the benchmarks."""

from __future__ import annotations

import time

import numpy as np
from scipy import ndimage


def make_labels(size: int, seed: int = 7, spacing: int = 100) -> tuple[np.ndarray, int]:
    """A ``size``×``size`` uint32 instance image with one cell per ``spacing``² pixels.

    Cells sit on a jittered grid, each the part of its Voronoi region within a random radius of
    its centre (touching and isolated cells, 0 between), with shuffled label values. Returns the
    labels and the number of instances."""
    rng = np.random.default_rng(seed)
    cells = max(2, size // spacing)
    step = size / cells
    centres = (np.arange(cells) + 0.5) * step
    jitter = rng.uniform(-0.35, 0.35, (2, cells, cells)) * step
    ys = (centres[:, None] + jitter[0]).astype(np.intp).ravel()
    xs = (centres[None, :] + jitter[1]).astype(np.intp).ravel()
    count = ys.size
    not_seed = np.ones((size, size), dtype=bool)
    not_seed[ys, xs] = False
    distance, (nearest_y, nearest_x) = ndimage.distance_transform_edt(not_seed, return_indices=True)
    del not_seed
    seed_values = np.zeros((size, size), dtype=np.uint32)
    seed_values[ys, xs] = rng.permutation(count).astype(np.uint32) + 1
    labels = seed_values[nearest_y, nearest_x]
    del seed_values, nearest_y, nearest_x
    radius = np.zeros(count + 1)
    radius[1:] = rng.uniform(0.3, 0.55, count) * step
    labels[distance > radius[labels]] = 0
    return labels, count


def announced_labels(size: int, seed: int, spacing: int) -> tuple[np.ndarray, int]:
    """:func:`make_labels`, printing the first line of a benchmark's report (what was built, in
    how long)."""
    start = time.perf_counter()
    labels, count = make_labels(size, seed, spacing)
    print(
        f"label image {size}×{size} uint32, {count} instances"
        f" (built in {time.perf_counter() - start:.1f} s)"
    )
    return labels, count
