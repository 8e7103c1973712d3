"""Find on a catalog of a million label images: our PostgreSQL and SQLite catalogs against the
same facts stored the OMERO way (map annotations), on the same PostgreSQL server.

The data (``catalog_data.py``): 100,000 reference images × 10 label images, each with
provenance, 1–20 classes and an instance summary. Ours: the catalog schema made by its
migrations, on a PostgreSQL database and in an SQLite file. The peer: OMERO's tables for the
same label images (``image``, ``annotation``, ``imageannotationlink``,
``annotation_mapvalue``) with OMERO's own indexes, in another database of the same server.

A fixed mix of twelve queries with 1, 2 and 4 filters runs ``--rounds`` times (after one
untimed round), the three sides taking turns query by query. Ours is ``Catalog.find`` with a
page of ``--page`` label images: the total count, the page, and its records parsed into
models. The total is what ``find`` reports by default (on the command line, over HTTP and in
the viewer): exact up to ``TOTAL_CAP`` (10,000) matches, else "10,000+"; the peer's count is
capped the same way (``LIMIT`` 10,001 under its count). ``--exact-total`` times exact totals
on all three sides instead. The peer runs the SQL that omero-py's
``getObjectsByMapAnnotations`` HQL becomes, one join of ``annotation_mapvalue`` per key
(``select distinct obj.id from ImageAnnotationLink ial join ial.child ann join ann.mapValue mv
join ial.parent obj where mv.name = :k and mv.value = :v and ann.ns = :ns``), for the count
and the page, then fetches the page's pairs. The peer runs as plain SQL: no HQL translation,
Ice round trip, OMERO permission filter or decoding of pairs, all of which would only slow it
down.

Before timing, each query must give the same total and the same first page on all three sides.
Prints the median time of each query, then ``P95`` lines and the ``RATIO`` of the peer's p95 to
ours on PostgreSQL.

Before the ``P95`` lines it also prints the median time of resolving a reference (what every
command that takes a label image or collection does) through the catalog's lookups, on both
of our catalogs: a label image by ``<id>``, by a ``<name>@<version>`` that every image has (an
error that lists ten of them and counts the rest) and by ``<image>/<name>@<version>``, and a
collection by ``<id>``, ``<name>`` (every image's) and ``<image>/<name>``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_data import (
    AUTHORS,
    CHUNK_IMAGES,
    CLASSES,
    COLLECTIONS,
    LABEL_OMERO_ID,
    MODELS,
    NAMES,
    OUR_COLUMNS,
    PEER_COLUMNS,
    Rows,
    check_sample,
    collection_id,
    generate,
    image_name,
    label_id,
    model_sha256,
)
from labelcollections.catalog import TOTAL_CAP, Catalog, LabelImageFilter
from labelcollections.catalog.local_server import LocalPostgres
from labelcollections.catalog.tables import metadata
from labelcollections.cli.omero import FIND_KEYS
from labelcollections.errors import InputError
from labelcollections.formats.omero_kv import NS_LABEL_IMAGE
from labelcollections.model.references import SHOWN_CANDIDATES, choose

SERVER_SETTINGS = {
    "shared_buffers": "'2GB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
}
"""Settings a facility would give a server of this size; both sides share them."""
PEER_TIMEOUT_SECONDS = 120
LOOKUP_REPEATS = 20
"""Timed resolutions of each reference per catalog (after one untimed)."""

PEER_SCHEMA = """
CREATE TABLE image (id int8 NOT NULL, name varchar(255) NOT NULL, owner_id int8 NOT NULL,
                    group_id int8 NOT NULL);
CREATE TABLE annotation (id int8 NOT NULL, discriminator varchar(31) NOT NULL,
                         ns varchar(255), owner_id int8 NOT NULL, group_id int8 NOT NULL);
CREATE TABLE imageannotationlink (id int8 NOT NULL, parent int8 NOT NULL, child int8 NOT NULL,
                                  owner_id int8 NOT NULL, group_id int8 NOT NULL);
CREATE TABLE annotation_mapvalue (annotation_id int8 NOT NULL, name text NOT NULL,
                                  value text NOT NULL, index int4 NOT NULL);
