"""Running a benchmark script at a small size, as its smoke test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
RunBenchmark = Callable[..., list[str]]


@pytest.fixture
def run_benchmark() -> RunBenchmark:
    """``run_benchmark("x.py", *args)``: the script's output lines; it must exit with 0."""

    def run(script: str, *args: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, str(BENCHMARKS / script), *args],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()

    return run
