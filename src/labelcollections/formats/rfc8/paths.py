"""Where RFC-8 paths point, and keeping them inside a sandbox.

A ``Path`` string is a relative reference (``./raw``, ``../image.ome.zarr``), an absolute
``file:`` URL or an http(s) URL, read relative to the document that holds it, as URL references
are (RFC 3986): ``base`` is the location of that document itself (``/data/c.json``,
``/data/img.zarr/zarr.json``, ``https://host/c.json``), and a relative path is taken from the
folder that holds it. A ``base`` ending in ``/`` is that folder.

The RFC says readers must not follow paths that escape a defined sandbox without the user's
consent, so :func:`resolve_path` refuses any result outside ``sandbox`` unless
``allow_outside`` is set. All of this is string and URL logic only: nothing is read from disk
or network, so symbolic links are not taken into account.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from labelcollections.errors import InputError
from labelcollections.formats.rfc8.nodes import CollectionNode, DocumentError, Node, parse_document

__all__ = ["MAX_NESTING", "resolve_external", "resolve_path"]

MAX_NESTING = 32
"""How many collection documents deep :func:`resolve_external` follows ``json`` paths."""

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_FILE_SAFE = "/:@!$&'()*+,;="


def _decode_unreserved(text: str) -> str:
    """Decode ``%XX`` escapes of unreserved characters, which RFC 3986 deems equivalent.

    This matters for safety: ``%2e%2e`` is ``..`` to a server, so it must be ``..`` here too.
    """

    def decode(match: re.Match[str]) -> str:
        character = chr(int(match[1], 16))
        return character if character in _UNRESERVED else match[0]

    return _ESCAPE.sub(decode, text)


def _normalise(path: str) -> str:
    """Remove ``.`` and ``..`` segments, keeping a trailing ``/`` that marks a folder."""
    if not path:
        return path
    is_folder = path.endswith(("/", "/.", "/..")) or path in (".", "..")
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    if is_folder and not normal.endswith("/"):
        normal += "/"
    return normal


def _has_scheme(text: str) -> bool:
    """Whether ``text`` is an absolute URL (a one-letter "scheme" would be a drive letter)."""
    return len(urlsplit(text).scheme) > 1


@dataclass(frozen=True)
class _Location:
    """A POSIX path (``scheme == ""``) or a URL, normalised so that locations can be compared.

    A ``file:`` URL keeps its path decoded; other URLs keep it as written, minus dot segments.
    """

    scheme: str
    netloc: str
    path: str
    suffix: str = ""

    @classmethod
    def parse(cls, text: str) -> _Location:
        if not _has_scheme(text):
            return cls("", "", _normalise(text))
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        suffix = (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else ""
        )
        if scheme == "file":
            netloc = "" if parts.netloc.lower() in ("", "localhost") else parts.netloc.lower()
            return cls(scheme, netloc, _normalise(unquote(parts.path) or "/"), suffix)
        netloc = parts.netloc.lower()
        host, _, port = netloc.rpartition(":")
        if host and port == _DEFAULT_PORTS.get(scheme):
            netloc = host
        path = _normalise(_decode_unreserved(parts.path) or "/")
        return cls(scheme, netloc, path, suffix)

    @property
    def realm(self) -> tuple[str, str]:
        """What two locations must share to be compared by path: local files, or a URL origin."""
        if self.scheme == "":
            return ("file", "") if self.path.startswith("/") else ("relative", "")
        return (self.scheme, self.netloc)

    @property
    def segments(self) -> list[str]:
        return [segment for segment in self.path.split("/") if segment not in ("", ".")]

    def join(self, reference: str) -> _Location:
        """The location ``reference`` names when read in the document at this location."""
        if _has_scheme(reference):
            return _Location.parse(reference)
        if self.scheme and reference.startswith("//"):
            return _Location.parse(f"{self.scheme}:{reference}")
        if self.scheme:
            parts = urlsplit(reference)
            path = unquote(parts.path) if self.scheme == "file" else parts.path
            suffix = (f"?{parts.query}" if parts.query else "") + (
                f"#{parts.fragment}" if parts.fragment else ""
            )
        else:
            path, suffix = reference, ""
        if not path:
            return dataclasses.replace(self, suffix=suffix or self.suffix)
        if not path.startswith("/"):
            path = self.path[: self.path.rfind("/") + 1] + path
        if self.scheme and self.scheme != "file":
            path = _decode_unreserved(path)
        return _Location(self.scheme, self.netloc, _normalise(path), suffix)

    def is_inside(self, box: _Location) -> bool:
        """Whether this location is ``box`` or lies below it."""
        if self.realm != box.realm:
            return False
        mine, theirs = self.segments, box.segments
        rest = mine[len(theirs) :]
        return mine[: len(theirs)] == theirs and not (rest and rest[0] == "..")

    def spell(self, like: _Location) -> str:
        """This location as text: a POSIX path when ``like`` is one and this is a local file."""
        if self.scheme == "" or (like.scheme == "" and self.realm == ("file", "")):
            return self.path
        if self.scheme == "file":
            return f"file://{self.netloc}{quote(self.path, safe=_FILE_SAFE)}{self.suffix}"
        return f"{self.scheme}://{self.netloc}{self.path}{self.suffix}"


def resolve_path(base: str, path: str, sandbox: str, allow_outside: bool = False) -> str:
    """The location ``path`` names in the document at ``base``, refused if outside ``sandbox``.

    ``base`` and ``sandbox`` are POSIX paths or URLs; the result is spelled like ``base`` (a
    local file stays a POSIX path when ``base`` is one). Raises :class:`InputError` naming
    ``base`` when the result lies outside ``sandbox`` and ``allow_outside`` is false.
    """
    start = _Location.parse(base)
    target = start.join(path)
    resolved = target.spell(start)
    if not allow_outside and not target.is_inside(_Location.parse(sandbox)):
        raise InputError(
            base,
            "path",
            f"a path inside {sandbox} (got {path!r}, which resolves to {resolved})",
        )
    return resolved


def _same_document(first: str, second: str) -> bool:
    a, b = _Location.parse(first), _Location.parse(second)
    return (a.realm, a.segments) == (b.realm, b.segments)


def _rebase(path: str, document: str, new_document: str) -> str:
    """``path`` as written in ``document``, rewritten to mean the same in ``new_document``.

    Paths that are absolute, or whose two documents share a folder, are returned unchanged.
    """
    old, new = _Location.parse(document), _Location.parse(new_document)
    if (
        _has_scheme(path)
        or path.startswith("/")
        or (old.realm, old.segments[:-1]) == (new.realm, new.segments[:-1])
    ):
        return path
    target = old.join(path)
    if target.realm != new.realm:
        return target.spell(new)
    relative = posixpath.relpath("/" + "/".join(target.segments), "/" + "/".join(new.segments[:-1]))
    relative = relative if relative.startswith("..") else f"./{relative}"
    return relative + ("/" if target.path.endswith("/") else "") + target.suffix


def _move_references(value: Any, document: str, new_document: str, merged: Iterable[str]) -> Any:
    """Adjust the references in an attribute value for a node moved between documents.

    A reference into one of the ``merged`` documents now points into the same document, so it
    loses its ``path`` (``{"id": x}``; the older ``{"ref": {"path": ..., "id": x}}`` form becomes
    ``{"ref": x}``). Any other relative reference path is rebased onto ``new_document``.
    """
    merged = tuple(merged)

    def points_into_merged(reference: Mapping[str, Any]) -> bool:
        path = reference.get("path")
        if not isinstance(path, Mapping) or path.get("type") != "json":
            return False
        if not isinstance(path.get("path"), str):
            return False
        target = resolve_path(document, path["path"], "/", allow_outside=True)
        return any(_same_document(target, other) for other in merged)

    def move(item: Any) -> Any:
        if isinstance(item, list):
            return [move(entry) for entry in item]
        if not isinstance(item, Mapping):
            return item
        if isinstance(item.get("id"), str) and points_into_merged(item):
            return {key: move(entry) for key, entry in item.items() if key != "path"}
        moved: dict[str, Any] = {}
        for key, entry in item.items():
            if (
                key == "ref"
                and isinstance(entry, Mapping)
                and isinstance(entry.get("id"), str)
                and points_into_merged(entry)
            ):
                moved[key] = entry["id"]
            elif (
                key == "path" and isinstance(entry, Mapping) and isinstance(entry.get("path"), str)
            ):
                moved[key] = {**entry, "path": _rebase(entry["path"], document, new_document)}
            else:
                moved[key] = move(entry)
        return moved

    return move(value)


def _move_node(node: Node, document: str, new_document: str, merged: Iterable[str]) -> Node:
    """``node`` (from ``document``) as it must be written inside ``new_document``."""
    merged = tuple(merged)
    path = node.path
    if path is not None and path.path is not None:
        path = dataclasses.replace(path, path=_rebase(path.path, document, new_document))
    attributes = node.attributes
    if attributes is not None:
        attributes = _move_references(attributes, document, new_document, merged)
    nodes = node.nodes
    if nodes is not None:
        nodes = [_move_node(child, document, new_document, merged) for child in nodes]
    return dataclasses.replace(node, path=path, attributes=attributes, nodes=nodes)


def _ome(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``ome`` object of a loaded collection file (a bare ``ome`` object is accepted too)."""
    ome = data.get("ome")
    return ome if isinstance(ome, Mapping) else data


