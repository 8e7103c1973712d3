"""The polygons benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

RATIO_LINE = re.compile(
    r"RATIO name=polygons value=\d+\.\d{2} peer=skimage\.measure\.find_contours target=10"
)


def test_benchmark_gives_the_pixels_back_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("polygons.py", "--size", "800", "--repeats", "1")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert lines[0].startswith("label image 800×800 uint32, 100 instances")
    assert "our GeoJSON rasterises back to the label image: yes" in lines
    rows = [line for line in lines if line.startswith(("labelcollections", "find_objects"))]
    assert [row.split()[-2] for row in rows] == ["100", "100"]
