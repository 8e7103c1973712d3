"""Shared fixtures: where the conformance data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """``shared/conformance`` beside the repository (override: LABELCOLLECTIONS_CONFORMANCE)."""
    configured = os.environ.get("LABELCOLLECTIONS_CONFORMANCE")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "conformance"
    if not path.is_dir():
        pytest.fail(f"conformance data not found at {path}; set LABELCOLLECTIONS_CONFORMANCE")
    return path