def _json_path(node: Node) -> str | None:
    """The path of the JSON document a collection node's content is in, if it is elsewhere."""
    path = node.path
    if isinstance(node, CollectionNode) and path is not None and path.type == "json":
        return path.path
    return None


def resolve_external(
    parent: Node,
    load: Callable[[str], Mapping[str, Any]],
    base: str,
    sandbox: str,
) -> Node:
    """``parent`` with every collection stored in another JSON document inlined.

    A ``collection`` node whose ``path`` has type ``json`` is replaced by the same node holding
    that document's ``nodes`` instead of the ``path``. ``load(location)`` returns the parsed
    JSON file at a resolved location (``{"ome": {...}}``); ``base`` is where ``parent`` was read
    from and every followed path must stay inside ``sandbox``.

    The inlined node keeps the ``id``, ``name`` and unknown keys of the node that pointed to the
    document, but neither side's ``attributes``: the RFC leaves open how the two would merge, so
    none is guessed. References from the inlined nodes into a document that now contains them
    lose their ``path``, and relative paths are rebased to stay correct from ``base``.
    Raises :class:`InputError` for a path outside the sandbox, a cycle, nesting deeper than
    :data:`MAX_NESTING` documents, or a loaded document that cannot be read or is not a
    collection with ``nodes``.
    """
    return _inline(parent, load, base, sandbox, (base,))


