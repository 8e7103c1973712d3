"""Fixtures of the server tests: the demo repository, an API client and a running server."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from labelcollections.demo import run_demo
from labelcollections.progress import SilentProgress
from labelcollections.repository import Repository
from labelcollections.server import create_app


@pytest.fixture(scope="session")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository: image ``ihc`` with nuclei@v1, nuclei@v2 (from v1) and stains@v1."""
    directory = tmp_path_factory.mktemp("demo")
    repository = run_demo(directory, SilentProgress(), Console(file=io.StringIO()))
    repository.close()
    return directory / "repo"


@pytest.fixture(scope="session")
def repository(demo_repo: Path) -> Iterator[Repository]:
    with Repository.open(demo_repo) as opened:
        yield opened


@pytest.fixture(scope="session")
def client(demo_repo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(demo_repo), base_url="http://localhost") as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(repo: Path, log: Path) -> Iterator[str]:
    """``labelcollections serve`` on ``repo``, on a free port of 127.0.0.1, until the block ends."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "labelcollections"), "serve", str(repo)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/images", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def server_url(demo_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``labelcollections serve`` on the demo repository."""
    with serving(demo_repo, tmp_path_factory.mktemp("server") / "serve.log") as url:
        yield url
