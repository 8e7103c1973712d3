"""The write_labels benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "write_labels.py"
RATIO_LINE = re.compile(
    r"RATIO name=write_labels value=\d+\.\d{2} peer=ome-zarr-py\.write_labels target=3"
)


def test_benchmark_writes_equal_outputs_and_ends_with_the_ratio_line() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--size", "1024", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert "level-0 pixels identical: yes" in lines
    assert "same shapes, chunks and codecs: yes" in lines