"""
PEER_KEYS = """
ALTER TABLE image ADD PRIMARY KEY (id);
ALTER TABLE annotation ADD PRIMARY KEY (id);
ALTER TABLE imageannotationlink ADD PRIMARY KEY (id);
ALTER TABLE imageannotationlink ADD UNIQUE (parent, child, owner_id);
ALTER TABLE annotation_mapvalue ADD PRIMARY KEY (annotation_id, index);
"""
PEER_INDEXES = [
    ("i_image_owner", "image", "owner_id"),
    ("i_image_group", "image", "group_id"),
    ("i_annotation_owner", "annotation", "owner_id"),
    ("i_annotation_group", "annotation", "group_id"),
    ("annotation_discriminator", "annotation", "discriminator"),
    ("annotation_ns", "annotation", "ns"),
    ("i_imageannotationlink_owner", "imageannotationlink", "owner_id"),
    ("i_imageannotationlink_group", "imageannotationlink", "group_id"),
    ("i_ImageAnnotationLink_parent", "imageannotationlink", "parent"),
    ("i_ImageAnnotationLink_child", "imageannotationlink", "child"),
    ("annotation_mapValue_name", "annotation_mapValue", "name"),
    ("annotation_mapValue_value", "annotation_mapValue", "value"),
]
"""OMERO 5.4's schema for these tables: keys from its ``schema.sql``, indexes (name, table,
column) from its ``psql-footer.sql``; both made after loading, as a database restored from a
dump gets them. The map-annotation keys of our filters are those of ``omero find``."""


@dataclass(frozen=True)
class Query:
    filters: dict[str, str]
    reference: int | None = None
    """OMERO id of the reference image named by an ``image`` filter."""

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.filters.items())

    def ours(self) -> LabelImageFilter:
        return LabelImageFilter(**self.filters)

    def pairs(self) -> list[tuple[str, str, str]]:
        """(key, operator, value) conditions of the map-annotation query."""
        conditions = []
        for field, value in self.filters.items():
            if field == "software":
                tool, _, version = value.partition("==")
                conditions.append(("provenance.software", "=", tool))
                if version:
                    conditions.append(("provenance.software_version", "=", version))
            elif field == "class_name":
                conditions.append(("class.%.name", "LIKE", value))
            elif field == "image":
                conditions.append(("omero.ref_image_id", "=", str(self.reference)))
            else:
                conditions.append((FIND_KEYS[field], "=", value))
        return conditions


def query_mix(images: int, seed: int) -> list[Query]:
    """Twelve queries: four with one filter, four with two, four with four."""
    pick = random.Random(seed)
    author = lambda: pick.choice(AUTHORS)  # noqa: E731
    sha = model_sha256(pick.choice(MODELS))
    mix = [
        {"image": None},
        {"author": author()},
        {"software": "cellpose"},
        {"class_name": CLASSES[12]},
        {"image": None, "name": "nuclei"},
        {"software": "stardist", "label_type": "instance"},
        {"author": author(), "method": "manual"},
        {"class_name": "nucleus", "version": "v2"},
        {"image": None, "software": "cellpose", "class_name": "nucleus", "author": author()},
        {"software": "cellpose==3.1", "class_name": "nucleus", "author": author(),
         "label_type": "instance"},
        {"method": "machine-learning", "software": "cellpose", "label_type": "instance",
         "version": "v2"},
        {"model_sha256": sha, "class_name": "cell", "label_type": "instance", "version": "v1"},
    ]  # fmt: skip
    queries = []
    for filters in mix:
        if "image" in filters:
            index = pick.randrange(images)
            queries.append(Query({**filters, "image": image_name(index)}, index + 1))
        else:
            queries.append(Query(filters))  # type: ignore[arg-type]
    return queries


def copy_rows(connection: psycopg.Connection[Any], table: str, columns: Sequence[str],
              rows: Iterable[tuple[Any, ...]]) -> None:  # fmt: skip
    """COPY rows in PostgreSQL's text format (the fast way to load; values escaped)."""
    escape = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
    text = "".join(
        "\t".join("\\N" if v is None else str(v).translate(escape) for v in row) + "\n"
        for row in rows
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        copy.write(text)


def load_sqlite(catalog: Catalog, rows: Rows) -> None:
    with catalog.writing() as writer:
        for table, columns in OUR_COLUMNS.items():
            marks = ", ".join("?" * len(columns))
            writer.connection.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table]
            )


