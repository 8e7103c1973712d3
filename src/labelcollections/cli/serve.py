"""``labelcollections serve``: the HTTP API and the web viewer."""

from __future__ import annotations

from pathlib import Path

import click

from labelcollections.cli.options import repository_argument
from labelcollections.cli.output import console

__all__ = ["serve"]


@click.command()
@repository_argument
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def serve(repo: str, host: str, port: int) -> None:
    """Serve the HTTP API and the web viewer of REPO (read-only)."""
    import uvicorn

    from labelcollections.server import create_app

    app = create_app(repo)
    console.print(f"serving {Path(repo).resolve()} at http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
