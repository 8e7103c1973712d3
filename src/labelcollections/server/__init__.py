"""HTTP API, tile server and web viewer of a repository (``labelcollections serve``)."""

from labelcollections.server.app import create_app

__all__ = ["create_app"]
