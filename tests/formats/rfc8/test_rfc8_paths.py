"""Resolving RFC-8 paths inside a sandbox, and inlining collections kept in other documents."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.formats.rfc8 import (
    CollectionNode,
    MultiscaleNode,
    Path,
    parse_document,
    resolve_external,
    resolve_path,
)

EXTERNAL = FilePath("rfc8-examples") / "plain" / "external_collection"

# --- examples -----------------------------------------------------------------------------------


def test_parent_folder_of_the_sandbox_root_is_refused() -> None:
    with pytest.raises(InputError) as raised:
        resolve_path("/data/collection.json", "../x", "/data")
    assert raised.value.source == "/data/collection.json"
    assert raised.value.field == "path"
    assert raised.value.expected.startswith("a path inside /data (got '../x'")


def test_dot_segments_inside_the_sandbox_are_accepted() -> None:
    assert resolve_path("/data/collection.json", "./a/../b", "/data") == "/data/b"
    assert resolve_path("/data/sub/c.json", "../img.zarr", "/data") == "/data/img.zarr"


def test_file_url_outside_is_refused_and_inside_is_a_posix_path() -> None:
    with pytest.raises(InputError):
        resolve_path("/data/collection.json", "file:///etc/passwd", "/data")
    assert resolve_path("/data/collection.json", "file:///data/a%20b", "/data") == "/data/a b"


def test_absolute_posix_path_outside_is_refused() -> None:
    with pytest.raises(InputError):
        resolve_path("/data/collection.json", "/etc/passwd", "/data")


def test_sandbox_is_compared_by_whole_segments() -> None:
    with pytest.raises(InputError):
        resolve_path("/data/collection.json", "../database/x", "/data")


def test_https_url_outside_is_refused_unless_allowed() -> None:
    base = "https://example.org/study/collection.json"
    with pytest.raises(InputError):
        resolve_path(base, "https://elsewhere.org/img.zarr", "https://example.org/study")
    assert (
        resolve_path(
            base, "https://elsewhere.org/img.zarr", "https://example.org/study", allow_outside=True
        )
        == "https://elsewhere.org/img.zarr"
    )


def test_relative_paths_under_an_https_base() -> None:
    base = "https://example.org/study/collection.json"
    sandbox = "https://example.org/study"
    assert resolve_path(base, "./raw.zarr/", sandbox) == "https://example.org/study/raw.zarr/"
    assert resolve_path(base, "/study/x", sandbox) == "https://example.org/study/x"
    with pytest.raises(InputError):
        resolve_path(base, "../other/x", sandbox)
    with pytest.raises(InputError):
        resolve_path(base, "%2e%2e/other/x", sandbox)  # an encoded ".." is still ".."
    with pytest.raises(InputError):
        resolve_path(base, "//evil.org/study/x", sandbox)
    with pytest.raises(InputError):
        resolve_path(base, "http://example.org/study/x", sandbox)  # another scheme


def test_file_url_base_keeps_url_spelling() -> None:
    assert resolve_path("file:///data/a%20b/c.json", "./d", "/data") == "file:///data/a%20b/d"


def test_relative_posix_locations() -> None:
    assert resolve_path("study/c.json", "./img.zarr", "study") == "study/img.zarr"
    assert resolve_path("c.json", "a/../b", ".") == "b"
    with pytest.raises(InputError):
        resolve_path("c.json", "../x", ".")
    with pytest.raises(InputError):
        resolve_path("study/c.json", "../other/x", "study")
    with pytest.raises(InputError):
        resolve_path("study/c.json", "/study/x", "study")  # absolute is not below a relative box


def test_an_empty_path_is_the_document_itself() -> None:
    assert resolve_path("/data/collection.json", "", "/data") == "/data/collection.json"


def test_a_base_ending_in_a_slash_is_a_folder() -> None:
    assert resolve_path("/data/img.zarr/", "0", "/data") == "/data/img.zarr/0"
    assert resolve_path("/data/img.zarr/zarr.json", "./0", "/data") == "/data/img.zarr/0"


# --- properties ---------------------------------------------------------------------------------

SEGMENTS = st.sampled_from(["..", ".", "a", "b", "data", "", "x.zarr"])
RELATIVE = st.lists(SEGMENTS, min_size=1, max_size=6).map("/".join).filter(bool)
ABSOLUTE = RELATIVE.map(lambda path: "/" + path)
SANDBOXES = st.lists(st.sampled_from(["data", "a", "b"]), min_size=0, max_size=3).map(
    lambda parts: "/" + "/".join(parts)
)


def _inside(path: str, sandbox: str) -> bool:
    """Independent check: ``path`` is ``sandbox`` or below it, on normalised POSIX paths."""
    path, sandbox = posixpath.normpath(path), posixpath.normpath(sandbox)
    return posixpath.commonpath([path, sandbox]) == sandbox


def _expected(base: str, path: str) -> str:
    """Independent resolution of a POSIX path against the folder of ``base``."""
    joined = posixpath.join(posixpath.dirname(base), path)
    return "/" + posixpath.normpath(joined).lstrip("/")


@given(
    sandbox=SANDBOXES,
    below=st.lists(SEGMENTS.filter(lambda s: s not in ("..", ".", ""))),
    path=RELATIVE | ABSOLUTE,
)
def test_resolved_paths_never_escape_the_sandbox(sandbox: str, below: list[str], path: str) -> None:
    base = posixpath.join(sandbox, *below, "collection.json")
    expected = _expected(base, path)
    try:
        resolved = resolve_path(base, path, sandbox)
    except InputError:
        assert not _inside(expected, sandbox)
    else:
        assert _inside(resolved, sandbox)
        assert posixpath.normpath(resolved) == expected


@given(sandbox=SANDBOXES, path=RELATIVE | ABSOLUTE)
def test_allow_outside_never_refuses_and_resolves_the_same(sandbox: str, path: str) -> None:
    base = posixpath.join(sandbox, "collection.json")
    resolved = resolve_path(base, path, sandbox, allow_outside=True)
    assert posixpath.normpath(resolved) == _expected(base, path)


@given(path=RELATIVE | ABSOLUTE)
def test_urls_never_escape_the_sandbox(path: str) -> None:
    sandbox = "https://example.org/data/study"
    base = "https://example.org/data/study/c.json"
    expected = _expected("/data/study/c.json", path)
    try:
        resolved = resolve_path(base, path, sandbox)
    except InputError:
        assert not _inside(expected, "/data/study")
    else:
        assert resolved.startswith("https://example.org/")
        assert _inside(resolved.removeprefix("https://example.org"), "/data/study")


# --- inlining external collections --------------------------------------------------------------


def _loader(files: Mapping[str, Any], loaded: list[str]) -> Any:
    def load(location: str) -> Mapping[str, Any]:
        loaded.append(location)
        return files[location]  # type: ignore[no-any-return]

    return load


def test_external_collection_resolves_to_the_published_result(conformance_dir: FilePath) -> None:
    folder = conformance_dir / EXTERNAL
    parent = json.loads((folder / "parent_collection.json").read_text())
    expected = json.loads((folder / "resolved_collection.json").read_text())["ome"]
    base = str(folder / "parent_collection.json")
    files = {
        str(folder / "child_collection.json"): json.loads(
            (folder / "child_collection.json").read_text()
        )
    }
    loaded: list[str] = []
    resolved = resolve_external(
        parse_document(parent["ome"]), _loader(files, loaded), base, str(conformance_dir)
    )
    assert resolved.to_json() == expected
    assert loaded == [str(folder / "child_collection.json")]


def test_external_collection_outside_the_sandbox_is_not_loaded(conformance_dir: FilePath) -> None:
    folder = conformance_dir / EXTERNAL
    parent = json.loads((folder / "parent_collection.json").read_text())
    loaded: list[str] = []
    with pytest.raises(InputError):
        resolve_external(
            parse_document(parent["ome"]),
            _loader({}, loaded),
            str(folder / "parent_collection.json"),
            str(folder / "elsewhere"),
        )
    assert loaded == []


def _collection_file(name: str, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ome": {"version": "0.9.dev3", "type": "collection", "name": name, "nodes": nodes}}


def test_nested_documents_are_inlined_and_relative_paths_rebased() -> None:
    files = {
        "/data/sub/child.json": _collection_file(
            "child",
            [
                {
                    "type": "multiscale",
                    "name": "img",
                    "path": {"type": "zarr", "path": "./img.zarr"},
                },
                {
                    "type": "collection",
                    "name": "deeper",
                    "path": {"type": "json", "path": "deep/g.json"},
                },
            ],
        ),
        "/data/sub/deep/g.json": _collection_file(
            "grandchild",
            [
                {
                    "type": "multiscale",
                    "name": "seg",
                    "path": {"type": "zarr", "path": "../../seg.zarr"},
                    "attributes": {
                        "labels": {
                            "source": [
                                {
                                    "id": "root-img",
                                    "path": {"type": "json", "path": "../../c.json"},
                                },
                                {"id": "far", "path": {"type": "zarr", "path": "./far.zarr"}},
                            ]
                        }
                    },
                }
            ],
        ),
    }
    parent = CollectionNode(
        version="0.9.dev3",
        name="root",
        nodes=[
            MultiscaleNode(name="root-img", id="root-img", path=Path(type="zarr", path="./r")),
            CollectionNode(name="sub", path=Path(type="json", path="./sub/child.json")),
        ],
    )
    loaded: list[str] = []
    resolved = resolve_external(parent, _loader(files, loaded), "/data/c.json", "/data")
    assert loaded == ["/data/sub/child.json", "/data/sub/deep/g.json"]
    sub = resolved.to_json()["nodes"][1]
    assert sub == {
        "type": "collection",
        "name": "sub",
        "nodes": [
            {
                "type": "multiscale",
                "name": "img",
                "path": {"type": "zarr", "path": "./sub/img.zarr"},
            },
            {
                "type": "collection",
                "name": "deeper",
                "nodes": [
                    {
                        "type": "multiscale",
                        "name": "seg",
                        "path": {"type": "zarr", "path": "./seg.zarr"},
                        "attributes": {
                            "labels": {
                                "source": [
                                    {"id": "root-img"},
                                    {
                                        "id": "far",
                                        "path": {"type": "zarr", "path": "./sub/deep/far.zarr"},
                                    },
                                ]
                            }
                        },
                    }
                ],
            },
        ],
    }


def test_a_collection_that_includes_itself_is_refused() -> None:
    files = {
        "/data/a.json": _collection_file(
            "a", [{"type": "collection", "name": "b", "path": {"type": "json", "path": "./b.json"}}]
        ),
        "/data/b.json": _collection_file(
            "b", [{"type": "collection", "name": "a", "path": {"type": "json", "path": "./a.json"}}]
        ),
    }
    root = parse_document(files["/data/a.json"]["ome"])
    with pytest.raises(InputError, match="does not contain itself"):
        resolve_external(root, _loader(files, []), "/data/a.json", "/data")


def test_a_json_path_to_something_other_than_a_collection_is_refused() -> None:
    files = {"/data/m.json": {"ome": {"type": "multiscale", "name": "m", "nodes": []}}}
    root = CollectionNode(
        name="c", nodes=[CollectionNode(name="x", path=Path(type="json", path="m.json"))]
    )
    with pytest.raises(InputError) as raised:
        resolve_external(root, _loader(files, []), "/data/c.json", "/data")
    assert raised.value.source == "/data/m.json"


def test_an_unreadable_loaded_document_is_an_input_error() -> None:
    files = {"/data/x.json": {"ome": {"name": "no type", "nodes": []}}}
    root = CollectionNode(
        name="c", nodes=[CollectionNode(name="x", path=Path(type="json", path="x.json"))]
    )
    with pytest.raises(InputError) as raised:
        resolve_external(root, _loader(files, []), "/data/c.json", "/data")
    assert (raised.value.source, raised.value.field) == ("/data/x.json", "ome")


def test_zarr_paths_are_not_followed() -> None:
    root = CollectionNode(
        name="c", nodes=[MultiscaleNode(name="m", path=Path(type="zarr", path="../../etc"))]
    )
    loaded: list[str] = []
    assert resolve_external(root, _loader({}, loaded), "/data/c.json", "/data") == root
    assert loaded == []
