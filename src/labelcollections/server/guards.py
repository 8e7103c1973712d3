"""What stands between the network and the application: the Host header, HEAD requests, and
failed reads of remote stores.

The server binds 127.0.0.1, but a web page elsewhere can still point a name it controls at that
address (DNS rebinding) and read the API through the user's browser; refusing requests whose
``Host`` is not an allowed name closes that door. HEAD is answered like GET without the body,
as HTTP asks. A read of a remote store (an image registered from a URL or kept on S3) that
fails is the remote server's fault, neither the client's nor ours: it is answered 502 (504 when
it timed out) with the one line the command line prints. All three are small ASGI wrappers
(Starlette's TrustedHostMiddleware answers in plain text; ours answer in the API's JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelcollections.errors import RemoteError
from labelcollections.storage.remote import remote_failure

LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
"""The names of this machine a browser uses for a server on the loopback interface."""


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8000`` → ``::1``)."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0].lower()
    return header.rsplit(":", 1)[0].lower() if header.count(":") == 1 else header.lower()


class HostGuard:
    """Refuses (400, JSON) HTTP requests whose ``Host`` is not one of ``allowed``."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(name.lower().strip("[]") for name in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            name = host_name(Headers(scope=scope).get("host", ""))
            if name not in self.allowed:
                await _json_error(send, 400, f"Host {name!r} is not served here", "host")
                return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Answers HEAD as GET, with the same status and headers and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b"", "more_body": False}
                if sent_final[0]:
                    return
                sent_final[0] = True
            await send(message)

        sent_final = [False]
        await self.app({**scope, "method": "GET"}, receive, without_body)


class RemoteFailures:
    """Answers a request whose remote read failed with 502 or 504 and one line (see above),
    unless the response had begun."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def noting_the_start(message: Message) -> None:
            started[0] = started[0] or message["type"] == "http.response.start"
            await send(message)

        started = [False]
        try:
            await self.app(scope, receive, noting_the_start)
        except Exception as error:
            failure = remote_failure(error, None)
            if failure is None or started[0]:
                raise
            extra = {"source": failure.source, "expected": failure.expected}
            await _json_error(send, remote_status(failure), str(failure), failure.field, extra)


def remote_status(failure: RemoteError) -> int:
    """504 Gateway Timeout for a read that timed out, else 502 Bad Gateway."""
    return 504 if failure.field == "read" else 502


async def _json_error(
    send: Send, status: int, detail: str, field: str, extra: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail, "field": field, **(extra or {})}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
