"""Manifests: CSV and JSON Lines mean what the add-image / add-labels options mean; every
mistake in them is one line naming the file, the row and the column, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import Run

from labelcollections.errors import InputError
from labelcollections.ingest import glob_rows, read_manifest
from labelcollections.model.vocabulary import LabelType, Method
from labelcollections.repository import Repository

HEADER = "image,labels,collection,name,type,method,software"


def test_csv_and_json_lines_mean_the_same(tmp_path: Path) -> None:
    (tmp_path / "classes.json").write_text(json.dumps({"1": "nucleus"}))
    (tmp_path / "manifest.csv").write_text(
        "image,image_name,labels,collection,name,type,version,axes,classes,method,software,"
        "model_sha256\n"
        f"raw/a.tif,a,seg/a.tif,my cells,nuclei,semantic,v2,yx,classes.json,machine-learning,"
        f"cellpose==3.1,sha256:{'ab' * 32}\n"
    )
    record = {
        "image": "raw/a.tif",
        "image_name": "a",
        "labels": "seg/a.tif",
        "collection": "my cells",
        "name": "nuclei",
        "type": "semantic",
        "version": "v2",
        "axes": "yx",
        "classes": {"1": "nucleus"},
        "method": "machine-learning",
        "software": "cellpose==3.1",
        "model_sha256": f"sha256:{'ab' * 32}",
    }
    (tmp_path / "manifest.jsonl").write_text(json.dumps(record) + "\n\n")
    from_csv = read_manifest(tmp_path / "manifest.csv")
    from_jsonl = read_manifest(tmp_path / "manifest.jsonl")
    assert len(from_csv) == len(from_jsonl) == 1
    row, other = from_csv[0], from_jsonl[0]
    assert row.image == str(tmp_path / "raw" / "a.tif")
    assert row.labels == str(tmp_path / "seg" / "a.tif")
    assert (row.key, row.label_type, row.axes) == ("a/nuclei@v2", LabelType.SEMANTIC, ("y", "x"))
    assert row.provenance.method is Method.MACHINE_LEARNING
    assert (row.provenance.software, row.provenance.software_version) == ("cellpose", "3.1")
    assert row.label_schema.class_names() == ["nucleus"]
    assert row.provenance.model_copy(update={"created": other.provenance.created}) == (
        other.provenance
    )
    assert (row.image, row.labels, row.label_schema) == (
        other.image,
        other.labels,
        other.label_schema,
    )


@pytest.mark.parametrize(
    ("lines", "field", "expected"),
    [
        ([HEADER + ",colour", "a.tif,b.tif,c,n,instance,manual,x,red"], "row 1: colour", "known"),
        (["image,labels,collection", "a.tif,b.tif,c"], "row 1: name", "a value"),
        ([HEADER, "a.tif,b.tif,c,n,blobs,manual,x"], "row 1: type", "one of semantic"),
        ([HEADER, "a.tif,b.tif,c,n,instance,guessed,x"], "row 1: method", "manual"),
        ([HEADER, "a.tif,b.tif,c,n,instance,manual"], "row 1", "values, one per column"),
        (
            [HEADER, "a.tif,b.tif,c,n,instance,manual,x", "a.tif,c.tif,c,n,instance,manual,x"],
            "row 2",
            "one row per label image (a/n@v1 is in row 1)",
        ),
        (
            [
                "image,image_name,labels,collection,name,type,method",
                "a.tif,a,b.tif,c,n,instance,manual",
                "z.tif,a,c.tif,c,m,instance,manual",
            ],
            "row 2: image",
            "one image",
        ),
        (
            [
                "image,image_name,labels,collection,name,type,method",
                "a.tif,bad name,b.tif,c,n,instance,manual",
            ],
            "row 1: image_name",
            "a name of",
        ),
        ([HEADER], "rows", "at least one row"),
    ],
)
def test_mistakes_name_the_row_and_column(
    tmp_path: Path, lines: list[str], field: str, expected: str
) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as raised:
        read_manifest(manifest)
    assert raised.value.source == str(manifest)
    assert raised.value.field == field
    assert expected in raised.value.expected


def test_json_lines_mistakes(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"image": "a.tif"}\n[1, 2]\n')
    with pytest.raises(InputError) as raised:
        read_manifest(manifest)
    assert raised.value.field == "line 2"
    manifest.write_text('{"image": "a.tif", "image": "b.tif"}\n')
    with pytest.raises(InputError, match="line 1"):
        read_manifest(manifest)


def test_an_invalid_manifest_exits_2_and_writes_nothing(tmp_path: Path, run: Run) -> None:
    Repository.init(tmp_path / "repo").close()
    before = sorted(p.name for p in (tmp_path / "repo").rglob("*"))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        HEADER + "\na.tif,b.tif,c,n,instance,manual,x\na.tif,b.tif,c,m,x,manual,z\n"
    )
    code, _out, err = run("ingest", tmp_path / "repo", manifest, "--workers", "1")
    assert code == 2
    assert (
        err.strip()
        == f"error: {manifest}: row 2: type: one of semantic, instance, panoptic (got 'x')"
    )
    assert sorted(p.name for p in (tmp_path / "repo").rglob("*")) == before


def test_the_glob_form_pairs_images_with_their_labels(tmp_path: Path) -> None:
    for name in ("b", "a"):
        (tmp_path / "raw").mkdir(exist_ok=True)
        (tmp_path / "raw" / f"{name}.ome.tif").write_bytes(b"")
    options = {"collection": "cells", "name": "nuclei", "type": "instance", "method": "algorithm"}
    rows = glob_rows("raw/*.tif", "seg/{stem}_masks.tif", options, tmp_path)
    assert [(r.number, r.image_name, Path(r.labels).name) for r in rows] == [
        (1, "a", "a_masks.tif"),
        (2, "b", "b_masks.tif"),
    ]
    with pytest.raises(InputError, match="--images"):
        glob_rows("nothing/*.tif", "seg/{stem}.tif", options, tmp_path)
    with pytest.raises(InputError, match=r"\{stem\}"):
        glob_rows("raw/*.tif", "seg/masks.tif", options, tmp_path)
