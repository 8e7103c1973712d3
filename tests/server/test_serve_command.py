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


def test_serve_reports_a_busy_port_on_one_line(server_url: str, demo_repo: Path) -> None:
    port = server_url.rsplit(":", 1)[1]
    command = [str(Path(sys.executable).parent / "labelcollections"), "serve", str(demo_repo)]
    result = subprocess.run(
        [*command, "--port", port], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--port: a free port" in result.stderr


def test_serve_reports_an_unknown_host_on_one_line(demo_repo: Path) -> None:
    command = [str(Path(sys.executable).parent / "labelcollections"), "serve", str(demo_repo)]
    result = subprocess.run(
        [*command, "--host", "no-such-host.invalid"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--host" in result.stderr


def test_other_host_names_are_refused_unless_allowed(server_url: str) -> None:
    """DNS rebinding: a page elsewhere that points its own name at 127.0.0.1 gets nothing."""
    rebound = httpx.get(f"{server_url}/api/images", headers={"Host": "attacker.example"})
    assert rebound.status_code == 400
    assert rebound.json()["field"] == "host"
    assert httpx.get(f"{server_url}/api/images", headers={"Host": "localhost"}).status_code == 200


def test_head_answers_like_get_without_a_body(server_url: str) -> None:
    get = httpx.get(f"{server_url}/api/images")
    head = httpx.head(f"{server_url}/api/images")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
