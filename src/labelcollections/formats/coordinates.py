"""Integer coordinates as text, all at once: GeoJSON positions and OMERO ``points``.

Writing millions of vertices one ``str(int)`` at a time dominates any polygon export, so pairs
are formatted with array arithmetic instead: the decimal digits of every number are computed
together, one digit position at a time, laid out in fixed-width cells, and the unused cells
(leading zeros) are dropped.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pair_text"]

Column = tuple[np.ndarray, np.ndarray | None]
"""One character position of a number: ASCII codes, and where it is used (None: everywhere)."""


def _columns(values: np.ndarray) -> tuple[list[Column], np.ndarray]:
    """Cell columns of signed integers, and the number of characters of each."""
    magnitude = np.abs(values)
    largest = int(magnitude.max()) if values.size else 0
    width = len(str(largest))
    # 32-bit division is several times faster than 64-bit where the numbers allow it.
    rest = magnitude.astype(np.int32) if largest < 2**31 else magnitude
    negative = values < 0
    columns: list[Column] = [(np.where(negative, ord("-"), 0).astype(np.uint8), negative)]
    digits = []
    for _ in range(width):
        digits.append((rest % 10).astype(np.uint8) + ord("0"))
        rest = rest // 10
    lengths = negative.astype(np.int64) + 1
    for position, digit in enumerate(reversed(digits)):
        smallest = 10 ** (width - 1 - position)
        used = None if smallest == 1 else magnitude >= smallest
        if used is not None:
            lengths += used
        columns.append((digit, used))
    return columns, lengths


def _literal(text: bytes, rows: int) -> list[Column]:
    return [(np.full(rows, byte, dtype=np.uint8), None) for byte in text]


def pair_text(
    pairs: np.ndarray, *, before: bytes, between: bytes, after: bytes
) -> tuple[bytes, np.ndarray]:
    """``before + x + between + y + after`` for every row (x, y) of integer ``pairs``, all
    concatenated, and the offset where each row's text starts (one more offset at the end)."""
    values = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    rows = len(values)
    xs, x_lengths = _columns(values[:, 0])
    ys, y_lengths = _columns(values[:, 1])
    columns = [*_literal(before, rows), *xs, *_literal(between, rows), *ys, *_literal(after, rows)]
    cells = np.empty((rows, len(columns)), dtype=np.uint8)
    used = np.ones((rows, len(columns)), dtype=bool)
    for index, (codes, mask) in enumerate(columns):
        cells[:, index] = codes
        if mask is not None:
            used[:, index] = mask
    lengths = x_lengths + y_lengths + len(before) + len(between) + len(after)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return cells[used].tobytes(), offsets