@contextmanager
def indexes_made_after(catalogs: Sequence[Catalog]) -> Iterator[None]:
    """Drop the catalogs' secondary indexes for the block and make them again after it (the
    same indexes as the migrations make; bulk loads are faster without them)."""
    secondary = [index for table in metadata.tables.values() for index in table.indexes]
    for catalog in catalogs:
        with catalog.engine.begin() as connection:
            for index in secondary:
                index.drop(connection)
    yield
    for catalog in catalogs:
        with catalog.engine.begin() as connection:
            for index in secondary:
                index.create(connection)


def load(
    args: argparse.Namespace, postgresql: Catalog, ours: str, sqlite: Catalog, peer: str
) -> None:
    started = time.perf_counter()
    spent = dict.fromkeys(("generate", "postgresql", "omero", "sqlite"), 0.0)
    with (
        indexes_made_after([postgresql, sqlite]),
        psycopg.connect(ours) as ours_db,
        psycopg.connect(peer) as peer_db,
    ):
        peer_db.execute(PEER_SCHEMA)
        chunks = generate(args.images, args.per_image, args.seed)
        for number in itertools.count():
            clock = time.perf_counter()
            chunk = next(chunks, None)
            if chunk is None:
                break
            if number % 10 == 0:
                check_sample(chunk)
            spent["generate"] += time.perf_counter() - clock
            clock = time.perf_counter()
            for table, columns in OUR_COLUMNS.items():
                copy_rows(ours_db, table, columns, chunk.ours[table])
            ours_db.commit()
            spent["postgresql"] += time.perf_counter() - clock
            clock = time.perf_counter()
            for table, columns in PEER_COLUMNS.items():
                copy_rows(peer_db, table, columns, chunk.peer[table])
            peer_db.commit()
            spent["omero"] += time.perf_counter() - clock
            clock = time.perf_counter()
            load_sqlite(sqlite, chunk.ours)
            spent["sqlite"] += time.perf_counter() - clock
            done = min((number + 1) * CHUNK_IMAGES, args.images)
            split = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
            print(f"  loaded {done * args.per_image:,} label images ({split})", file=sys.stderr)
        peer_db.execute(PEER_KEYS)
        for name, table, column in PEER_INDEXES:
            peer_db.execute(f"CREATE INDEX {name} ON {table}({column})")
        peer_db.commit()
    for url in (ours, peer):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    with sqlite.writing() as writer:
        writer.connection.exec_driver_sql("ANALYZE")
    print(f"  loaded and indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)


Answer = tuple[int, bool, list[int]]
"""A find's total, whether it is exact, and the ids of its first page."""


class Peer:
    """The map-annotation queries, on one connection."""

    def __init__(self, url: str, page: int, exact_total: bool) -> None:
        self.connection = psycopg.connect(url, autocommit=True)
        self.connection.execute(f"SET statement_timeout = '{PEER_TIMEOUT_SECONDS}s'")
        self.page = page
        self.exact_total = exact_total

    def find(self, query: Query) -> Answer:
        """The number of matching label images (capped as ours), whether it is exact, and the
        OMERO ids of the first page (whose pairs are fetched too)."""
        conditions = query.pairs()
        joins = "".join(
            f" JOIN annotation_mapvalue mv{k} ON mv{k}.annotation_id = ann.id"
            for k in range(len(conditions))
        )
        where = "".join(
            f" AND mv{k}.name {operator} %s AND mv{k}.value = %s"
            for k, (_, operator, _) in enumerate(conditions)
        )
        body = (
            "FROM imageannotationlink ial JOIN annotation ann ON ann.id = ial.child"
            f" JOIN image obj ON obj.id = ial.parent{joins}"
            f" WHERE ann.discriminator IN ('/map/') AND ann.ns = %s{where}"
        )
        values = [NS_LABEL_IMAGE, *(v for key, _, value in conditions for v in (key, value))]
        cap = "" if self.exact_total else f" LIMIT {TOTAL_CAP + 1}"
        total = self.connection.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT obj.id {body}{cap}) AS found", values
        )
        count = int(total.fetchone()[0])  # type: ignore[index]
        exact = self.exact_total or count <= TOTAL_CAP
        rows = self.connection.execute(
            f"SELECT DISTINCT obj.id {body} ORDER BY obj.id LIMIT %s", [*values, self.page]
        ).fetchall()
        ids = [int(row[0]) for row in rows]
        self.connection.execute(
            "SELECT ial.parent, mv.name, mv.value FROM imageannotationlink ial"
            " JOIN annotation ann ON ann.id = ial.child"
            " JOIN annotation_mapvalue mv ON mv.annotation_id = ann.id"
            " WHERE ial.parent = ANY(%s) AND ann.ns = %s ORDER BY ial.parent, mv.index",
            [ids, NS_LABEL_IMAGE],
        ).fetchall()
        return (count if exact else TOTAL_CAP), exact, ids


