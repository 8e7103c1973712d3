"""The HQL the in-memory OMERO answers: the queries labelcollections' adapter sends, each
matched as a whole and answered with the server's read rules (group scope, ``BasicACLVoter``).

A query that is not listed raises ``omero.QueryException``, so a new query in the adapter can
never pass without a test that teaches it here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import omero
import omero.model
from omero.rtypes import rbool, rlong, unwrap

from labelcollections.omero.testing.server import InMemoryServer, Session, is_a

__all__ = ["run_query"]

Handler = Callable[["Request"], list[Any]]


@dataclass(frozen=True)
class Request:
    """One query call: who asks, in which groups, with which parameters and match."""

    server: InMemoryServer
    session: Session
    groups: frozenset[int]
    params: dict[str, Any]
    match: re.Match[str]

    def visible(self, obj: Any) -> bool:
        return self.server.visible(self.session, obj, self.groups)


def run_query(
    server: InMemoryServer, session: Session, query: str, params: Any, ctx: dict[str, str] | None
) -> list[Any]:
    """The rows (model objects, or lists of rtypes for projections) a query returns."""
    text = " ".join(query.split())
    values = {k: unwrap(v) for k, v in (params.map or {}).items()} if params else {}
    groups = server.read_groups(session, ctx)
    for pattern, handler in QUERIES:
        match = pattern.fullmatch(text)
        if match is not None:
            rows = handler(Request(server, session, groups, values, match))
            page = params.theFilter if params is not None else None
            if page is not None:
                offset = unwrap(page.offset) or 0
                limit = unwrap(page.limit)
                rows = rows[offset : None if limit is None else offset + limit]
            return rows
    raise omero.QueryException(None, None, f"the in-memory OMERO does not know this HQL: {text}")


def _groups(request: Request) -> list[Any]:
    server = request.server
    found = []
    for group_id in sorted(request.params["ids"]):
        group = server.groups.get(group_id)
        if group is None:
            continue
        copied = omero.model.ExperimenterGroupI(group_id, True)
        copied.setName(group.getName())
        copied.getDetails().setPermissions(group.getDetails().getPermissions())
        members = []
        for user in server.users.values():
            if group_id in user.member_of:
                link = omero.model.GroupExperimenterMapI(server.new_id(), True)
                link.setChild(server.experimenter(user.id))
                link.setParent(omero.model.ExperimenterGroupI(group_id, False))
                link.setOwner(rbool(group_id in user.leader_of))
                members.append(link)
                copied.addGroupExperimenterMap(link, False)
        # A fetch join without "distinct" repeats the group once per member, as Hibernate does.
        found += [copied] if request.match.group(1) else [copied] * max(1, len(members))
    return found


def _image(request: Request) -> list[Any]:
    found = request.server.objects.get(request.params["id"])
    if not isinstance(found, omero.model.ImageI) or not request.visible(found):
        return []
    return [request.server.view(request.session, found)]


def _plate(request: Request) -> list[Any]:
    found = request.server.objects.get(request.params["id"])
    if not isinstance(found, omero.model.PlateI) or not request.visible(found):
        return []
    return [request.server.view(request.session, found)]


def _annotation(request: Request) -> list[Any]:
    found = request.server.objects.get(request.params["id"])
    if not is_a(found, request.match.group(1)) or not request.visible(found):
        return []
    return [_fetched(request, found)]


def _fetched(request: Request, annotation: Any) -> Any:
    """The annotation as the client gets it, with its file loaded if the query fetches it."""
    copied = request.server.view(request.session, annotation)
    if request.match.group(2) and isinstance(annotation, omero.model.FileAnnotationI):
        original = request.server.objects[unwrap(annotation.getFile().getId())]
        copied.setFile(request.server.view(request.session, original))
    return copied


def _linked(request: Request) -> list[Any]:
    cls, kind = request.match.group(1), request.match.group(3)
    server = request.server
    wanted = request.params.get("ns")
    parent = request.params["id"]
    children = {
        unwrap(link.getChild().getId())
        for link in server.links(f"{kind}AnnotationLinkI", parent)
        if unwrap(link.getParent().getId()) == parent and request.visible(link)
    }
    return [
        _fetched(request, server.objects[i])
        for i in sorted(children)
        if is_a(server.objects.get(i), cls)
        and request.visible(server.objects[i])
        and (wanted is None or unwrap(server.objects[i].getNs()) == wanted)
    ]


def _find(request: Request) -> list[Any]:
    kind = request.match.group(1)
    server = request.server
    pairs = [
        (request.params[f"k{i}"], request.params[f"v{i}"])
        for i in range(request.match.group(2).count("join"))
    ]
    found = set()
    for link in server.links(f"{kind}AnnotationLinkI"):
        parent = server.objects.get(unwrap(link.getParent().getId()))
        annotation = server.objects.get(unwrap(link.getChild().getId()))
        if parent is None or not isinstance(annotation, omero.model.MapAnnotationI):
            continue
        if not all(request.visible(o) for o in (link, parent, annotation)):
            continue
        values = {(v.name, v.value) for v in annotation.getMapValue() or ()}
        if unwrap(annotation.getNs()) == request.params["ns"] and set(pairs) <= values:
            found.add(unwrap(parent.getId()))
    return [[rlong(i)] for i in sorted(found)]


def _external_infos(request: Request) -> list[Any]:
    server = request.server
    return [
        server.view(request.session, server.objects[i])
        for i in sorted(request.params["ids"])
        if isinstance(server.objects.get(i), omero.model.ExternalInfoI)
        and request.visible(server.objects[i])
    ]


def _pixels_type(request: Request) -> list[Any]:
    value = request.params.get("value") or request.match.group(1)
    enum = request.server.pixels_types.get(value)
    return [] if enum is None else [enum]


def _files_at(request: Request) -> list[Any]:
    server = request.server
    return [
        [rlong(unwrap(f.getId()))]
        for f in server.all_of(request.session, "OriginalFile", request.groups)
        if unwrap(f.getPath()) == request.params["path"]
    ]


QUERIES: list[tuple[re.Pattern[str], Handler]] = [
    (
        re.compile(
            r"select (distinct )?g from ExperimenterGroup g left outer join fetch "
            r"g\.groupExperimenterMap m left outer join fetch m\.child where g\.id in \(:ids\) "
            r"order by g\.id"
        ),
        _groups,
    ),
    (
        re.compile(
            r"select i from Image i join fetch i\.pixels p join fetch p\.pixelsType "
            r"where i\.id = :id"
        ),
        _image,
    ),
    (
        re.compile(
            r"select a from (MapAnnotation|FileAnnotation|Annotation) a( join fetch a\.file)? "
            r"where a\.id = :id"
        ),
        _annotation,
    ),
    (
        re.compile(
            r"select a from (MapAnnotation|FileAnnotation|Annotation) a( join fetch a\.file)? "
            r"where a\.id in \(select link\.child\.id from (Image|Roi|Plate)AnnotationLink link "
            r"where link\.parent\.id = :id\)(?: and a\.ns = :ns)? order by a\.id"
        ),
        _linked,
    ),
    (
        re.compile(
            r"select distinct obj\.id from (Image|Roi)AnnotationLink link join link\.parent obj "
            r"join link\.child ann((?: join ann\.mapValue mv\d+)*) where ann\.ns = :ns"
            r"(?: and mv\d+\.name = :k\d+ and mv\d+\.value = :v\d+)* order by obj\.id"
        ),
        _find,
    ),
    (
        re.compile(
            r"select distinct p from Plate p left outer join fetch p\.wells w left outer join "
            r"fetch w\.wellSamples s left outer join fetch s\.image where p\.id = :id"
        ),
        _plate,
    ),
    (re.compile(r"select e from ExternalInfo e where e\.id in \(:ids\)"), _external_infos),
    (re.compile(r"select f\.id from OriginalFile f where f\.path = :path"), _files_at),
    (re.compile(r"from PixelsType as p where p\.value = :value"), _pixels_type),
    (re.compile(r"from PixelsType as p where p\.value='(\w+)'"), _pixels_type),
]
