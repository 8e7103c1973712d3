"""``labelcollections serve``: the HTTP API and the web viewer."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from labelcollections.cli.options import repository_argument
from labelcollections.cli.output import console
from labelcollections.errors import InputError

__all__ = ["serve"]


@click.command()
@repository_argument
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Another name the server may be addressed by (the loopback names always are); repeatable.",
)
def serve(repo: str, host: str, port: int, allow_hosts: tuple[str, ...]) -> None:
    """Serve the HTTP API and the web viewer of REPO (read-only)."""
    import uvicorn

    from labelcollections.server import LOCAL_HOSTS, create_app

    app = create_app(repo, allowed_hosts=(*LOCAL_HOSTS, *allow_hosts))
    listening = _listen(host, port)
    console.print(f"serving {Path(repo).resolve()} at http://{host}:{port}/ (Ctrl-C stops)")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, so that a busy port or an unknown host is one line, not a
    traceback of the web server's."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror as error:
        raise InputError(host, "--host", f"a name or address of this machine ({error})") from None
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
    except OSError as error:
        listening.close()
        raise InputError(
            f"{host}:{port}", "--port", f"a free port ({error.strerror}); try another --port"
        ) from None
    listening.listen(128)
    return listening
