"""Label images that several test modules share (``tests/`` is on the import path through
its conftest.py)."""

from __future__ import annotations

import numpy as np


def instance_labels() -> np.ndarray:
    """Touching objects, holes, an object inside a hole and objects in several pieces."""
    labels = np.zeros((40, 50), np.uint32)
    labels[1:16, 1:16] = 1
    labels[5:8, 5:8] = 0
    labels[6, 6] = 7  # inside 1's hole
    labels[1:16, 16:30] = 2  # touches 1
    labels[20:30, 2:6] = 2  # a second piece of 2
    labels[30:39, 30:49] = 3
    labels[33, 33:40] = 0
    labels[16, 16] = 4
    labels[17, 17] = 4  # diagonal pieces
    return labels
