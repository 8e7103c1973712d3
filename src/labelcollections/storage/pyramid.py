"""Pyramid levels: shapes, label-safe downsampling and image downsampling.

Labels are never interpolated: a coarser level takes an existing value of each block (nearest)
or its most frequent value (mode), so every value at any level is a real label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelcollections.model.vocabulary import Downsampling


def contiguous(array: Any) -> Any:
    """A numpy array in C order (copied only if needed); lazy (dask) arrays stay lazy."""
    return np.ascontiguousarray(array) if isinstance(array, np.ndarray) else array


def downsample_labels(
    source: Any, target_shape: Sequence[int], method: Downsampling = "nearest"
) -> Any:
    """Reduce a label array (numpy, or dask for lazy pyramids) to ``target_shape`` without
    inventing values."""
    if method == "mode" and _is_halving(source.shape, target_shape):
        return _mode_halving(source, target_shape)
    return _nearest(source, target_shape)


def downsample_image(source: np.ndarray, target_shape: Sequence[int]) -> np.ndarray:
    """Reduce an intensity image by block means where the size halves, nearest elsewhere."""
    if not _is_halving(source.shape, target_shape):
        nearest: np.ndarray = _nearest(source, target_shape)
        return nearest
    pairs = list(zip(source.shape, target_shape, strict=True))
    cropped = source[tuple(slice(0, s if s == t else 2 * t) for s, t in pairs)]
    reshaped: list[int] = []
    block_axes: list[int] = []
    for s, t in pairs:
        if s == t:
            reshaped.append(t)
        else:
            reshaped.extend((t, 2))
            block_axes.append(len(reshaped) - 1)
    mean = cropped.reshape(reshaped).mean(axis=tuple(block_axes))
    if np.issubdtype(source.dtype, np.integer):
        mean = np.rint(mean)
    result: np.ndarray = mean.astype(source.dtype)
    return result


def _is_halving(shape: Sequence[int], target: Sequence[int]) -> bool:
    return all(t == s or t == s // 2 for s, t in zip(shape, target, strict=True))


def _nearest(source: Any, target_shape: Sequence[int]) -> Any:
    """Pick every k-th pixel (a strided view for integer factors, an index map otherwise)."""
    result = source
    for axis, (size, target) in enumerate(zip(source.shape, target_shape, strict=True)):
        if size == target:
            continue
        index = [slice(None)] * source.ndim
        factor = size // target
        if factor >= 1:
            index[axis] = slice(0, factor * target, factor)
            result = result[tuple(index)]
        else:
            picks = np.floor(np.arange(target) * (size / target)).astype(np.intp)
            result = result[tuple(picks if i == axis else slice(None) for i in range(source.ndim))]
    return contiguous(result)


def _mode_halving(source: Any, target_shape: Sequence[int]) -> Any:
    """Most frequent value of each 2×2 (or 2) block; ties keep the top-left value."""
    halved = [i for i, (s, t) in enumerate(zip(source.shape, target_shape, strict=True)) if s != t]
    corners: list[Any] = []
    for offsets in np.ndindex(*(2,) * len(halved)):
        index = [slice(None)] * source.ndim
        for axis, offset in zip(halved, offsets, strict=True):
            index[axis] = slice(offset, offset + 2 * target_shape[axis], 2)
        corners.append(source[tuple(index)])
    counts = [sum((c == other).astype(np.uint8) for other in corners) for c in corners]
    best = corners[0]
    best_count = counts[0]
    for candidate, count in zip(corners[1:], counts[1:], strict=True):
        better = count > best_count
        best = np.where(better, candidate, best)
        best_count = np.maximum(best_count, count)
    return contiguous(best)
