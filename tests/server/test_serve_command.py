"""``labelcollections serve``: answers on the demo repository, refuses a folder that is none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx


def test_serve_answers_with_the_repository(server_url: str) -> None:
    images = httpx.get(f"{server_url}/api/images").json()
    assert [image["name"] for image in images] == ["ihc"]
    page = httpx.get(server_url)
    assert page.status_code == 200
    assert "<title>labelcollections</title>" in page.text


def test_serve_refuses_a_folder_that_is_no_repository(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "labelcollections"), "serve", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path}: repository:")
