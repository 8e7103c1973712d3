"""A private PostgreSQL server in a temporary folder: for tests, benchmarks and trying out a
shared catalog on one machine.

Debian's ``initdb`` and ``pg_ctl`` make a throw-away cluster that listens on 127.0.0.1 at a
free port, with trust authentication for its one superuser; :meth:`LocalPostgres.stop` ends
it and removes the folder. PostgreSQL refuses to run as root, so when started by root the
server runs as an unprivileged system user: ``postgres`` when Debian's package made it,
otherwise ``labelcollections-pg``, created on first use.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

SUPERUSER = "labelcollections"
SERVICE_USERS = ("postgres", "labelcollections-pg")
START_ATTEMPTS = 3


def server_binaries() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if not versions:
        raise RuntimeError("PostgreSQL's server is not installed (apt-get install postgresql)")
    return versions[-1].parent


def service_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None (the caller) unless the caller is root."""
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    name = SERVICE_USERS[-1]
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True,
    )
    return pwd.getpwnam(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalPostgres:
    """A running throw-away server."""

    folder: Path
    port: int
    user: pwd.struct_passwd | None

    @classmethod
    def start(cls, settings: dict[str, str] | None = None) -> LocalPostgres:
        """Make a cluster in a new temporary folder and start it (``settings``: extra
        ``postgresql.conf`` lines, e.g. ``{"shared_buffers": "1GB"}``)."""
        user = service_user()
        folder = Path(tempfile.mkdtemp(prefix="labelcollections-pg-"))
        server = cls(folder, 0, user)
        try:
            if user is not None:
                os.chown(folder, user.pw_uid, user.pw_gid)
            server._run("initdb", "-D", "data", "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                        "--no-locale", "--no-sync")  # fmt: skip
            configuration = {
                "listen_addresses": "'127.0.0.1'",
                "unix_socket_directories": f"'{folder}'",
                "fsync": "off",
                "full_page_writes": "off",
                **(settings or {}),
            }
            with (folder / "data" / "postgresql.conf").open("a") as conf:
                conf.writelines(f"{key} = {value}\n" for key, value in configuration.items())
            server._start()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new, empty database (a copy of ``template`` if given); its URL."""
        name = f"db_{uuid.uuid4().hex[:12]}"
        copy = f" TEMPLATE {template}" if template else ""
        self.execute(f"CREATE DATABASE {name}{copy}")
        return self.url(name)

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE and the like)."""
        engine = create_engine(
            self.url().replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _start(self) -> None:
        """Start on a free port; another process may take the port first, so retry."""
        for attempt in range(START_ATTEMPTS):
            self.port = free_port()
            try:
                self._run("pg_ctl", "-D", "data", "-l", "server.log", "-w", "-t", "60",
                          "-o", f"-p {self.port}", "start")  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if attempt == START_ATTEMPTS - 1:
                    log = (self.folder / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run(
            [str(server_binaries() / program), *arguments],
            cwd=self.folder,
            user=self.user.pw_uid if self.user else None,
            group=self.user.pw_gid if self.user else None,
            extra_groups=[] if self.user else None,
            env={**os.environ, "LC_ALL": "C"},
            check=True,
            capture_output=True,
        )
