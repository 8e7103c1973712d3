"""Integer pairs as text, all at once: the same text Python's own formatting gives."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelcollections.formats.coordinates import pair_text

PAIRS = hnp.arrays(
    np.int64,
    st.tuples(st.integers(0, 40), st.just(2)),
    elements=st.integers(-(2**62), 2**62) | st.integers(-20, 20),
)


@given(PAIRS, st.sampled_from([(b"[", b",", b"],"), (b"", b",", b" "), (b"(", b" ", b")")]))
def test_pairs_are_written_as_python_writes_them(
    pairs: np.ndarray, frame: tuple[bytes, bytes, bytes]
) -> None:
    before, between, after = frame
    text, offsets = pair_text(pairs, before=before, between=between, after=after)
    expected = [
        before + f"{x}".encode() + between + f"{y}".encode() + after for x, y in pairs.tolist()
    ]
    assert text == b"".join(expected)
    assert [text[a:b] for a, b in itertools.pairwise(offsets.tolist())] == expected


def test_no_pairs_no_text() -> None:
    text, offsets = pair_text(np.zeros((0, 2), np.int64), before=b"[", between=b",", after=b"]")
    assert text == b"" and offsets.tolist() == [0]
