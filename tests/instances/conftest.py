"""Label images for the instance tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from skimage.segmentation import watershed

Blobs = Callable[..., np.ndarray]


def blobs(shape: tuple[int, ...], count: int, seed: int = 0) -> np.ndarray:
    """Touching objects (a watershed of random seeds) with some background."""
    rng = np.random.default_rng(seed)
    markers = np.zeros(shape, dtype=np.int32)
    points = tuple(rng.integers(0, n, count) for n in shape)
    markers[points] = np.arange(1, count + 1)
    labels = watershed(np.zeros(shape), markers).astype(np.uint32)
    labels[rng.random(shape) < 0.05] = 0
    return labels


@pytest.fixture
def make_blobs() -> Blobs:
    return blobs