def _inline(
    node: Node,
    load: Callable[[str], Mapping[str, Any]],
    base: str,
    sandbox: str,
    chain: tuple[str, ...],
) -> Node:
    path = _json_path(node)
    if path is not None:
        return _inline_document(node, path, load, base, sandbox, chain)
    if node.nodes is None:
        return node
    children = [_inline(child, load, base, sandbox, chain) for child in node.nodes]
    return dataclasses.replace(node, nodes=children)


def _inline_document(
    node: Node,
    path: str,
    load: Callable[[str], Mapping[str, Any]],
    base: str,
    sandbox: str,
    chain: tuple[str, ...],
) -> Node:
    location = resolve_path(base, path, sandbox)
    if any(_same_document(location, seen) for seen in chain):
        raise InputError(base, "path", f"a collection that does not contain itself (got {path!r})")
    if len(chain) > MAX_NESTING:
        raise InputError(
            base, "path", f"collections nested at most {MAX_NESTING} documents deep (got {path!r})"
        )
    try:
        document = parse_document(_ome(load(location)))
    except DocumentError as error:
        raise InputError(location, error.location, error.message) from error
    document = _inline(document, load, location, sandbox, (*chain, location))
    if not isinstance(document, CollectionNode) or document.nodes is None:
        raise InputError(location, "ome", "a collection document with 'nodes'")
    merged = (*chain, location)
    nodes = [_move_node(child, location, base, merged) for child in document.nodes]
    key_order = tuple(
        "nodes" if key == "path" else key for key in node.key_order if key != "attributes"
    )
    return dataclasses.replace(node, path=None, attributes=None, nodes=nodes, key_order=key_order)
