"""Shared fixtures: where the conformance data lives, the command line, the catalogs that
repository tests run on (SQLite, and PostgreSQL on a throw-away server), and an S3 server
(moto's, on 127.0.0.1)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import s3fs
from hypothesis import HealthCheck, settings
from moto.server import ThreadedMotoServer

from labelcollections.catalog import ENVIRONMENT_VARIABLE, Catalog
from labelcollections.catalog.local_server import LocalPostgres
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


BUCKET = "images"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[s3fs.S3FileSystem]:
    """moto's S3 server on a free port of 127.0.0.1 with an empty bucket ``images``; the AWS
    environment (``AWS_ENDPOINT_URL`` and test credentials) points at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=30)  # moto keeps state per process
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    s3fs.S3FileSystem.clear_instance_cache()
    filesystem = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    filesystem.mkdir(BUCKET)
    try:
        yield filesystem
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


TEMPLATE_DATABASE = "catalog_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server for this test process, with a database at the current catalog
    schema to copy (``TEMPLATE_DATABASE``); stopped and removed afterwards."""
    server = LocalPostgres.start()
    try:
        server.execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        Catalog.upgrade(server.url(TEMPLATE_DATABASE))
        yield server
    finally:
        server.stop()


NewCatalog = Callable[[], str | None]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def new_catalog(request: pytest.FixtureRequest) -> NewCatalog:
    """Catalog URLs for new repositories: None (the SQLite default), or a new empty database
    on the test server for each call. Tests using it run on both catalogs."""
    if request.param == "sqlite":
        return lambda: None
    server: LocalPostgres = request.getfixturevalue("postgres")
    return lambda: server.create_database(template=TEMPLATE_DATABASE)


@pytest.fixture(autouse=True)
def _no_catalog_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """New repositories get the catalog a test asks for, whatever the shell sets."""
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
