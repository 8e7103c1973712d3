"""Geometry rules between a label image and its reference image."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from labelcollections.errors import InputError
from labelcollections.model.images import Level
from labelcollections.model.vocabulary import LABEL_DTYPES

NGFF_AXIS_ORDER = ("t", "c", "z", "y", "x")
AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
PYRAMID_AXES = ("y", "x")
"""Axes halved from one pyramid level to the next (z is kept, as most viewers expect)."""


def ngff_axis_order(axes: Sequence[str], source: str) -> list[int]:
    """The transposition that puts ``axes`` (a subset of t, c, z, y, x) in NGFF order."""
    if any(axis not in NGFF_AXIS_ORDER for axis in axes) or len(set(axes)) != len(axes):
        raise InputError(
            source, "axes", f"distinct axes among t, c, z, y, x (got {''.join(axes)!r})"
        )
    if not {"y", "x"} <= set(axes):
        raise InputError(source, "axes", f"axes including y and x (got {''.join(axes)!r})")
    return sorted(range(len(axes)), key=lambda i: NGFF_AXIS_ORDER.index(axes[i]))


def level_shapes(
    shape: Sequence[int], axes: Sequence[str], min_size: int = 256
) -> list[tuple[int, ...]]:
    """Halve y and x (rounding down) until the larger of them fits in ``min_size``."""
    shapes = [tuple(shape)]
    spatial = [i for i, name in enumerate(axes) if name in PYRAMID_AXES]
    while (
        max(shapes[-1][i] for i in spatial) > min_size and min(shapes[-1][i] for i in spatial) >= 2
    ):
        shapes.append(tuple(n // 2 if i in spatial else n for i, n in enumerate(shapes[-1])))
    return shapes


def image_levels(
    shape: Sequence[int],
    axes: Sequence[str],
    scale: Sequence[float],
    given: Sequence[Sequence[int]] = (),
) -> tuple[Level, ...]:
    """Pyramid levels of a new image, scales grown to match: the leading ``given`` level
    shapes (a source's own pyramid) that halve cleanly, then :func:`level_shapes` on."""
    kept = [tuple(shape), *(tuple(s) for s in halving_prefix(given, axes)[1:])]
    shapes = kept[:-1] + level_shapes(kept[-1], axes)
    return tuple(
        Level(
            path=str(index),
            shape=level_shape,
            scale=tuple(
                size * base / n for size, base, n in zip(scale, shape, level_shape, strict=True)
            ),
        )
        for index, level_shape in enumerate(shapes)
    )


def halving_prefix(shapes: Sequence[Sequence[int]], axes: Sequence[str]) -> list[tuple[int, ...]]:
    """The leading ``shapes`` in which each level halves the one before in y and x (rounding
    down or up) and keeps every other axis."""
    kept: list[tuple[int, ...]] = []
    for shape in shapes:
        current = tuple(int(n) for n in shape)
        if kept and not all(
            (n in (p // 2, (p + 1) // 2) and p > 1) if axis in PYRAMID_AXES else n == p
            for n, p, axis in zip(current, kept[-1], axes, strict=True)
        ):
            break
        kept.append(current)
    return kept


def label_axes_order(
    label_axes: Sequence[str] | None, label_ndim: int, reference_axes: Sequence[str], source: str
) -> tuple[list[int], tuple[str, ...]]:
    """How to bring label pixels into the reference's axis order.

    Returns the transposition of the label array and the reference axes it then covers. Without
    named axes, the label's axes are taken to be the reference's last ``ndim`` axes (a 2D mask of
    a (c, y, x) image is a (y, x) mask). Missing axes become size 1 later.
    """
    if label_axes is None:
        if label_ndim > len(reference_axes):
            raise InputError(
                source,
                "shape",
                f"at most {len(reference_axes)} dimensions like the reference image"
                f" {tuple(reference_axes)} (got {label_ndim})",
            )
        return list(range(label_ndim)), tuple(reference_axes[len(reference_axes) - label_ndim :])
    unknown = [axis for axis in label_axes if axis not in reference_axes]
    if unknown or len(set(label_axes)) != len(label_axes):
        raise InputError(
            source,
            "axes",
            f"axes among the reference image's {tuple(reference_axes)} (got {tuple(label_axes)})",
        )
    covered = tuple(axis for axis in reference_axes if axis in label_axes)
    return [list(label_axes).index(axis) for axis in covered], covered


def expanded_shape(
    shape: Sequence[int], covered: Sequence[str], reference_axes: Sequence[str]
) -> tuple[int, ...]:
    """The label shape in all reference axes, 1 where the label lacks an axis."""
    sizes = dict(zip(covered, shape, strict=True))
    return tuple(sizes.get(axis, 1) for axis in reference_axes)


PLANE_AXES = frozenset({"y", "x"})
"""The axes a label image always shares with its image."""


def check_label_shape(
    shape: Sequence[int], reference_shape: Sequence[int], reference_axes: Sequence[str], source: str
) -> None:
    """Each label dimension equals the image's or is 1 (an irrelevant axis, as NGFF says), and
    y and x always equal the image's: a label image covers the image's plane."""
    if len(shape) != len(reference_shape) or any(
        n != r if axis in PLANE_AXES else n not in (r, 1)
        for n, r, axis in zip(shape, reference_shape, reference_axes, strict=True)
    ):
        raise InputError(
            source,
            "shape",
            f"the reference image's shape {tuple(reference_shape)} over axes"
            f" {tuple(reference_axes)}, or 1 in an irrelevant axis (got {tuple(shape)})",
        )


def check_label_dtype(dtype: str, source: str) -> None:
    if dtype not in LABEL_DTYPES:
        raise InputError(
            source, "dtype", f"integer label pixels ({', '.join(LABEL_DTYPES)}) (got {dtype})"
        )


def label_levels(shape: Sequence[int], image_levels: Sequence[Level]) -> tuple[Level, ...]:
    """Label pyramid levels matching the image's, keeping size-1 axes at size 1 and scale 1."""
    return tuple(
        level.model_copy(
            update={
                "shape": tuple(1 if n == 1 else s for n, s in zip(shape, level.shape, strict=True))
            }
        )
        for level in image_levels
    )


def chunk_regions(shape: Sequence[int], chunks: Sequence[int]) -> Iterator[tuple[slice, ...]]:
    """The region of each chunk of ``shape`` in C order (edge chunks cut to the shape)."""
    sizes = [max(1, int(c)) for c in chunks]
    starts = [range(0, n, c) for n, c in zip(shape, sizes, strict=True)]
    for corner in itertools.product(*starts):
        yield tuple(
            slice(start, min(start + c, n))
            for start, c, n in zip(corner, sizes, shape, strict=True)
        )


def chunk_shape(array: Any) -> tuple[int, ...] | None:
    """The chunk shape of a Zarr (``chunks``) or dask (``chunksize``) array; None for arrays
    without regular chunks (numpy)."""
    chunks = getattr(array, "chunksize", None) or getattr(array, "chunks", None)
    if not chunks or not all(isinstance(size, int) for size in chunks):
        return None
    return tuple(int(size) for size in chunks)
