"""The ingest benchmark runs end to end at a small size and reports a well-formed ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

RATIO_LINE = re.compile(r"RATIO name=ingest value=\d+\.\d{2} peer=serial target=1\.6")


@pytest.mark.slow
def test_benchmark_ingests_serially_on_a_cluster_and_on_s3(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("ingest.py", "--items", "6", "--s3-items", "2", "--size", "128")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    assert lines[0] == "6 items: 128×128 uint16 image + uint32 instance labels"
    assert any(line.startswith("cluster ×2") for line in lines)
    assert any(line.startswith("2 items serially: disk") and "S3 (moto)" in line for line in lines)
