"""``omero.client`` and the session's ``ServiceFactory`` for the in-memory server.

:class:`InMemoryClient` answers what omero-py's ``BlitzGateway`` and the ``omero`` command's
session store ask of an ``omero.client`` (create or join a session, the implicit context,
properties, keep-alive, close or kill), and its ``sf`` hands out the services of
:mod:`.services` bound to that session.
"""

from __future__ import annotations

from typing import Any

import omero

from labelcollections.omero.testing import services
from labelcollections.omero.testing.server import InMemoryServer, Session
from labelcollections.omero.testing.tables import SharedResources

__all__ = ["InMemoryClient", "ServiceFactory"]

HOST = "in-memory"
"""The host name clients of the in-memory server report."""


class ServiceFactory:
    """The services of one session (``client.sf``)."""

    def __init__(self, server: InMemoryServer, session: Session) -> None:
        self._server = server
        self._session = session

    def _service(self, cls: type[services.Service]) -> Any:
        self._server.session(self._session.uuid)
        return cls(self._server, self._session)

    def getQueryService(self) -> Any:
        return self._service(services.Query)

    def getUpdateService(self) -> Any:
        return self._service(services.Update)

    def getAdminService(self) -> Any:
        return self._service(services.Admin)

    def getConfigService(self) -> Any:
        return self._service(services.Config)

    def getContainerService(self) -> Any:
        return self._service(services.Container)

    def getRoiService(self) -> Any:
        return self._service(services.RoiService)

    def getPixelsService(self) -> Any:
        return self._service(services.Pixels)

    def getSessionService(self) -> Any:
        return self._service(services.SessionService)

    def createRawFileStore(self) -> Any:
        return self._service(services.RawFileStore)

    def createRawPixelsStore(self) -> Any:
        return self._service(services.RawPixelsStore)

    def sharedResources(self) -> Any:
        return self._service(SharedResources)

    def submit(self, request: Any, ctx: dict[str, str] | None = None) -> Any:
        self._server.session(self._session.uuid)
        self._server.call("ServiceFactory.submit")
        return services.submit(self._server, self._session, request)

    def keepAlive(self, proxy: Any, ctx: dict[str, str] | None = None) -> bool:
        self._server.session(self._session.uuid).keep_alives += 1
        return True

    def ice_getIdentity(self) -> Any:
        identity = services._Identity(self._session.uuid)
        return identity

    def detachOnDestroy(self, ctx: dict[str, str] | None = None) -> None:
        """Sessions of this server outlive their clients unless killed."""

    def closeOnDestroy(self, ctx: dict[str, str] | None = None) -> None:
        """Sessions of this server outlive their clients unless killed."""

    def destroy(self, ctx: dict[str, str] | None = None) -> None:
        """Detach: the session stays until it is killed."""


class _ImplicitContext:
    def __init__(self) -> None:
        self._context: dict[str, str] = {}

    def getContext(self) -> dict[str, str]:
        return dict(self._context)


class _Properties:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def getProperty(self, key: str) -> str:
        return self._values.get(key, "")

    def setProperty(self, key: str, value: str) -> None:
        self._values[key] = value


class InMemoryClient:
    """An ``omero.client`` connected to the in-memory server."""

    def __init__(self, server: InMemoryServer, port: int = 4064) -> None:
        self._server = server
        self._properties = _Properties({"omero.host": HOST, "omero.port": str(port)})
        self._context = _ImplicitContext()
        self.sf: ServiceFactory | None = None
        self._session: Session | None = None
        self.keep_alive: int = 0

    # -- sessions ------------------------------------------------------------------------------

    def createSession(self, username: str | None = None, password: str | None = None) -> Any:
        """Log in; a session key given as both user and password joins that session, as
        omero-py's ``joinSession`` does."""
        if username and username == password and username in self._server.sessions:
            return self.joinSession(username)
        self._attach(self._server.login(username or "", password or ""))
        return self.sf

    def joinSession(self, key: str) -> Any:
        try:
            session = self._server.session(key)
        except omero.RemovedSessionException as error:
            raise omero.ClientError(str(error.message)) from None
        self._attach(session)
        return self.sf

    def _attach(self, session: Session) -> None:
        self._session = session
        self.sf = ServiceFactory(self._server, session)

    def getSession(self, blocking: bool = True) -> Any:
        if self.sf is None or self._session is None or not self._session.alive:
            raise omero.ClientError("No session available")
        return self.sf

    def getSessionId(self) -> str:
        self.getSession()
        assert self._session is not None
        return self._session.uuid

    def closeSession(self) -> None:
        """Detach from the session (it stays alive for others, as a joined session does)."""
        self.sf = None
        self._session = None

    def killSession(self) -> int:
        """End the session for everybody."""
        if self._session is not None:
            self._session.alive = False
        self.closeSession()
        return 1

    def __del__(self) -> None:
        self.sf = None

    def enableKeepAlive(self, seconds: int) -> None:
        """Ping the server every ``seconds`` (recorded; the in-memory session never idles)."""
        self.keep_alive = seconds

    # -- what BlitzGateway and the CLI read ----------------------------------------------------

    def getProperty(self, key: str) -> str:
        return self._properties.getProperty(key)

    def getImplicitContext(self) -> _ImplicitContext:
        return self._context

    def isSecure(self) -> bool:
        return True

    def setAgent(self, agent: str) -> None:
        self._properties.setProperty("omero.agent", agent)
