"""The command line: the README tour works, and every user mistake is one line, exit 2, no write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile

from labelcollections.catalog import queries

Run = Callable[..., tuple[int, str, str]]
NewCatalog = Callable[[], str | None]
Init = Callable[[Path], tuple[int, str, str]]


@pytest.fixture
def denbi(conformance_dir: Path) -> Path:
    return conformance_dir / "biohackathon" / "denbi"


@pytest.fixture
def init(run: Run, new_catalog: NewCatalog) -> Init:
    """``labelcollections init PATH`` with this test's catalog (every test runs on both)."""

    def make(path: Path) -> tuple[int, str, str]:
        url = new_catalog()
        return run("init", path, *(["--catalog", url] if url else []))

    return make


@pytest.fixture
def repo(tmp_path: Path, init: Init, denbi: Path, run: Run) -> Path:
    path = tmp_path / "repo"
    assert init(path)[0] == 0
    assert run("add-image", path, denbi / "sample.tiff", "--name", "nuclei_raw")[0] == 0
    return path


def add_labels(run: Run, repo: Path, source: Path, *extra: str) -> tuple[int, str, str]:
    return run(
        "add-labels", repo, "nuclei_raw", source, "--collection", "cell_analysis",
        "--name", "nuclei", "--type", "instance", "--method", "machine-learning",
        "--software", "cellpose==3.1.0", "--author", "Jane Doe", *extra,
    )  # fmt: skip


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if "catalog" not in p.name)


def test_the_readme_tour(run: Run, init: Init, repo: Path, denbi: Path, tmp_path: Path) -> None:
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"1": {"name": "nucleus", "color": [255, 0, 0, 255]}}))
    code, out, _ = add_labels(run, repo, denbi / "labels.tiff", "--model-sha256", "ab" * 32,
                              "--classes", classes)  # fmt: skip
    assert code == 0 and "nuclei@v1" in out and "collection cell_analysis" in out

    code, out, _ = run("collection", "list", repo, "nuclei_raw", "--json")
    assert [row["collection"] for row in json.loads(out)] == ["cell_analysis"]
    code, out, _ = run("collection", "show", repo, "cell_analysis", "--json")
    shown = json.loads(out)
    assert shown["label_images"][0]["provenance"]["software"] == "cellpose"
    assert shown["label_images"][0]["label_schema"]["classes"][0]["name"] == "nucleus"

    code, out, _ = run("find", repo, "--method", "machine-learning", "--software", "cellpose",
                       "--type", "instance", "--json")  # fmt: skip
    assert code == 0 and [item["name"] for item in json.loads(out)] == ["nuclei"]
    code, out, _ = run("find", repo, "--class", "mitochondrion", "--json")
    assert json.loads(out) == []

    out_store = tmp_path / "out" / "nuclei_raw.ome.zarr"
    assert run("export", repo, "nuclei_raw", out_store)[0] == 0
    assert run("validate", out_store)[0] == 0
    assert run("validate", out_store / "collections" / "cell_analysis.json")[0] == 0
    other = tmp_path / "other"
    assert init(other)[0] == 0
    code, out, _ = run("import", other, out_store)
    assert code == 0 and "1 label image in 1 collection" in out
    code, out, _ = run("verify", other)
    assert code == 0 and "2 pixel hashes match" in out
    assert run("reindex", other)[0] == 0
    code, out, _ = run("image", "list", other, "--json")
    assert json.loads(out)[0]["collections"] == 1


