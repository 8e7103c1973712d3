"""Errors that reach users.

Every mistake a user can make is reported as one line that names the input, the field and what
was expected, so the command line can print it without a traceback and exit with code 2.
"""

from __future__ import annotations


class LabelCollectionsError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(LabelCollectionsError):
    """Bad input from a user: a file, an argument or a document that breaks a rule.

    ``source`` names the input (a file path, a URL, ``--type`` …), ``field`` the offending part
    (``ome.nodes[1].name``, ``dtype`` …) and ``expected`` what would have been accepted. The
    message is one line whatever the parts hold (line breaks in a user's names become spaces).
    """

    def __init__(self, source: str, field: str, expected: str) -> None:
        self.source = source
        self.field = field
        self.expected = expected
        super().__init__(" ".join(f"{source}: {field}: {expected}".splitlines()))


class NotFoundError(InputError):
    """A named object (image, collection, label image, file) does not exist."""


class ConflictError(InputError):
    """The operation would overwrite or duplicate something that already exists."""


class DamagedError(InputError):
    """A part of a repository that is there but cannot be used: its marker file or its
    catalog. ``reindex`` rebuilds a catalog from the stores; ``verify`` reports the damage."""


class RemoteError(InputError):
    """A remote store (HTTP, S3) did not give what was asked: it failed, refused, timed out or
    wants credentials. Nothing is wrong with the request as far as can be told."""
