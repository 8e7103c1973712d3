"""Shared fixtures: where the conformance data lives, the command line, and the catalogs that
repository tests run on (SQLite, and PostgreSQL on a throw-away server)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
