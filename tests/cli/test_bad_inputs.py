"""A corpus of named bad inputs across every verb: each is one ``error:`` line of literal text,
exit code 2 (1 for a failed ``verify``), and leaves the repository byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr

Run = Callable[..., tuple[int, str, str]]
Prepare = Callable[[Path, Path], None]
"""Writes a case's inputs: ``(data folder, repository)``."""

SHAPE = (48, 64)


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    expected: str
    code: int = 2
    prepare: Prepare | None = field(default=None, compare=False)


def write(name: str, content: bytes | str) -> Prepare:
    def prepare(data: Path, _: Path) -> None:
        target = data / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    return prepare


def npy(name: str, array: np.ndarray, allow_pickle: bool = False) -> Prepare:
    def prepare(data: Path, _: Path) -> None:
        np.save(data / name, array, allow_pickle=allow_pickle)

    return prepare


def tif(name: str, array: np.ndarray) -> Prepare:
    def prepare(data: Path, _: Path) -> None:
        tifffile.imwrite(data / name, array)

    return prepare


def zarr_array(name: str, shape: tuple[int, ...], dtype: str) -> Prepare:
    def prepare(data: Path, _: Path) -> None:
        zarr.create_array(str(data / name), shape=shape, chunks=(64,) * len(shape), dtype=dtype)

    return prepare


def zarr_group(name: str) -> Prepare:
    def prepare(data: Path, _: Path) -> None:
        zarr.open_group(str(data / name), mode="w")

    return prepare


def both(*steps: Prepare) -> Prepare:
    def prepare(data: Path, repo: Path) -> None:
        for step in steps:
            step(data, repo)

    return prepare


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def exported(name: str, change: Callable[[Path], None]) -> Prepare:
    """An export of the corpus image, then broken by ``change``."""

    def prepare(data: Path, repo: Path) -> None:
        from labelcollections.repository import Repository

        with Repository.open(repo) as opened:
            target = opened.export("img", data / name)
        change(target)

    return prepare


