"""Registers ``omero labelcollections …`` with omero-py's ``omero`` command (which runs every
module of an ``omero/plugins`` directory on its path with ``register`` defined)."""

from labelcollections.cli.omero_plugin import HELP, LabelCollectionsControl

register("labelcollections", LabelCollectionsControl, HELP)  # type: ignore[name-defined]  # noqa: F821
