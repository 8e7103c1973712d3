"""The big-image benchmark runs end to end at a small size: every step succeeds, the checks
hold and it ends with a well-formed ratio line."""

from __future__ import annotations

import re
from collections.abc import Callable

RATIO_LINE = re.compile(
    r"RATIO name=big_image value=\d+\.\d{2} peer=ome-zarr-py\.write_labels target=1"
)


def test_benchmark_measures_each_step_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("big_image.py", "--size", "2048")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert "instance table rows: 1,024 (objects 1,024)" in "\n".join(lines)
    steps = [line for line in lines if line.startswith(("add-", "ome-zarr-py"))]
    assert len(steps) == 4
    assert all(float(line.split()[-1]) > 0 for line in steps)  # a peak RSS for each step
