"""Remote reads (http, https, s3): how long they may wait, and their failures as one line.

Every remote store and file is opened through fsspec, whose file systems take their default
options from ``fsspec.config.conf`` per protocol. Setting the timeouts there reaches every
opening at once (Zarr's stores, ``fsspec.open``, zip files read over HTTP) without passing
options through each call. A server that accepts a connection and never answers then fails
the read after :func:`remote_timeout` seconds instead of holding the command for ever.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import aiohttp
import fsspec.config

from labelcollections.errors import InputError, LabelCollectionsError, RemoteError

__all__ = [
    "DEFAULT_TIMEOUT",
    "TIMEOUT_VARIABLE",
    "reading",
    "remote_failure",
    "remote_timeout",
    "use_timeouts",
]

TIMEOUT_VARIABLE = "LABELCOLLECTIONS_TIMEOUT"
"""Seconds a remote read may wait to connect, and then for each piece of an answer."""
DEFAULT_TIMEOUT = 30.0


def remote_timeout() -> float:
    """The timeout that :data:`TIMEOUT_VARIABLE` sets, :data:`DEFAULT_TIMEOUT` without it."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InputError(TIMEOUT_VARIABLE, "value", f"a number of seconds above 0 (got {text!r})")
    return seconds


def use_timeouts(seconds: float) -> None:
    """Make ``seconds`` the connect and read timeouts of every http(s) and s3 file system
    opened from now on (options given to a file system explicitly still win)."""
    http_timeout = aiohttp.ClientTimeout(
        total=None, connect=seconds, sock_connect=seconds, sock_read=seconds
    )
    for protocol in ("http", "https"):
        options = fsspec.config.conf.setdefault(protocol, {})
        options["client_kwargs"] = {**options.get("client_kwargs", {}), "timeout": http_timeout}
    s3 = fsspec.config.conf.setdefault("s3", {})
    s3["config_kwargs"] = {
        **s3.get("config_kwargs", {}),
        "connect_timeout": seconds,
        "read_timeout": seconds,
    }


@contextmanager
def reading(location: str) -> Iterator[None]:
    """Failures of remote reads of ``location`` inside the block become one-line
    :class:`RemoteError` errors (:func:`remote_failure`). A missing file (HTTP 404) stays a
    :class:`FileNotFoundError` for the caller to report or pass over; other errors pass
    unchanged."""
    try:
        yield
    except LabelCollectionsError:
        raise
    except Exception as error:
        failure = remote_failure(error, location)
        if failure is None or _missing(error):
            raise
        raise failure from None


def _missing(error: BaseException) -> bool:
    """True for a file that is not there, rather than one the server would not give."""
    causes = _chain(error)[1:]
    return isinstance(error, FileNotFoundError) and not any(
        isinstance(cause, TimeoutError | aiohttp.ClientConnectionError)
        or (isinstance(cause, aiohttp.ClientResponseError) and cause.status != 404)
        for cause in causes
    )


def remote_failure(error: BaseException, location: str | None) -> RemoteError | None:
    """The one-line error for a read of ``location`` (None: not known) that failed with
    ``error`` or an error it was raised from: an HTTP status, a timeout, a refused connection,
    missing credentials. None when ``error`` is none of these."""
    source = location or "remote read"
    chain = _chain(error)
    for cause in chain:
        if isinstance(cause, aiohttp.ClientResponseError):
            url = str(cause.request_info.real_url) if cause.request_info else source
            return RemoteError(
                url, "HTTP", f"a readable URL (the server answered {_status(cause)})"
            )
    for cause in chain:
        if isinstance(cause, TimeoutError) or type(cause).__name__ in _TIMEOUT_ERRORS:
            return RemoteError(source, "read", _timed_out())
        if isinstance(cause, aiohttp.ClientConnectionError | ConnectionError):
            if location is None and isinstance(cause, aiohttp.ClientConnectorError):
                source = f"{cause.host}:{cause.port}"
            return RemoteError(source, "connection", f"a reachable server ({_first_line(cause)})")
        if type(cause).__name__ in _CREDENTIAL_ERRORS:
            return RemoteError(source, "credentials", f"credentials for it ({_first_line(cause)})")
    if isinstance(error, FileNotFoundError) and _is_http(location):
        # fsspec turns an HTTP 404 into FileNotFoundError, the only status it does so for.
        return RemoteError(source, "HTTP", "a readable URL (the server answered 404 Not Found)")
    return None


_CREDENTIAL_ERRORS = frozenset({"NoCredentialsError", "PartialCredentialsError"})
"""botocore's errors for missing credentials (matched by name: botocore is optional)."""
_TIMEOUT_ERRORS = frozenset({"ConnectTimeoutError", "ReadTimeoutError"})
"""botocore's timeouts, which are not :class:`TimeoutError`."""


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from or while handling, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not known for known in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_http(location: str | None) -> bool:
    """True for http(s) URLs, also inside a chained URL (``zip://…::https://…``)."""
    outer = (location or "").rsplit("::", 1)[-1]
    return urlsplit(outer).scheme in ("http", "https")


def _status(error: aiohttp.ClientResponseError) -> str:
    return f"{error.status} {error.message}".strip()


def _timed_out() -> str:
    return (
        f"an answer in time (timed out; {TIMEOUT_VARIABLE} sets the seconds to wait,"
        f" {DEFAULT_TIMEOUT:g} by default)"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
