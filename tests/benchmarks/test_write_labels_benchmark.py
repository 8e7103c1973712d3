"""The write_labels benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

RATIO_LINE = re.compile(
    r"RATIO name=write_labels value=\d+\.\d{2} peer=ome-zarr-py\.write_labels target=3"
)


def test_benchmark_writes_equal_outputs_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("write_labels.py", "--size", "1024", "--repeats", "1")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert "level-0 pixels identical: yes" in lines
    assert "same shapes, chunks and codecs: yes" in lines
