"""The masks benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "omero_rois", reason="omero-rois (and omero-py with zeroc-ice) not installed; make test does"
)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "masks.py"
RATIO_LINE = re.compile(
    r"RATIO name=masks value=\d+\.\d{2} peer=omero_rois\.masks_from_label_image target=20"
)


def test_benchmark_finds_identical_masks_and_ends_with_the_ratio_line() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--size", "800", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert lines[0].startswith("label image 800×800 uint32, 100 instances")
    assert "masks: 100 ours, 100 peer" in lines
    assert "mask boxes and bytes identical: yes" in lines
