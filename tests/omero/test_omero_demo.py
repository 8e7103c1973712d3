"""The OMERO part of the demo: push through ``omero labelcollections``, list, pull back equal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from labelcollections.cli.omero_demo import run_omero_demo
from labelcollections.repository import Repository


def test_the_demo_pushes_lists_and_pulls_back_an_equal_repository(
    demo_repo: Repository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = io.StringIO()
    pulled = run_omero_demo(demo_repo, tmp_path / "pulled", Console(file=output, width=200))
    with pulled:
        assert [label.key for label in pulled.label_images()] == [
            label.key for label in demo_repo.label_images()
        ]
        assert all(c.omero_collection_id is not None for c in pulled.collections())
    text = output.getvalue()
    assert "$ omero labelcollections list" in text
    assert f"pulled back into {tmp_path / 'pulled'}: equal to {demo_repo.root}" in text
    listed = capsys.readouterr().out
    assert "label images: 3 added (nuclei@v1, nuclei@v2, stains@v1)" in listed
    for row in ("nuclei@v1", "nuclei@v2", "stains@v1", "tissue_classes", "reviewed"):
        assert row in listed
