"""Remote reads give up after the configured timeout, and their failures (an HTTP status, a
server that never answers, a bad setting) are one ``error:`` line with exit code 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fsspec
import fsspec.config
import pytest

from labelcollections.storage.remote import TIMEOUT_VARIABLE, use_timeouts

Run = Callable[..., tuple[int, str, str]]
CLI = "from labelcollections.cli import main; main()"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """``host:port`` of a server on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    try:
        yield f"{host}:{port}"
    finally:
        stop.set()
        listener.close()
        for connection in accepted:
            connection.close()


class StatusHandler(BaseHTTPRequestHandler):
    """Answers every request with the status its path starts with (``/403/…`` → 403)."""

    def do_GET(self) -> None:
        self.send_response(int(self.path.strip("/").split("/")[0]))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *_: object) -> None:
        """Quiet: the test output is the command's."""


@pytest.fixture(scope="module")
def status_server() -> Iterator[str]:
    """``http://host:port`` of a server answering the status each path asks for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def one_error_line(err: str) -> str:
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "internal" not in lines[0], err
    return lines[0]


def test_a_server_that_never_answers_fails_after_the_timeout(
    silent_server: str, tmp_path: Path
) -> None:
    """Without a timeout this waits for ever (and 30 s per request by default): the process
    limit below is shorter than the default, so only the configured second lets it pass."""
    url = f"http://{silent_server}/x.ome.zarr"
    environment = {**os.environ, TIMEOUT_VARIABLE: "1"}
    done = subprocess.run(
        [sys.executable, "-c", CLI, "validate", url],
        capture_output=True,
        text=True,
        env=environment,
        timeout=25,
        cwd=tmp_path,
    )
    line = one_error_line(done.stderr)
    assert done.returncode == 2
    assert url in line and "timed out" in line and TIMEOUT_VARIABLE in line
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("status", "text"), [(403, "403 Forbidden"), (404, "404 Not Found"), (500, "500 Internal")]
)
@pytest.mark.parametrize("suffix", ["x.ome.zarr", "x.ozx"])
def test_http_errors_are_one_line_naming_the_url_and_status(
    run: Run, status_server: str, status: int, text: str, suffix: str
) -> None:
    url = f"{status_server}/{status}/{suffix}"
    code, out, err = run("validate", url)
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert url in line and text in line


def test_import_of_a_failing_url_writes_nothing(
    run: Run, status_server: str, tmp_path: Path
) -> None:
    from labelcollections.repository import Repository

    Repository.init(tmp_path / "repo").close()
    before = sorted(path.relative_to(tmp_path) for path in (tmp_path / "repo").rglob("*"))
    code, _, err = run("import", tmp_path / "repo", f"{status_server}/500/x.ome.zarr")
    assert code == 2 and "500 Internal Server Error" in one_error_line(err)
    assert sorted(path.relative_to(tmp_path) for path in (tmp_path / "repo").rglob("*")) == before


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf"])
def test_a_bad_timeout_setting_is_one_line(
    run: Run, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(TIMEOUT_VARIABLE, value)
    code, _, err = run("validate", "http://127.0.0.1:9/x.ome.zarr")
    assert code == 2
    assert one_error_line(err).startswith(f"error: {TIMEOUT_VARIABLE}: value: ")


@pytest.fixture
def fresh_fsspec_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsspec's defaults as they are now, restored after the test."""
    snapshot = {protocol: dict(options) for protocol, options in fsspec.config.conf.items()}
    monkeypatch.setattr(fsspec.config, "conf", snapshot)


@pytest.mark.usefixtures("fresh_fsspec_config")
def test_timeouts_reach_http_and_s3_file_systems() -> None:
    use_timeouts(7)
    http = fsspec.filesystem("http", skip_instance_cache=True)
    timeout = http.client_kwargs["timeout"]
    assert (timeout.connect, timeout.sock_connect, timeout.sock_read) == (7, 7, 7)
    assert timeout.total is None  # a large file may take longer, as long as it flows
    s3 = fsspec.filesystem("s3", skip_instance_cache=True, anon=True)
    assert s3.config_kwargs["connect_timeout"] == s3.config_kwargs["read_timeout"] == 7


@pytest.mark.usefixtures("fresh_fsspec_config")
def test_timeouts_keep_other_defaults_and_explicit_options_win() -> None:
    fsspec.config.conf["s3"] = {"config_kwargs": {"max_pool_connections": 3}}
    use_timeouts(5)
    s3 = fsspec.filesystem("s3", skip_instance_cache=True, anon=True)
    assert s3.config_kwargs == {"max_pool_connections": 3, "connect_timeout": 5, "read_timeout": 5}
    explicit = fsspec.filesystem(
        "s3", skip_instance_cache=True, anon=True, config_kwargs={"read_timeout": 99}
    )
    assert explicit.config_kwargs == {"read_timeout": 99}