def edit_json(relative: str, edit: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def change(store: Path) -> None:
        path = store / relative
        document = json.loads(path.read_text())
        edit(document)
        path.write_text(json.dumps(document))

    return change


def set_array_meta(key: str, value: object) -> Callable[[dict[str, object]], None]:
    def edit(document: dict[str, object]) -> None:
        document[key] = value

    return edit


def corrupt_chunk(store: Path) -> None:
    chunk = next(p for p in sorted((store / "labels").rglob("c/*/*")) if p.is_file())
    chunk.write_bytes(b"\x00not blosc at all")


def escaping_chunk(store: Path) -> None:
    chunk = next(p for p in sorted((store / "labels").rglob("c/*/*")) if p.is_file())
    chunk.unlink()
    chunk.symlink_to("/etc/passwd")


def label_record(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def apply(store: Path) -> None:
        for group in (store / "labels").iterdir():
            meta = group / "zarr.json"
            if group.is_dir() and meta.is_file():
                document = json.loads(meta.read_text())
                change(document["attributes"]["labelcollections"]["label_image"])
                meta.write_text(json.dumps(document))

    return apply


def derived_from_itself(record: dict[str, object]) -> None:
    provenance = record["provenance"]
    assert isinstance(provenance, dict)
    provenance["derived_from"] = record["id"]


def bad_table(store: Path) -> None:
    table = next((store / "tables").glob("*/table.parquet"))
    table.write_bytes(b"PAR1 this is not parquet PAR1")


def tiny_tiff() -> bytes:
    """The 8-byte TIFF header and nothing else."""
    return b"II*\x00" + struct.pack("<I", 8)


LABEL_ARGS = ("--collection", "c", "--name", "n", "--type", "instance", "--method", "manual")


def add_labels(source: str, *extra: str) -> tuple[str, ...]:
    return ("add-labels", "{repo}", "img", source, *LABEL_ARGS, *extra)


def add_labels_without(option: str, source: str = "{data}/ok.npy") -> tuple[str, ...]:
    args = list(LABEL_ARGS)
    index = args.index(option)
    del args[index : index + 2]
    return ("add-labels", "{repo}", "img", source, *args)


OK_LABELS = npy("ok.npy", np.ones(SHAPE, dtype=np.uint16))


def classes(text: str) -> Case:
    return Case(
        f"classes {text[:40]}",
        add_labels("{data}/ok.npy", "--classes", "{data}/classes.json"),
        "classes.json",
        prepare=both(OK_LABELS, write("classes.json", text)),
    )


def provenance(text: str, expected: str = "prov.json") -> Case:
    return Case(
        f"provenance {text[:40]}",
        (
            "add-labels",
            "{repo}",
            "img",
            "{data}/ok.npy",
            "--collection",
            "c",
            "--name",
            "n",
            "--type",
            "instance",
            "--provenance",
            "{data}/prov.json",
        ),
        expected,
        prepare=both(OK_LABELS, write("prov.json", text)),
    )


def parameters(text: str) -> Case:
    return Case(
        f"parameters {text[:40]}",
        add_labels("{data}/ok.npy", "--parameters", "{data}/params.json"),
        "params.json",
        prepare=both(OK_LABELS, write("params.json", text)),
    )


def validate(name: str, content: str | bytes, expected: str) -> Case:
    return Case(
        f"validate {name}", ("validate", "{data}/doc.json"), expected, 2, write("doc.json", content)
    )


def labels_from(name: str, array: np.ndarray, expected: str) -> Case:
    return Case(f"labels {name}", add_labels("{data}/l.npy"), expected, 2, npy("l.npy", array))


def image_from(name: str, prepare: Prepare, source: str, expected: str) -> Case:
    return Case(
        f"image {name}", ("add-image", "{repo}", source, "--name", "new"), expected, 2, prepare
    )


def import_of(name: str, change: Callable[[Path], None], expected: str) -> Case:
    return Case(
        f"import {name}",
        ("import", "{empty}", "{data}/x.ome.zarr"),
        expected,
        prepare=exported("x.ome.zarr", change),
    )


OUT_OF_RANGE_DOCUMENT = json.dumps(
    {
        "ome": {
            "version": "0.x",
            "type": "collection",
            "name": "c",
            "attributes": {
                "labelcollections:collection": {
                    "id": "c",
                    "name": "c",
                    "image_id": "i",
                    "provenance": {"method": "manual", "created": "0001-01-01T00:00:00+14:00"},
                }
            },
            "nodes": [],
        }
    }
)

CASES: list[Case] = [
    # -- init --------------------------------------------------------------------------------
    Case("init under a file", ("init", "{data}/file/repo"), "file", prepare=write("file", "x")),
    Case("init an existing repository", ("init", "{repo}"), "repository"),
    Case("init a folder in use", ("init", "{data}"), "folder", prepare=write("note.txt", "x")),
    # -- add-image ---------------------------------------------------------------------------
    image_from("missing file", write("other", "x"), "{data}/missing.tif", "missing.tif"),
    image_from("8-byte TIFF", write("t.tif", tiny_tiff()), "{data}/t.tif", "t.tif"),
    image_from("0×0 TIFF", tif("t.tif", np.zeros((0, 0), np.uint8)), "{data}/t.tif", "t.tif"),
    image_from("text as TIFF", write("t.tif", "hello"), "{data}/t.tif", "t.tif"),
    image_from("empty TIFF", write("t.tif", b""), "{data}/t.tif", "t.tif"),
    image_from("empty npy", write("e.npy", b""), "{data}/e.npy", "e.npy"),
    image_from("truncated npy", write("e.npy", b"\x93NUMPY\x01\x00"), "{data}/e.npy", "e.npy"),
    image_from(
        "pickled npy",
        npy("p.npy", np.array([{"a": 1}], dtype=object), True),
        "{data}/p.npy",
        "p.npy",
    ),
    image_from("1-D npy", npy("a.npy", np.zeros(10, np.uint8)), "{data}/a.npy", "a.npy"),
    image_from("0-D npy", npy("a.npy", np.zeros((), np.uint8)), "{data}/a.npy", "a.npy"),
    image_from("6-D npy", npy("a.npy", np.zeros((1,) * 6, np.uint8)), "{data}/a.npy", "a.npy"),
    image_from("boolean npy", npy("a.npy", np.zeros(SHAPE, bool)), "{data}/a.npy", "a.npy"),
    image_from("complex npy", npy("a.npy", np.zeros(SHAPE, complex)), "{data}/a.npy", "a.npy"),
    image_from("unknown suffix", write("a.xyz", "x"), "{data}/a.xyz", "a.xyz"),
    image_from("a folder", write("dir/x", "x"), "{data}/dir", "dir"),
    image_from(
        "Zarr group without multiscales", zarr_group("g.zarr"), "{data}/g.zarr", "multiscales"
    ),
    image_from("Zarr array", zarr_array("a.zarr", SHAPE, "uint8"), "{data}/a.zarr", "a.zarr"),
    image_from("closed port", write("x", "x"), "http://127.0.0.1:9/x.ome.zarr", "127.0.0.1:9"),
    Case(
        "image name taken",
        ("add-image", "{repo}", "{data}/a.npy", "--name", "img"),
        "img",
        2,
        npy("a.npy", np.zeros(SHAPE, np.uint8)),
    ),
    *(
        Case(
            f"image name {name!r}",
            ("add-image", "{repo}", "{data}/a.npy", "--name", name),
            "name",
            2,
            npy("a.npy", np.zeros(SHAPE, np.uint8)),
        )
        for name in ("", "a/b", "..", "-x", "a b", "é", "x" * 129)
    ),
    Case(
        "image axes too few",
        ("add-image", "{repo}", "{data}/a.npy", "--name", "n", "--axes", "x"),
        "axes",
        2,
        npy("a.npy", np.zeros(SHAPE, np.uint8)),
    ),
    Case(
        "image axes repeated",
        ("add-image", "{repo}", "{data}/a.npy", "--name", "n", "--axes", "yy"),
        "axes",
        2,
        npy("a.npy", np.zeros(SHAPE, np.uint8)),
    ),
    Case(
        "image axes unknown",
        ("add-image", "{repo}", "{data}/a.npy", "--name", "n", "--axes", "yq"),
        "axes",
        2,
        npy("a.npy", np.zeros(SHAPE, np.uint8)),
    ),
    Case(
        "image in no repository",
        ("add-image", "{data}", "{data}/a.npy", "--name", "n"),
        "repository",
        2,
        npy("a.npy", np.zeros(SHAPE, np.uint8)),
    ),
    # -- add-labels: pixels ------------------------------------------------------------------
    labels_from("float", np.zeros(SHAPE, np.float32), "dtype"),
    labels_from("boolean", np.zeros(SHAPE, bool), "dtype"),
    labels_from("complex", np.zeros(SHAPE, complex), "dtype"),
    labels_from("0-D", np.zeros((), np.uint8), "l.npy"),
    labels_from("1-D", np.zeros(64, np.uint8), "l.npy"),
    labels_from("1×1", np.zeros((1, 1), np.uint8), "shape"),
    labels_from("1×64", np.zeros((1, 64), np.uint8), "shape"),
    labels_from("wrong height", np.zeros((47, 64), np.uint8), "shape"),
    labels_from("transposed", np.zeros((64, 48), np.uint8), "shape"),
    labels_from("4-D", np.zeros((2, 2, 48, 64), np.uint8), "l.npy"),
    Case("labels missing file", add_labels("{data}/missing.npy"), "missing.npy"),
    Case("labels empty npy", add_labels("{data}/e.npy"), "e.npy", 2, write("e.npy", b"")),
    Case("labels 8-byte TIFF", add_labels("{data}/t.tif"), "t.tif", 2, write("t.tif", tiny_tiff())),
    Case("labels Zarr group", add_labels("{data}/g.zarr"), "g.zarr", 2, zarr_group("g.zarr")),
    Case(
        "labels huge Zarr shape",
        add_labels("{data}/h.zarr"),
        "shape",
        2,
        zarr_array("h.zarr", (10**6, 10**6), "uint32"),
    ),
    Case(
        "labels float Zarr",
        add_labels("{data}/f.zarr"),
        "dtype",
        2,
        zarr_array("f.zarr", SHAPE, "float32"),
    ),
    Case(
        "labels for an unknown image",
        ("add-labels", "{repo}", "nope", "{data}/ok.npy", *LABEL_ARGS),
        "nope",
        2,
        OK_LABELS,
    ),
    Case("labels wrong axes", add_labels("{data}/ok.npy", "--axes", "zyx"), "axes", 2, OK_LABELS),
    Case("labels axes unknown", add_labels("{data}/ok.npy", "--axes", "yq"), "axes", 2, OK_LABELS),
    # -- add-labels: options -----------------------------------------------------------------
    Case("labels without --type", add_labels_without("--type"), "--type", 2, OK_LABELS),
    Case("labels without --method", add_labels_without("--method"), "method", 2, OK_LABELS),
    Case(
        "labels bad --type", add_labels("{data}/ok.npy", "--type", "blobs"), "--type", 2, OK_LABELS
    ),
    Case(
        "labels bad --method",
        add_labels("{data}/ok.npy", "--method", "magic"),
        "--method",
        2,
        OK_LABELS,
    ),
    Case(
        "labels bad --downsampling",
        add_labels("{data}/ok.npy", "--downsampling", "mean"),
        "--downsampling",
        2,
        OK_LABELS,
    ),
    Case("labels empty name", add_labels("{data}/ok.npy", "--name", ""), "name", 2, OK_LABELS),
    Case("labels padded name", add_labels("{data}/ok.npy", "--name", " n"), "name", 2, OK_LABELS),
    Case(
        "labels name with a newline",
        add_labels("{data}/ok.npy", "--name", "a\nb"),
        "name",
        2,
        OK_LABELS,
    ),
    Case(
        "labels name with NUL",
        add_labels("{data}/ok.npy", "--name", "a\x01b"),
        "name",
        2,
        OK_LABELS,
    ),
    Case(
        "labels empty collection",
        add_labels("{data}/ok.npy", "--collection", ""),
        "collection",
        2,
        OK_LABELS,
    ),
    Case(
        "labels bad version",
        add_labels("{data}/ok.npy", "--version", "v 1"),
        "version",
        2,
        OK_LABELS,
    ),
    Case(
        "labels version with @",
        add_labels("{data}/ok.npy", "--version", "v@1"),
        "version",
        2,
        OK_LABELS,
    ),
    Case(
        "labels taken name@version",
        add_labels("{data}/ok.npy", "--name", "seg"),
        "seg@v1",
        2,
        OK_LABELS,
    ),
    Case(
        "labels unknown --derived-from",
        add_labels("{data}/ok.npy", "--derived-from", "x@v9"),
        "x@v9",
        2,
        OK_LABELS,
    ),
    Case(
        "labels bad --model-sha256",
        add_labels("{data}/ok.npy", "--model-sha256", "zzz"),
        "model_sha256",
        2,
        OK_LABELS,
    ),
    Case(
        "labels missing --classes file",
        add_labels("{data}/ok.npy", "--classes", "{data}/none.json"),
        "none.json",
        2,
        OK_LABELS,
    ),
    Case(
        "labels missing --parameters file",
        add_labels("{data}/ok.npy", "--parameters", "{data}/none.json"),
        "none.json",
        2,
        OK_LABELS,
    ),
    classes('{"1": "nucleus",'),
    classes('{"1": "a", "1": "b"}'),
    classes('{"1": ["a"]}'),
    classes('{"x": "a"}'),
    classes('{"1.5": "a"}'),
    classes('{"1": {"value": 7}}'),
    classes('{"1": {"color": [true, 0, 0, 255]}}'),
    classes('{"1": {"color": [256, 0, 0, 255]}}'),
    classes('{"1": {"color": [1, 2, 3]}}'),
    classes('{"1": {"color": "red"}}'),
    classes('{"1": ""}'),
    classes('{"1": {"name": 5}}'),
    classes('{"18446744073709551616": "too big"}'),
    classes('{"-9223372036854775809": "too small"}'),
    classes('{"1": {"properties": {"x": NaN}}}'),
    classes('{"1": {"stain": Infinity}}'),
    classes('{"1": {"class": "reserved"}}'),
    classes(nested(10_000)),
    classes("[1, 2, 3]"),
    classes('"nucleus"'),
    classes("\x00\x01binary"),
    classes('[{"value": 1}, {"value": 1}]'),
    classes('{"' + "1" * 5000 + '": "a"}'),
    parameters('{"a": NaN}'),
    parameters('{"a": -Infinity}'),
    parameters('{"a": 1, "a": 2}'),
    parameters("[1, 2]"),
    parameters('{"a": ' + nested(5000) + "}"),
    parameters('{"a": ' + "9" * 5000 + "}"),
    parameters("{"),
    parameters(""),
    provenance('{"method": "magic"}'),
    provenance('{"method": "manual", "created": 1700000000}'),
    provenance('{"method": "manual", "created": "0001-01-01T00:00:00+14:00"}'),
    provenance('{"method": "manual", "created": "yesterday"}'),
    provenance('{"method": "manual", "created": "2026-01-01T00:00:00"}'),
    provenance('{"method": "manual", "model_sha256": "zzz"}'),
    provenance('{"method": "manual", "unknown_field": 1}'),
    provenance('{"method": "manual", "parameters": [1]}'),
    provenance('{"method": "manual", "author": 5}'),
    provenance('{"method": "manual", "content_hash": "sha256:' + "0" * 64 + '"}', "content_hash"),
    provenance('{"method": "manual", "label_type": "blobs"}'),
    provenance("[]"),
    provenance('{"method": "manual",}'),
    # -- find, lineage, instance -------------------------------------------------------------
    Case(
        "find huge --min-instances",
        ("find", "{repo}", "--min-instances", "1" + "0" * 30),
        "--min-instances",
    ),
    Case(
        "find float --min-instances",
        ("find", "{repo}", "--min-instances", "1e23"),
        "--min-instances",
    ),
    Case(
        "find negative --max-instances",
        ("find", "{repo}", "--max-instances", "-1"),
        "--max-instances",
    ),
    Case(
        "find NaN --min-mean-area", ("find", "{repo}", "--min-mean-area", "nan"), "--min-mean-area"
    ),
    Case(
        "find infinite --max-mean-area",
        ("find", "{repo}", "--max-mean-area", "inf"),
        "--max-mean-area",
    ),
    Case("find huge --limit", ("find", "{repo}", "--limit", str(2**63)), "--limit"),
    Case("find bad --type", ("find", "{repo}", "--type", "blobs"), "--type"),
    Case("find bad --method", ("find", "{repo}", "--method", "magic"), "--method"),
    Case("find unknown --derived-from", ("find", "{repo}", "--derived-from", "x@v1"), "x@v1"),
    Case("find in no repository", ("find", "{data}"), "repository"),
    Case("lineage unknown", ("lineage", "{repo}", "x@v1"), "x@v1"),
    Case(
        "lineage of an id that is none",
        ("lineage", "{repo}", "0123456789abcdef"),
        "0123456789abcdef",
    ),
    Case("instance no colon", ("instance", "show", "{repo}", "nope"), "instance id"),
    Case("instance float value", ("instance", "show", "{repo}", "seg@v1:1e23"), "instance id"),
    Case("instance empty value", ("instance", "show", "{repo}", "seg@v1:"), "instance id"),
    Case(
        "instance huge value", ("instance", "show", "{repo}", "seg@v1:" + "9" * 30), "instance id"
    ),
    Case("instance absent value", ("instance", "show", "{repo}", "seg@v1:4000"), "instance"),
    Case(
        "instance of 2**64",
        ("instance", "show", "{repo}", "seg@v1:18446744073709551616"),
        "instance",
    ),
    Case("instance unknown label", ("instance", "show", "{repo}", "x@v1:1"), "x@v1"),
    Case("instance table unknown", ("instance", "table", "{repo}", "x@v1"), "x@v1"),
    Case(
        "instance table output exists",
        ("instance", "table", "{repo}", "seg@v1", "--output", "{data}/t.csv"),
        "t.csv",
        2,
        write("t.csv", "x"),
    ),
    Case(
        "instance table output suffix",
        ("instance", "table", "{repo}", "seg@v1", "--output", "{data}/t.xlsx"),
        "t.xlsx",
    ),
    # -- add-table, table --------------------------------------------------------------------
    Case("table missing file", ("add-table", "{repo}", "seg@v1", "{data}/none.csv"), "none.csv"),
    Case(
        "table empty CSV",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "f.csv",
        2,
        write("f.csv", ""),
    ),
    Case(
        "table no key column",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "label",
        2,
        write("f.csv", "x,y\n1,2\n"),
    ),
    Case(
        "table unknown values",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "label values",
        2,
        write("f.csv", "label,y\n999,2\n"),
    ),
    Case(
        "table repeated rows",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "label",
        2,
        write("f.csv", "label,y\n1,2\n1,3\n"),
    ),
    Case(
        "table repeated column",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "f.csv",
        2,
        write("f.csv", "label,y,y\n1,2,3\n"),
    ),
    Case(
        "table float keys",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "label",
        2,
        write("f.csv", "label,y\n1.5,2\n"),
    ),
    Case(
        "table text keys",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "label",
        2,
        write("f.csv", "label,y\nabc,2\n"),
    ),
    Case(
        "table named instances",
        ("add-table", "{repo}", "seg@v1", "{data}/instances.csv"),
        "instances",
        2,
        write("instances.csv", "label,y\n1,2\n"),
    ),
    Case(
        "table bad name",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv", "--name", "a b"),
        "table name",
        2,
        write("f.csv", "label,y\n1,2\n"),
    ),
    Case(
        "table bad parquet",
        ("add-table", "{repo}", "seg@v1", "{data}/f.parquet"),
        "f.parquet",
        2,
        write("f.parquet", b"PAR1garbage"),
    ),
    Case(
        "table unknown suffix",
        ("add-table", "{repo}", "seg@v1", "{data}/f.xlsx"),
        "f.xlsx",
        2,
        write("f.xlsx", "x"),
    ),
    Case(
        "table binary CSV",
        ("add-table", "{repo}", "seg@v1", "{data}/f.csv"),
        "f.csv",
        2,
        write("f.csv", b"\xff\xfe\x00\x00label"),
    ),
    Case("table list unknown label", ("table", "list", "{repo}", "x@v1"), "x@v1"),
    Case("table export unknown table", ("table", "export", "{repo}", "seg@v1", "nope"), "nope"),
    # -- compare -----------------------------------------------------------------------------
    Case("compare unknown", ("compare", "{repo}", "seg@v1", "x@v1"), "x@v1"),
    Case("compare zero IoU", ("compare", "{repo}", "seg@v1", "seg@v1", "--iou", "0"), "--iou"),
    Case("compare IoU above 1", ("compare", "{repo}", "seg@v1", "seg@v1", "--iou", "1.5"), "--iou"),
    Case("compare NaN IoU", ("compare", "{repo}", "seg@v1", "seg@v1", "--iou", "nan"), "--iou"),
    Case(
        "compare semantic with instance",
        ("compare", "{repo}", "seg@v1", "classes@v1"),
        "label type",
    ),
    # -- collections -------------------------------------------------------------------------
    Case("collection show unknown", ("collection", "show", "{repo}", "nope"), "nope"),
    Case("collection list unknown image", ("collection", "list", "{repo}", "nope"), "nope"),
    Case("collection add unknown label", ("collection", "add", "{repo}", "c2", "x@v1"), "x@v1"),
    Case("collection add empty name", ("collection", "add", "{repo}", "", "seg@v1"), "collection"),
    Case(
        "collection add control name",
        ("collection", "add", "{repo}", "a\tb", "seg@v1"),
        "collection",
    ),
    # -- validate ----------------------------------------------------------------------------
    Case("validate missing", ("validate", "{data}/missing.json"), "missing.json"),
    validate("binary", b"\x89PNG\r\n\x1a\n\x00\x00", "doc.json"),
    validate("empty", "", "doc.json"),
    validate("repeated keys", '{"ome": {}, "ome": {}}', "doc.json"),
    validate("NaN", '{"ome": NaN}', "doc.json"),
    validate("deep nesting", nested(10_000), "doc.json"),
    validate("5,000 digits", '{"ome": ' + "9" * 5000 + "}", "doc.json"),
    validate("list root", "[]", "doc.json"),
    validate("string ome", '{"ome": "collection"}', "doc.json"),
    validate(
        "nodes not a list",
        json.dumps({"ome": {"type": "collection", "name": "c", "nodes": 5}}),
        "doc.json",
    ),
    validate(
        "node not an object",
        json.dumps({"ome": {"type": "collection", "name": "c", "nodes": [5]}}),
        "doc.json",
    ),
    validate("created out of range", OUT_OF_RANGE_DOCUMENT, "doc.json"),
    Case(
        "validate a folder that is no store",
        ("validate", "{data}/dir"),
        "dir",
        2,
        write("dir/x", "x"),
    ),
    Case(
        "validate a broken zarr.json",
        ("validate", "{data}/s.zarr"),
        "s.zarr",
        2,
        write("s.zarr/zarr.json", "{not json"),
    ),
    # -- export ------------------------------------------------------------------------------
    Case("export unknown image", ("export", "{repo}", "nope", "{data}/o.ome.zarr"), "nope"),
    Case(
        "export over a file",
        ("export", "{repo}", "img", "{data}/o.ome.zarr"),
        "o.ome.zarr",
        2,
        write("o.ome.zarr", "x"),
    ),
    Case(
        "export under a file",
        ("export", "{repo}", "img", "{data}/f/o.ome.zarr"),
        "f/o.ome.zarr",
        2,
        write("f", "x"),
    ),
    Case(
        "export into the repository",
        ("export", "{repo}", "img", "{repo}/images/o.ome.zarr"),
        "repository",
    ),
    Case(
        "export to a URL", ("export", "{repo}", "img", "http://127.0.0.1:9/o.ome.zarr"), "http://"
    ),
    Case(
        "export overwrite of a plain folder",
        ("export", "{repo}", "img", "{data}/d", "--overwrite"),
        "export to replace",
        2,
        write("d/x", "x"),
    ),
    Case(
        "export bad --ngff",
        ("export", "{repo}", "img", "{data}/o.ome.zarr", "--ngff", "0.3"),
        "--ngff",
    ),
    # -- import ------------------------------------------------------------------------------
    Case("import missing", ("import", "{repo}", "{data}/none.ome.zarr"), "none.ome.zarr"),
    Case("import a plain folder", ("import", "{repo}", "{data}/d"), "d", 2, write("d/x", "x")),
    Case(
        "import a Zarr group without image",
        ("import", "{repo}", "{data}/g.zarr"),
        "multiscales",
        2,
        zarr_group("g.zarr"),
    ),
    Case(
        "import an image already here",
        ("import", "{repo}", "{data}/x.ome.zarr"),
        "img",
        2,
        exported("x.ome.zarr", lambda store: None),
    ),
    import_of(
        "negative shape", edit_json("0/zarr.json", set_array_meta("shape", [-5, 64])), "x.ome.zarr"
    ),
    import_of(
        "absurd shape",
        edit_json("0/zarr.json", set_array_meta("shape", [10**15, 10**15])),
        "x.ome.zarr",
    ),
    import_of(
        "zero chunks",
        edit_json(
            "0/zarr.json",
            set_array_meta(
                "chunk_grid", {"name": "regular", "configuration": {"chunk_shape": [0, 0]}}
            ),
        ),
        "x.ome.zarr",
    ),
    import_of(
        "float label dtype", label_record(lambda record: record.update(dtype="float32")), "dtype"
    ),
    import_of("corrupt chunk", corrupt_chunk, "x.ome.zarr"),
    import_of("chunk linked outside", escaping_chunk, "x.ome.zarr"),
    import_of(
        "changed pixels",
        lambda store: zarr.open_array(
            str(next((store / "labels").iterdir()) / "0"), mode="r+"
        ).__setitem__((0, 0), 77),
        "x.ome.zarr",
    ),
    import_of("derived from itself", label_record(derived_from_itself), "derived_from"),
    import_of("bad parquet table", bad_table, "x.ome.zarr"),
    import_of(
        "garbage label metadata",
        lambda store: (next((store / "labels").iterdir()) / "zarr.json").write_text("{"),
        "x.ome.zarr",
    ),
    import_of(
        "class value beyond uint64",
        label_record(lambda record: record["label_schema"].update(classes=[{"value": 2**64}])),
        "x.ome.zarr",
    ),  # type: ignore[union-attr]
    # -- verify, reindex ---------------------------------------------------------------------
    Case("verify of no repository", ("verify", "{data}"), "repository"),
    Case("reindex of no repository", ("reindex", "{data}"), "repository"),
    # -- OMERO -------------------------------------------------------------------------------
    Case("omero list without a server", ("omero", "list", "1"), "OMERO_HOST"),
    Case(
        "omero find without conditions",
        ("omero", "--host", "127.0.0.1", "--port", "9", "--user", "u", "--password", "p", "find"),
        "conditions",
    ),
    Case(
        "omero masks output exists",
        ("omero", "masks", "1", "{data}/m.npy", "--from-masks"),
        "m.npy",
        2,
        write("m.npy", "x"),
    ),
    Case("omero bad port", ("omero", "--port", "x", "list", "1"), "--port"),
    Case("omero port out of range", ("omero", "--port", "70000", "list", "1"), "--port"),
    Case("omero image id zero", ("omero", "list", "0"), "OMERO_IMAGE"),
    Case("omero image id negative", ("omero", "pull", "--", "-5", "{repo}"), "OMERO_IMAGE"),
    Case(
        "omero push to image id zero", ("omero", "push", "{repo}", "x", "--image", "0"), "--image"
    ),
    Case(
        "omero find by collection id zero",
        ("omero", "find", "--collection-id", "0"),
        "--collection-id",
    ),
    # -- usage -------------------------------------------------------------------------------
    Case("unknown command", ("frobnicate",), "frobnicate"),
    Case("unknown option", ("find", "{repo}", "--colour", "red"), "--colour"),
    Case("missing argument", ("add-labels", "{repo}"), "IMAGE"),
]


@pytest.fixture(scope="session")
def corpus_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small repository: image ``img`` with instance ``seg@v1`` and semantic ``classes@v1``."""
    from labelcollections.model.provenance import Provenance
    from labelcollections.repository import Repository

    root = tmp_path_factory.mktemp("corpus") / "repo"
    rng = np.random.default_rng(0)
    labels = np.zeros(SHAPE, dtype=np.uint16)
    labels[5:15, 5:20], labels[25:40, 30:60] = 1, 2
    with Repository.init(root) as repo:
        repo.add_image(rng.integers(0, 255, size=SHAPE, dtype=np.uint8), "img")
        manual = Provenance(method="manual")
        repo.add_labels(
            "img", labels, collection="c", name="seg", label_type="instance", provenance=manual
        )
        repo.add_labels(
            "img",
            (labels > 0).astype(np.uint8),
            collection="c",
            name="classes",
            label_type="semantic",
            provenance=manual,
        )
    return root


@pytest.fixture
def workspace(corpus_repository: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """``repo``, a copy of the corpus repository, ``empty``, an empty repository beside it,
    and ``data``, a folder for the case's inputs."""
    from labelcollections.repository import Repository

    shutil.copytree(corpus_repository, tmp_path / "repo", symlinks=True)
    Repository.init(tmp_path / "empty").close()
    data = tmp_path / "data"
    data.mkdir()
    yield tmp_path, data
    for path in data.rglob("*"):  # chunks made read-only by a case must go again
        if not path.is_symlink():
            os.chmod(path, 0o755)


def fingerprint(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def test_the_corpus_is_large_and_its_names_unique() -> None:
    assert len(CASES) >= 150
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input_is_one_line_and_writes_nothing(
    case: Case, workspace: tuple[Path, Path], run: Run
) -> None:
    root, data = workspace
    repo, empty = root / "repo", root / "empty"
    if case.prepare is not None:
        case.prepare(data, repo)
    before = fingerprint(repo), fingerprint(empty)
    argv = [
        part.replace("{repo}", str(repo))
        .replace("{empty}", str(empty))
        .replace("{data}", str(data))
        for part in case.argv
    ]
    code, out, err = run(*argv)
    lines = err.strip("\n").split("\n")
    assert (code, len(lines)) == (case.code, 1), f"exit {code}: {err or out}"
    assert lines[0].startswith("error: ") and "internal" not in lines[0], err
    assert case.expected in lines[0], err
    assert out == ""
    assert (fingerprint(repo), fingerprint(empty)) == before