def check_answers(mix: list[Query], sides: dict[str, Callable[[Query], Answer]]) -> None:
    """Every side gives the same total and first page for every query, or the run fails."""
    print(f"{'query':<100} {'matches':>9}")
    for query in mix:
        answers = {name: side(query) for name, side in sides.items()}
        if len(set(map(repr, answers.values()))) != 1:
            sys.exit(f"different answers to {query.label}: {answers}")
        total, exact, _ = next(iter(answers.values()))
        print(f"{query.label:<100} {total:>9,}{'' if exact else '+'}")


@dataclass(frozen=True)
class Reference:
    """A reference to resolve, what it is, and how many objects it names."""

    kind: str
    form: str
    text: str
    matches: int
    chosen: str | None = None
    """The id of the object it names, if it names one."""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.form}: {self.text} ({self.matches:,} matching)"


def reference_mix(args: argparse.Namespace) -> list[Reference]:
    """Each form of reference to a label image and to a collection, for one image picked with
    the seed; the ``<name>@<version>`` and ``<name>`` forms name one object of every image."""
    i = random.Random(args.seed).randrange(args.images)
    slot = min(6, args.per_image - 1) // 2 * 2  # nuclei@v1 with 7 or more label images each
    key, label = f"{NAMES[slot // 2]}@v1", label_id(i * args.per_image + slot)
    name, collection = COLLECTIONS[0], collection_id(i, 0)
    return [
        Reference("label image", "<id>", label, 1, label),
        Reference("label image", "<name>@<version>", key, args.images),
        Reference("label image", "<image>/<name>@<version>", f"{image_name(i)}/{key}", 1, label),
        Reference("collection", "<id>", collection, 1, collection),
        Reference("collection", "<name>", name, args.images),
        Reference("collection", "<image>/<name>", f"{image_name(i)}/{name}", 1, collection),
    ]


def resolve(catalog: Catalog, reference: Reference) -> str:
    """Resolve as the repository does: the chosen object's id, or the ambiguity error."""
    text, kind = reference.text, reference.kind
    try:
        if kind == "label image":
            return choose(text, catalog.label_matches(text), kind, "a label image").id
        return choose(text, catalog.collection_matches(text), kind, "a collection").id
    except InputError as error:
        return str(error)


def check_resolved(reference: Reference, answer: str) -> None:
    """A single match is the object of that id or qualified name; many are an error that
    lists ten of them and counts the others."""
    if reference.chosen is not None:
        right = answer == reference.chosen
    else:
        shown = min(reference.matches, SHOWN_CANDIDATES)
        more = reference.matches - shown
        suffix = f" (and {more:,} more)" if more else ""
        right = answer.count(" or ") == shown - 1 and answer.endswith(suffix)
    if not right:
        sys.exit(f"{reference.label}: resolved to {answer}")


def time_lookups(
    catalogs: dict[str, Catalog], references: list[Reference]
) -> dict[str, dict[str, float]]:
    """Median ms of resolving each reference on each catalog."""
    medians: dict[str, dict[str, float]] = {}
    for reference in references:
        for name, catalog in catalogs.items():
            check_resolved(reference, resolve(catalog, reference))
            times = []
            for _ in range(LOOKUP_REPEATS):
                start = time.perf_counter()
                resolve(catalog, reference)
                times.append((time.perf_counter() - start) * 1000)
            medians.setdefault(reference.label, {})[name] = statistics.median(times)
    return medians


