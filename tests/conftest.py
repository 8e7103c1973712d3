"""Shared fixtures: where the conformance data lives."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from labelcollections.cli import main

# Property tests run beside other work on two cores: time limits would make them flaky.
settings.register_profile(
    "labelcollections", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("labelcollections")
# The codecs handle integers of any size; let failure reports print them too.
sys.set_int_max_str_digits(0)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """``shared/conformance`` beside the repository (override: LABELCOLLECTIONS_CONFORMANCE)."""
    configured = os.environ.get("LABELCOLLECTIONS_CONFORMANCE")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "conformance"
    if not path.is_dir():
        pytest.fail(f"conformance data not found at {path}; set LABELCOLLECTIONS_CONFORMANCE")
    return path


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the command line in-process: ``run(*args)`` gives (exit code, stdout, stderr)."""

    def invoke(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