def test_find_pages_with_a_cursor_and_reports_the_total(
    run: Run, repo: Path, denbi: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("v1", "v2", "v3"):
        assert add_labels(run, repo, denbi / "labels.tiff", "--version", version)[0] == 0
    code, out, _ = run("find", repo, "--json")
    everything = [label["version"] for label in json.loads(out)]
    assert everything == ["v1", "v2", "v3"]
    pages, cursor = [], None
    while True:
        code, out, _ = run(
            "find", repo, "--limit", "2", "--json", *(["--cursor", cursor] if cursor else [])
        )
        page = json.loads(out)
        assert code == 0 and page["total"] == 3
        pages.append([label["version"] for label in page["label_images"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [["v1", "v2"], ["v3"]]
    code, out, _ = run("find", repo, "--limit", "1", "--method", "machine-learning")
    assert "1 of 3 label images" in out and "next page: --cursor " in out
    code, _, err = run("find", repo, "--cursor", "not-a-cursor")
    assert code == 2 and "cursor: a cursor printed by an earlier find" in err
    monkeypatch.setattr(queries, "TOTAL_CAP", 2)
    code, out, _ = run("find", repo, "--limit", "1")
    assert "1 of 2+ label images" in out
    code, out, _ = run("find", repo, "--limit", "1", "--json")
    assert (json.loads(out)["total"], json.loads(out)["total_exact"]) == (2, False)
    code, out, _ = run("find", repo, "--limit", "1", "--exact-total", "--json")
    assert (json.loads(out)["total"], json.loads(out)["total_exact"]) == (3, True)


def test_provenance_can_come_from_a_file(run: Run, repo: Path, denbi: Path, tmp_path: Path) -> None:
    prov = tmp_path / "prov.json"
    prov.write_text(json.dumps({"method": "manual", "author": "A. Person",
                                "parameters": {"brush": [1, 2]}}))  # fmt: skip
    code, _, err = run("add-labels", repo, "nuclei_raw", denbi / "labels.tiff", "--collection",
                       "c", "--name", "n", "--type", "semantic", "--provenance", prov)  # fmt: skip
    assert code == 0, err
    code, out, _ = run("find", repo, "--author", "a. person", "--json")
    assert json.loads(out)[0]["provenance"]["parameters"] == {"brush": [1, 2]}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("malformed classes JSON", "classes.json: line 1 column"),
        ("unknown method in provenance file", "prov.json: method:"),
        ("float label array", "dtype: integer label pixels"),
        ("shape mismatch", "shape: the reference image's shape (520, 704)"),
        ("duplicate name", "nuclei@v1: label image: a name and version not yet used"),
        ("missing file", "missing.tif: file: an existing"),
        ("bad label type", "Invalid value for '--type'"),
        ("bad name", "name: a non-empty name"),
    ],
)
def test_user_mistakes_are_one_line_exit_2_and_write_nothing(
    run: Run, repo: Path, denbi: Path, tmp_path: Path, case: str, expected: str
) -> None:
    labels = denbi / "labels.tiff"
    extra: list[str] = []
    source: Path = labels
    if case == "malformed classes JSON":
        extra = ["--classes", str(write(tmp_path / "classes.json", '{"1": "nucleus",'))]
    elif case == "unknown method in provenance file":
        extra = ["--provenance", str(write(tmp_path / "prov.json", '{"method": "magic"}'))]
    elif case == "float label array":
        source = tmp_path / "float.tif"
        tifffile.imwrite(source, np.zeros((520, 704), dtype=np.float32))
    elif case == "shape mismatch":
        source = tmp_path / "small.tif"
        tifffile.imwrite(source, np.zeros((500, 704), dtype=np.uint16))
    elif case == "duplicate name":
        assert add_labels(run, repo, labels)[0] == 0
    elif case == "missing file":
        source = tmp_path / "missing.tif"
    elif case == "bad label type":
        extra = ["--type", "blobs"]
    elif case == "bad name":
        extra = ["--name", "line\nbreak"]
    before = tree(repo)
    if case == "unknown method in provenance file":
        code, out, err = run("add-labels", repo, "nuclei_raw", source, "--collection", "c",
                             "--name", "n", "--type", "instance", *extra)  # fmt: skip
    else:
        code, out, err = add_labels(run, repo, source, *extra)
    assert out == ""
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) <= 2, err
    assert "Traceback" not in err
    assert tree(repo) == before


def test_validate_reports_the_rule_and_location(run: Run, tmp_path: Path) -> None:
    document = {"ome": {"version": "0.9.dev3", "type": "collection", "name": "c",
                        "nodes": [{"type": "multiscale", "name": "img"}]}}  # fmt: skip
    path = write(tmp_path / "c.json", json.dumps(document))
    code, _, err = run("validate", path)
    assert code == 2
    assert "ome.nodes[0]" in err and "node-nodes-xor-path" in err


def test_validate_refuses_a_collection_of_labels_of_different_images(
    run: Run, repo: Path, denbi: Path, tmp_path: Path
) -> None:
    assert add_labels(run, repo, denbi / "labels.tiff")[0] == 0
    document_path = repo / "images/nuclei_raw.ome.zarr/collections/cell_analysis.json"
    document = json.loads(document_path.read_text())
    document["ome"]["nodes"][1]["attributes"]["labels"]["source"] = [
        {"id": "other-image", "path": {"type": "zarr", "path": "../../other.ome.zarr"}}
    ]
    edited = write(tmp_path / "edited.json", json.dumps(document))
    code, _, err = run("validate", edited)
    assert code == 2
    assert "ome.nodes[1].attributes.labels.source" in err


def test_import_refuses_paths_escaping_the_store(run: Run, init: Init, tmp_path: Path) -> None:
    store = tmp_path / "escape.ome.zarr"
    store.mkdir()
    (store / "zarr.json").write_text(json.dumps({
        "zarr_format": 3, "node_type": "group",
        "attributes": {"ome": {"version": "0.x", "type": "collection", "name": "x", "nodes": [
            {"name": "raw", "type": "multiscale", "path": "../../../etc"}]}},
    }))  # fmt: skip
    repo = tmp_path / "repo"
    init(repo)
    code, _, err = run("import", repo, store)
    assert code == 2
    assert "path" in err and "escape.ome.zarr" in err
    assert tree(repo / "images") == []


def test_verify_exits_1_on_changed_pixels(run: Run, repo: Path, denbi: Path) -> None:
    assert add_labels(run, repo, denbi / "labels.tiff")[0] == 0
    import zarr

    level = zarr.open_array(str(repo / "images/nuclei_raw.ome.zarr/labels/nuclei_v1/0"), mode="r+")
    level[5, 5] = 999
    code, _, err = run("verify", repo)
    assert code == 1
    assert "mismatch: label image nuclei_raw/nuclei@v1" in err