def ours(catalog: Catalog, page: int, exact_total: bool) -> Callable[[Query], Answer]:
    def find(query: Query) -> Answer:
        found = catalog.find(query.ours(), page, exact_total=exact_total)
        return found.total, found.total_exact, [int(label.id, 16) for label in found.labels]

    return find


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--images", type=int, default=100_000, help="reference images")
    parser.add_argument("--per-image", type=int, default=10, help="label images per image")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the mix")
    parser.add_argument("--page", type=int, default=50, help="page size of find")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--exact-total", action="store_true", help="time exact totals (find --exact-total)"
    )
    args = parser.parse_args()
    if args.images < 10 or args.rounds < 1:
        parser.error("--images must be at least 10 and --rounds at least 1")
    server = LocalPostgres.start(SERVER_SETTINGS)
    try:
        with tempfile.TemporaryDirectory(prefix="catalog-query-") as folder:
            run(args, server, Path(folder))
    finally:
        server.stop()


def run(args: argparse.Namespace, server: LocalPostgres, folder: Path) -> None:
    ours_url, peer_url = server.create_database(), server.create_database()
    postgresql = Catalog.create(ours_url)
    sqlite = Catalog.create(f"sqlite:///{folder / 'catalog.sqlite'}")
    load(args, postgresql, ours_url, sqlite, peer_url)
    measure(args, postgresql, sqlite, peer_url)
    postgresql.close()
    sqlite.close()


def measure(args: argparse.Namespace, postgresql: Catalog, sqlite: Catalog, peer_url: str) -> None:
    """Check that the three sides agree, then time the mix and report."""
    peer = Peer(peer_url, args.page, args.exact_total)

    def peer_find(query: Query) -> Answer:
        count, exact, ids = peer.find(query)
        return count, exact, [i - LABEL_OMERO_ID for i in ids]

    sides = {
        "postgresql": ours(postgresql, args.page, args.exact_total),
        "sqlite": ours(sqlite, args.page, args.exact_total),
        "omero": peer_find,
    }

    mix = query_mix(args.images, args.seed)
    check_answers(mix, sides)
    totals = "exact totals" if args.exact_total else f"totals exact up to {TOTAL_CAP:,}"
    print(f"timed: find with a page of {args.page} and {totals}, on all three sides")
    times: dict[str, dict[str, list[float]]] = {name: {} for name in sides}
    order = random.Random(args.seed)
    timeouts = 0
    for round_number in range(args.rounds + 1):
        for query in order.sample(mix, len(mix)):
            for name, side in sides.items():
                start = time.perf_counter()
                try:
                    side(query)
                except psycopg.errors.QueryCanceled:
                    timeouts += 1  # the peer's time is then a lower bound
                elapsed = (time.perf_counter() - start) * 1000
                if round_number:
                    times[name].setdefault(query.label, []).append(elapsed)
    if timeouts:
        print(f"\nthe peer hit the {PEER_TIMEOUT_SECONDS} s statement timeout {timeouts} times"
              " (counted as that long: a lower bound)")  # fmt: skip
    lookups = time_lookups({"postgresql": postgresql, "sqlite": sqlite}, reference_mix(args))
    report(mix, times, lookups)
    peer.connection.close()


def report(
    mix: list[Query],
    times: dict[str, dict[str, list[float]]],
    lookups: dict[str, dict[str, float]],
) -> None:
    print(f"\n{'median ms':<100} {'postgresql':>10} {'sqlite':>10} {'omero':>10}")
    for query in mix:
        medians = [statistics.median(times[side][query.label]) for side in times]
        print(f"{query.label:<100} " + " ".join(f"{m:>10.1f}" for m in medians))
    print(f"\n{'median ms to resolve a reference':<100} {'postgresql':>10} {'sqlite':>10}")
    for label, sides in lookups.items():
        print(f"{label:<100} {sides['postgresql']:>10.1f} {sides['sqlite']:>10.1f}")
    p95 = {side: float(np.percentile([t for ts in times[side].values() for t in ts], 95))
           for side in times}  # fmt: skip
    print(f"P95 name=find_postgresql value={p95['postgresql']:.1f}")
    print(f"P95 name=find_sqlite value={p95['sqlite']:.1f}")
    print(f"P95 name=find_omero_map_annotations value={p95['omero']:.1f}")
    ratio = p95["omero"] / p95["postgresql"]
    print(f"RATIO name=catalog_query value={ratio:.1f} peer=omero-map-annotations target=20")


if __name__ == "__main__":
    main()
