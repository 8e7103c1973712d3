"""The instances and compare benchmarks run at a small size, check their results against the
peer and end with a well-formed ratio line."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest


@pytest.mark.parametrize(
    ("script", "args", "ratio", "check"),
    [
        (
            "instances.py",
            ("--size", "600", "--repeats", "1"),
            r"RATIO name=instances value=\d+\.\d{2} peer=skimage\.measure\.regionprops_table"
            r" target=10",
            "rows: 49; columns agree with regionprops: yes",
        ),
        (
            "compare.py",
            ("--size", "400", "--repeats", "1", "--peer-sample", "0"),
            r"RATIO name=compare value=\d+\.\d{2} peer=per-instance-iou-loop target=50",
            "matches equal (sampled objects, every object of the cut loop): yes",
        ),
    ],
)
def test_benchmark_agrees_with_its_peer_and_ends_with_the_ratio(
    run_benchmark: Callable[..., list[str]],
    script: str,
    args: tuple[str, ...],
    ratio: str,
    check: str,
) -> None:
    lines = run_benchmark(script, *args)
    assert re.fullmatch(ratio, lines[-1]), lines[-1]
    assert check in lines
