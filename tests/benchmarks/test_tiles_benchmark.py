"""The tiles benchmark runs end to end at a small size, without errors under load, and reports
a well-formed ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

SMALL = ["--size", "1024", "--tiles", "4", "--rounds", "1", "--requests", "60", "--workers", "4"]
RATIO_LINE = re.compile(r"RATIO name=tiles value=\d+\.\d{2} peer=zarr raw chunk read target=0\.5")


def test_benchmark_serves_tiles_under_load_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("tiles.py", *SMALL)
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    load = next(line for line in lines if line.startswith("load: "))
    assert load.startswith("load: 60 of 60 requests from 4 clients")
    assert load.endswith("errors 0")
