"""Which database holds the catalog, and how to connect to it.

A catalog is named by an SQLAlchemy URL: ``sqlite:///<file>`` (the embedded default; a relative
path is taken from the repository's folder) or ``postgresql://user@host:port/database`` for a
shared server (plain ``postgresql`` means the psycopg 3 driver). The repository records the URL
without its password: libpq's own sources (``PGPASSWORD``, ``~/.pgpass``) supply it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from labelcollections.errors import InputError

SQLITE_DEFAULT = "sqlite:///catalog.sqlite"
"""The embedded default: ``catalog.sqlite`` in the repository's folder."""
ENVIRONMENT_VARIABLE = "LABELCOLLECTIONS_CATALOG"
"""Sets the catalog URL of new repositories when ``--catalog`` is not given."""
BUSY_TIMEOUT_SECONDS = 60.0
"""How long an SQLite writer waits for the database's write lock."""
WRITE_OPTION = "labelcollections_write"
"""Execution option marking a connection whose transactions write (SQLite: BEGIN IMMEDIATE)."""
EXPECTED_URL = "an SQLAlchemy URL: sqlite:///catalog.sqlite or postgresql://user@host:5432/db"


def parse_catalog_url(text: str) -> URL:
    """The URL of a catalog, with the driver we use filled in; bad URLs are input errors."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise InputError(text, "catalog", EXPECTED_URL) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        elif url.get_driver_name() != "psycopg":
            raise InputError(text, "catalog driver", "psycopg (postgresql:// URLs use psycopg 3)")
        if not url.database:
            raise InputError(text, "catalog database", "a database name after the host")
    elif backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InputError(text, "catalog", "an SQLite file (sqlite:///path/to/catalog.sqlite)")
    else:
        raise InputError(text, "catalog", EXPECTED_URL)
    return url


def recorded_url(url: URL) -> str:
    """The URL as the repository records it: without password (``URL.set`` cannot unset
    one, hence the named tuple's ``_replace``)."""
    return url._replace(password=None).render_as_string(hide_password=False)


def shown_url(url: URL) -> str:
    """The URL as messages show it."""
    return url.render_as_string(hide_password=True)


def located(url: URL, root: Path) -> URL:
    """``url`` with a relative SQLite path taken from the repository's folder ``root``."""
    if is_sqlite(url) and url.database and not Path(url.database).is_absolute():
        return url.set(database=str(root / url.database))
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_catalog_engine(url: URL) -> Engine:
    """An engine for the catalog at ``url``, set up for concurrent writers."""
    if not is_sqlite(url):
        return create_engine(
            url, connect_args={"connect_timeout": 10, "application_name": "labelcollections"}
        )
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on; write-ahead log so readers never wait for the writer; transactions
    begun by SQLAlchemy (below) rather than by the driver, which would begin them too late to
    take the write lock first."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    """Writers take SQLite's single write lock when they begin (waiting up to the busy
    timeout), so what a writer read stays true until it commits."""
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
