"""Stable ordering of rows of small non-negative integers by radix passes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stable_order(columns: Sequence[np.ndarray], order: np.ndarray | None = None) -> np.ndarray:
    """The stable order sorting rows by ``columns`` (the first most significant) of non-negative
    integers, starting from ``order`` (default: as they are).

    A least-significant-digit radix sort with 16-bit digits: numpy's stable ``argsort`` of
    ``uint16`` is a counting sort, so each digit costs one linear pass, several times less
    than comparison-sorting 64-bit keys.
    """
    size = columns[0].size if columns else 0
    result = np.arange(size) if order is None else order
    for column in reversed(columns):
        span = int(column.max()) if column.size else 0
        shift = 0
        while span >> shift:
            digit = ((column[result] >> shift) & 0xFFFF).astype(np.uint16)
            result = result[np.argsort(digit, kind="stable")]
            shift += 16
    return result
