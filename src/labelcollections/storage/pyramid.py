"""Pyramid levels: reducing one level to the next, a band of rows at a time.

Only the last two axes (y and x) shrink. Images are reduced by 2 × 2 block means, labels by
nearest (every second pixel) or mode (the most frequent value of each 2 × 2 block). Labels are
never interpolated, so every value at any level is a real label.

A level is reduced in bands of whole rows that start on an even row, as the streaming writer
hands them over (:mod:`.streaming`); each output pixel depends on its own 2 × 2 block only, so
reducing band by band gives exactly what reducing the whole array gives. A size may halve
rounding down or up (pyramids of other tools do either); other factors fall back to picking
every k-th pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

Reduction = Literal["mean", "nearest", "mode"]
"""How a level is reduced: ``mean`` for intensities, ``nearest`` or ``mode`` for labels."""


def is_halving(size: int, target: int) -> bool:
    """Whether ``target`` is ``size`` halved (rounded down or up) or unchanged."""
    return target in (size, size // 2, (size + 1) // 2)


def reduce_band(
    band: np.ndarray,
    start: int,
    size: tuple[int, int],
    target: tuple[int, int],
    method: Reduction,
) -> tuple[int, np.ndarray]:
    """Reduce rows ``start …`` of a level of ``size`` (y, x) to the next level's ``target``.

    ``band`` holds whole rows (any leading axes); ``start`` is even unless it is 0. Returns the
    first target row and the target rows that the band determines completely.
    """
    stop = start + band.shape[-2]
    if method != "nearest" and all(map(is_halving, size, target)):
        first = start // 2
        last = target[0] if stop >= size[0] else stop // 2
        return first, _block_reduce(band, (last - first, target[1]), method)
    rows = _picks(size[0], target[0])
    inside = np.flatnonzero((rows >= start) & (rows < stop))
    if inside.size == 0:
        return start, band[..., :0, :0]
    first = int(inside[0])
    picked = _pick(band, -2, rows[inside] - start)
    return first, _pick(picked, -1, _picks(size[1], target[1]))


def downsample_labels(
    source: Any, target_shape: Sequence[int], method: Literal["nearest", "mode"] = "nearest"
) -> np.ndarray:
    """A whole label array (in memory) reduced to ``target_shape``, as the streaming writer
    would reduce it band by band."""
    return _reduce_whole(np.asarray(source), target_shape, method)


def downsample_image(source: Any, target_shape: Sequence[int]) -> np.ndarray:
    """A whole intensity image (in memory) reduced to ``target_shape`` by block means."""
    return _reduce_whole(np.asarray(source), target_shape, "mean")


def _reduce_whole(source: np.ndarray, target_shape: Sequence[int], method: Reduction) -> np.ndarray:
    if tuple(source.shape[:-2]) != tuple(target_shape[:-2]):
        raise ValueError(f"only y and x shrink: {source.shape} → {tuple(target_shape)}")
    size = (int(source.shape[-2]), int(source.shape[-1]))
    target = (int(target_shape[-2]), int(target_shape[-1]))
    reduced: np.ndarray = np.ascontiguousarray(reduce_band(source, 0, size, target, method)[1])
    return reduced


def _picks(size: int, target: int) -> np.ndarray:
    """Which source index each target index takes (nearest)."""
    step = 1 if target == size else 2 if is_halving(size, target) else size // target
    if step >= 1:
        picks: np.ndarray = step * np.arange(target)
        return picks
    spread: np.ndarray = np.floor(np.arange(target) * (size / target)).astype(np.intp)
    return spread


def _pick(array: np.ndarray, axis: int, indices: np.ndarray) -> np.ndarray:
    """``array`` at ``indices`` along ``axis``: a strided view when they are evenly spaced."""
    if indices.size > 1:
        steps = np.diff(indices)
        if steps[0] > 0 and np.all(steps == steps[0]):
            index = [slice(None)] * array.ndim
            index[axis] = slice(int(indices[0]), int(indices[-1]) + 1, int(steps[0]))
            return array[tuple(index)]
    return np.take(array, indices, axis=axis)


def _block_reduce(band: np.ndarray, target: tuple[int, int], method: Reduction) -> np.ndarray:
    """Means or modes of the 2 × 2 (or 2 × 1, 1 × 2) blocks of the last two axes; a size that
    halves rounding up repeats its last row or column, so its lone pixels keep their value."""
    pairs = list(zip(band.shape[-2:], target, strict=True))
    halved = [s != t for s, t in pairs]
    cropped = band[
        ..., : (2 * pairs[0][1] if halved[0] else None), : (2 * pairs[1][1] if halved[1] else None)
    ]
    pad = [(0, 0)] * (band.ndim - 2) + [
        (0, max(0, 2 * t - s) if h else 0) for (s, t), h in zip(pairs, halved, strict=True)
    ]
    if any(after for _, after in pad):
        cropped = np.pad(cropped, pad, mode="edge")
    if method == "mean":
        return _mean(cropped, halved)
    return _mode(cropped, halved)


def _mean(block: np.ndarray, halved: list[bool]) -> np.ndarray:
    shape = list(block.shape[:-2])
    axes = []
    for size, halves in zip(block.shape[-2:], halved, strict=True):
        if halves:
            shape.extend((size // 2, 2))
            axes.append(len(shape) - 1)
        else:
            shape.append(size)
    mean = block.reshape(shape).mean(axis=tuple(axes), dtype=np.float64)
    if np.issubdtype(block.dtype, np.integer):
        mean = np.rint(mean)
    result: np.ndarray = mean.astype(block.dtype)
    return result


def _mode(block: np.ndarray, halved: list[bool]) -> np.ndarray:
    """Most frequent value of each block; ties keep the top-left value."""
    axes = [block.ndim - 2 + i for i, halves in enumerate(halved) if halves]
    corners: list[np.ndarray] = []
    for offsets in np.ndindex(*(2,) * len(axes)):
        index: list[slice] = [slice(None)] * block.ndim
        for axis, offset in zip(axes, offsets, strict=True):
            index[axis] = slice(offset, None, 2)
        corners.append(block[tuple(index)])
    counts = [sum((c == other).astype(np.uint8) for other in corners) for c in corners]
    best = corners[0]
    best_count = counts[0]
    for candidate, count in zip(corners[1:], counts[1:], strict=True):
        better = count > best_count
        best = np.where(better, candidate, best)
        best_count = np.maximum(best_count, count)
    return np.asarray(best)
