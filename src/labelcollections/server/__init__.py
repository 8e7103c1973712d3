"""HTTP API, tile server and web viewer of a repository (``labelcollections serve``)."""

from labelcollections.server.app import create_app
from labelcollections.server.guards import LOCAL_HOSTS

__all__ = ["LOCAL_HOSTS", "create_app"]
