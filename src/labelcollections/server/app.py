"""The web application: JSON API, tiles and the viewer page of one repository.

``create_app(path)`` opens the repository read-only in spirit (nothing here writes) and wires
the routers. Mistakes come back as JSON with a status code: 404 for unknown ids, 422 for bad
parameters, 409 for conflicts, each with the one-line message the command line would print.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from labelcollections import __version__
from labelcollections.errors import ConflictError, InputError, NotFoundError, RemoteError
from labelcollections.repository import Repository
from labelcollections.server import api, tile_api
from labelcollections.server.context import CHUNK_CACHE_BYTES, ServerContext
from labelcollections.server.guards import (
    LOCAL_HOSTS,
    HeadAsGet,
    HostGuard,
    RemoteFailures,
    remote_status,
)

LOGGER = logging.getLogger("labelcollections.server")
STATIC_DIR = Path(__file__).parent / "static"
VIEWER_LIBRARY = STATIC_DIR / "vendor" / "openseadragon.min.js"
MISSING_BUNDLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Viewer not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The viewer's browser library is missing</h1>
<p>The page needs OpenSeadragon, which is bundled into the package when it is built:
<code>make bundle</code> (or <code>cd web &amp;&amp; npm ci</code> and copy
<code>node_modules/openseadragon/build/openseadragon/openseadragon.min.js</code> to
<code>{target}</code>), then reinstall the package.</p>
<p>The JSON API works without it: <a href="/docs">/docs</a>.</p>
</body></html>
"""


def create_app(
    repository_path: str | Path,
    chunk_cache_bytes: int = CHUNK_CACHE_BYTES,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
) -> FastAPI:
    """The application serving the repository at ``repository_path`` to requests addressed
    to one of ``allowed_hosts`` (the loopback names by default)."""
    repository = Repository.open(repository_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        repository.close()

    app = FastAPI(
        title="labelcollections",
        version=__version__,
        description="Reference images, label collections, provenance and tiles of a"
        " labelcollections repository.",
        lifespan=lifespan,
    )
    app.state.context = ServerContext(repository, chunk_cache_bytes)
    # Tile routes first: a label reference in the API's paths may hold "/".
    app.include_router(tile_api.router)
    app.include_router(api.router)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(RemoteFailures)
    app.add_middleware(HeadAsGet)
    app.add_middleware(HostGuard, allowed=allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False, response_model=None)
    def page() -> FileResponse | HTMLResponse:
        if not VIEWER_LIBRARY.is_file():
            return HTMLResponse(MISSING_BUNDLE_PAGE.format(target=VIEWER_LIBRARY), 503)
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return app


async def _input_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InputError)
    status = (
        404
        if isinstance(error, NotFoundError)
        else 409
        if isinstance(error, ConflictError)
        else remote_status(error)
        if isinstance(error, RemoteError)
        else 422
    )
    return JSONResponse(
        {
            "detail": str(error),
            "source": error.source,
            "field": error.field,
            "expected": error.expected,
        },
        status_code=status,
    )


async def _internal_error(_: Request, error: Exception) -> JSONResponse:
    """A failure that is not the client's: logged here, answered without internals."""
    LOGGER.error("internal error", exc_info=error)
    return JSONResponse({"detail": "internal error; the server's log has the details"}, 500)
