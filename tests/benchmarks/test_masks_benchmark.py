"""The masks benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

pytest.importorskip(
    "omero_rois", reason="omero-rois (and omero-py with zeroc-ice) not installed; make test does"
)

RATIO_LINE = re.compile(
    r"RATIO name=masks value=\d+\.\d{2} peer=omero_rois\.masks_from_label_image target=20"
)


def test_benchmark_finds_identical_masks_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("masks.py", "--size", "800", "--repeats", "1")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert lines[0].startswith("label image 800×800 uint32, 100 instances")
    assert "masks: 100 ours, 100 peer" in lines
    assert "mask boxes and bytes identical: yes" in lines
