"""A repository whose image is read from a URL: when that server fails, the API answers
502 (504 when it timed out) with the same one line as the command line, not a bare 500."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.server.conftest import serving

from labelcollections.repository import Repository
from labelcollections.server import create_app
from labelcollections.storage.remote import TIMEOUT_VARIABLE


class SlowingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, and stops answering (for ten seconds) once its server is told to."""

    def do_GET(self) -> None:
        if self.server.hanging.is_set():  # type: ignore[attr-defined]
            time.sleep(10)
        super().do_GET()

    def log_message(self, *_: object) -> None:
        """Quiet."""


@dataclass
class Upstream:
    """A repository whose image ``remote`` is read from ``server``."""

    repo: Path
    server: http.server.ThreadingHTTPServer
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def upstream(tmp_path: Path, conformance_dir: Path) -> Iterator[Upstream]:
    served = tmp_path / "served"
    shutil.copytree(
        conformance_dir / "biohackathon/test-zarr/1ch_plus_explicit_labels.ome.zarr",
        served / "remote.ome.zarr",
    )
    handler = functools.partial(SlowingHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.hanging = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(f"http://127.0.0.1:{server.server_address[1]}/remote.ome.zarr", "remote")
    upstream = Upstream(tmp_path / "repo", server, thread)
    yield upstream
    server.hanging.clear()  # type: ignore[attr-defined]
    if thread.is_alive():
        upstream.stop()


def test_a_remote_image_that_stops_answering_is_a_bad_gateway(upstream: Upstream) -> None:
    app = create_app(upstream.repo, chunk_cache_bytes=0)
    with TestClient(app, base_url="http://localhost") as client:
        assert client.get("/api/images/remote/tiles/0/0/0.png").status_code == 200
        upstream.stop()
        response = client.get("/api/images/remote/tiles/0/0/0.png")
    assert response.status_code == 502, response.text
    body = response.json()
    assert (body["source"], body["field"]) == (
        f"127.0.0.1:{upstream.server.server_address[1]}",
        "connection",
    )
    assert "\n" not in body["detail"] and body["detail"].startswith(body["source"])


def test_a_remote_image_that_hangs_is_a_gateway_timeout(
    upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server process reads with ``LABELCOLLECTIONS_TIMEOUT`` (1 s here), so the hanging
    upstream is reported long before it would answer."""
    monkeypatch.setenv(TIMEOUT_VARIABLE, "1")
    with serving(upstream.repo, tmp_path / "serve.log") as url:
        upstream.server.hanging.set()  # type: ignore[attr-defined]
        response = httpx.get(f"{url}/api/images/remote/tiles/0/0/0.png", timeout=9)
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["field"] == "read"
    assert "timed out" in body["detail"] and TIMEOUT_VARIABLE in body["detail"]
