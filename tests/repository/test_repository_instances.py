"""Instances through the repository and the CLI: stable ids, tables, feature tables, compare.

The demo repository's tests run with each catalog (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import shutil
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zarr
from rich.console import Console
from skimage.measure import regionprops_table

from labelcollections.catalog import ENVIRONMENT_VARIABLE
from labelcollections.catalog.local_server import LocalPostgres
from labelcollections.demo import run_demo
from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.provenance import Provenance
from labelcollections.progress import SilentProgress
from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash

Run = Callable[..., tuple[int, str, str]]


Demo = tuple[Path, LocalPostgres | None]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def demo_root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo repository, made once per catalog (and the server of its PostgreSQL one)."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    server: LocalPostgres | None = None
    with pytest.MonkeyPatch.context() as environment:
        if request.param == "postgresql":
            server = request.getfixturevalue("postgres")
            environment.setenv(ENVIRONMENT_VARIABLE, server.create_database())
        run_demo(root, SilentProgress(), Console(file=io.StringIO())).close()
    return root, server


@pytest.fixture
def demo(demo_root: Demo, tmp_path: Path) -> Iterator[Repository]:
    """A private copy of the demo repository (tests may add to it); on PostgreSQL its catalog
    is a copy of the demo's database."""
    root, server = demo_root
    copy = tmp_path / "repo"
    shutil.copytree(root / "repo", copy)
    if server is not None:
        marker = json.loads((copy / "labelcollections.json").read_text())
        database = marker["catalog"].rsplit("/", 1)[1]
        marker["catalog"] = server.create_database(template=database)
        (copy / "labelcollections.json").write_text(json.dumps(marker))
    with Repository.open(copy) as repository:
        yield repository


@pytest.mark.parametrize("key", ["nuclei@v1", "nuclei@v2", "stains@v1"])
def test_demo_instance_tables_equal_regionprops(demo: Repository, key: str) -> None:
    label = demo.label_image(key)
    pixels = np.asarray(demo.label_levels(label)[0][...])[0]
    table = demo.instance_table(key).to_pydict()
    expected = regionprops_table(pixels, properties=("label", "area", "bbox", "centroid"))
    np.testing.assert_array_equal(table["label"], expected["label"])
    np.testing.assert_array_equal(table["area"], expected["area"])
    for i, axis in enumerate("yx"):
        np.testing.assert_array_equal(table[f"bbox_min_{axis}"], expected[f"bbox-{i}"])
        np.testing.assert_array_equal(table[f"bbox_max_{axis}"], expected[f"bbox-{i + 2}"])
        np.testing.assert_allclose(table[f"centroid_{axis}"], expected[f"centroid-{i}"])
    assert table["instance_id"][0] == f"{label.id}:{table['label'][0]}"


def test_instance_ids_resolve_and_survive_export_and_import(
    demo: Repository, tmp_path: Path
) -> None:
    v1 = demo.label_image("nuclei@v1")
    found = demo.instance(v1.instance_id(5))
    assert found.label_image == v1 and found.row["label"] == 5
    exported = demo.export("ihc", tmp_path / "ihc.ome.zarr", ngff="0.4")
    with Repository.init(tmp_path / "other") as other:
        other.import_store(exported)
        again = other.instance(v1.instance_id(5))
        assert again.row == found.row
        for label in demo.label_images():
            assert other.instance_table(label.id).equals(demo.instance_table(label.id))
        assert [t.name for t in other.tables("nuclei@v2")] == [
            t.name for t in demo.tables("nuclei@v2")
        ]
    with pytest.raises(NotFoundError):
        demo.instance(v1.instance_id(10**9))
    with pytest.raises(InputError):
        demo.instance("not-an-id")


def test_feature_tables_attach_export_and_read_back(demo: Repository, tmp_path: Path) -> None:
    features = tmp_path / "shape.csv"
    pd.DataFrame({"cell": [1, 2, 3], "roundness": [0.9, 0.5, 0.7]}).to_csv(features, index=False)
    record = demo.add_table("nuclei@v1", features, instance_key="cell")
    assert (record.name, record.kind, record.rows) == ("nuclei_v1.shape", "features", 3)
    frame = demo.table("nuclei@v1", "shape").to_pandas()
    assert frame["label"].tolist() == [1, 2, 3]
    assert frame["roundness"].tolist() == [0.9, 0.5, 0.7]
    store = demo.root / "images/ihc.ome.zarr/tables/nuclei_v1.shape"
    attributes = json.loads((store / "zarr.json").read_text())["attributes"]
    assert attributes["type"] == "feature_table"
    assert attributes["instance_key"] == "label"
    assert attributes["region"] == {"path": "../labels/nuclei_v1"}
    exported = demo.export("ihc", tmp_path / "ihc.ome.zarr")
    with Repository.init(tmp_path / "other") as other:
        other.import_store(exported)
        assert other.table("nuclei@v1", "shape").equals(demo.table("nuclei@v1", "shape"))


def test_feature_rows_must_name_existing_objects(demo: Repository, tmp_path: Path) -> None:
    present = demo.instance_table("nuclei@v1").column("label").to_pylist()
    missing = [max(present) + 1, max(present) + 7]
    source = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"label": [present[0], *missing]}), source)
    before = sorted(p.name for p in (demo.root / "images/ihc.ome.zarr/tables").iterdir())
    with pytest.raises(InputError) as error:
        demo.add_table("nuclei@v1", source)
    message = str(error.value)
    assert "2 values are not" in message and f"{missing[0]}, {missing[1]}" in message
    after = sorted(p.name for p in (demo.root / "images/ihc.ome.zarr/tables").iterdir())
    assert after == before


def test_compare_records_the_correspondence_of_derived_versions(demo: Repository) -> None:
    result = demo.compare("nuclei@v1", "nuclei@v2")
    metrics = result.to_dict()["metrics"]
    assert metrics["matched"] + metrics["missed"] == metrics["objects_a"]
    a, b, iou = result.matched_pairs()[0]
    v1, v2 = demo.label_image("nuclei@v1"), demo.label_image("nuclei@v2")
    later = demo.instance(v1.instance_id(a)).matches
    assert [(m.label_image_id, m.label) for m in later] == [(v2.id, b)]
    earlier = demo.instance(v2.instance_id(b)).matches
    assert earlier[0].label_image_id == v1.id and earlier[0].iou == pytest.approx(iou)
    assert demo.compare("nuclei@v1", "nuclei@v2").to_dict() == result.to_dict()
    assert len([t for t in demo.tables("nuclei@v2") if t.kind == "correspondence"]) == 1
    dump = demo.catalog.dump()
    demo.reindex()
    assert demo.catalog.dump() == dump


def test_compare_refuses_label_images_of_different_kinds(demo: Repository) -> None:
    with pytest.raises(InputError, match="two semantic or two instance"):
        demo.compare("nuclei@v1", "stains@v1")
    semantic = demo.compare("stains@v1", "stains@v1", iou=0.5)
    assert all(c.dice == 1.0 for c in semantic.classes)


def test_find_filters_on_instance_counts(demo: Repository) -> None:
    counts = {label.key: demo.instance_table(label.id).num_rows for label in demo.label_images()}
    most = max(counts.values())
    assert [label.key for label in demo.find(min_instances=most)] == [
        key for key, n in counts.items() if n == most
    ]
    assert demo.find(min_instances=most + 1) == []


def test_cli_instance_table_compare_and_add_table(
    demo: Repository, run: Run, tmp_path: Path
) -> None:
    repo = demo.root
    v1 = demo.label_image("nuclei@v1")
    code, out, _ = run("instance", "show", repo, v1.instance_id(3), "--json")
    assert code == 0 and json.loads(out)["row"]["label"] == 3
    code, out, _ = run("compare", repo, "nuclei@v1", "nuclei@v2", "--iou", "0.6", "--json")
    assert code == 0 and json.loads(out)["iou_threshold"] == 0.6
    code, out, _ = run("compare", repo, "nuclei@v1", "nuclei@v2")
    assert code == 0 and "average_precision" in out
    code, out, _ = run("find", repo, "--min-instances", "1", "--json")
    assert code == 0 and len(json.loads(out)) == 3
    output = tmp_path / "instances.parquet"
    assert run("instance", "table", repo, "nuclei@v2", "--output", output)[0] == 0
    assert pq.read_table(output).equals(demo.instance_table("nuclei@v2"))
    features = tmp_path / "f.csv"
    features.write_text("label,intensity\n1,3.5\n999999,1\n")
    code, _, err = run("add-table", repo, "nuclei@v1", features)
    assert code == 2 and err.count("\n") == 1 and "999999" in err
    features.write_text("label,intensity\n1,3.5\n2,1\n")
    assert run("add-table", repo, "nuclei@v1", features)[0] == 0
    code, out, _ = run("table", "export", repo, "nuclei@v1", "f")
    assert out.splitlines() == ['"label","intensity"', "1,3.5", "2,1"]
    code, _, err = run("instance", "show", repo, "nope:1")
    assert code == 2 and err.startswith("error: nope")


def test_a_label_image_larger_than_the_memory_allowed_is_added_lazily(tmp_path: Path) -> None:
    """A lazy 16384×2048 uint32 label image (128 MiB, never materialised) is added, hashed,
    measured and written while Python allocates at most half of that; the stored pixels, hash
    and instance table equal those of the same image added from memory."""
    rows, columns = 16384, 2048
    tile = np.zeros((512, 512), dtype=np.uint32)
    tile[100:300, 50:250] = 1
    tile[350:500, 300:480] = 2

    def block(block_info: dict[Any, Any] | None = None) -> np.ndarray:
        y, x = block_info[None]["chunk-location"] if block_info else (0, 0)
        offset = np.uint32((y * (columns // 512) + x) * 2)
        return np.where(tile > 0, tile + offset, 0).astype(np.uint32)

    lazy = da.map_blocks(
        block, chunks=((512,) * (rows // 512), (512,) * (columns // 512)), dtype=np.uint32
    )
    budget = lazy.nbytes // 2
    with Repository.init(tmp_path / "repo") as repository:
        repository.add_image(np.zeros((rows, columns), np.uint8), "big", axes=("y", "x"))
        tracemalloc.start()
        try:
            label = repository.add_labels(
                "big", lazy, collection="c", name="cells", label_type="instance",
                provenance=Provenance(method="algorithm", software="test"),
            )  # fmt: skip
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < budget, f"peak {peak} bytes, allowed {budget}"
        pixels = lazy.compute()
        assert label.provenance.content_hash == content_hash(pixels)
        stored = repository.label_levels(label)
        np.testing.assert_array_equal(stored[0][...], pixels)
        np.testing.assert_array_equal(stored[1][...], pixels[::2, ::2])
        table = repository.instance_table(label.id)
        assert table.num_rows == 2 * (rows // 512) * (columns // 512)
        in_memory = repository.add_labels(
            "big", pixels, collection="c", name="cells", version="v2", label_type="instance",
            provenance=Provenance(method="algorithm", software="test"),
        )  # fmt: skip
        assert in_memory.provenance.content_hash == label.provenance.content_hash
        same_columns = repository.instance_table(in_memory.id).drop(["instance_id"])
        assert same_columns.equals(table.drop(["instance_id"]))


def test_the_cli_adds_labels_from_a_zarr_array(run: Run, tmp_path: Path) -> None:
    labels = np.zeros((64, 80), dtype=np.uint16)
    labels[5:20, 10:30] = 4
    labels[40:60, 50:70] = 9
    source = zarr.create_array(
        str(tmp_path / "labels.zarr"), shape=labels.shape, chunks=(16, 16), dtype=labels.dtype
    )
    source[...] = labels
    np.save(tmp_path / "image.npy", np.zeros((64, 80), np.uint8))
    repo = tmp_path / "repo"
    assert run("init", repo)[0] == 0
    assert run("add-image", repo, tmp_path / "image.npy", "--name", "img")[0] == 0
    code, _, err = run(
        "add-labels", repo, "img", tmp_path / "labels.zarr", "--collection", "c", "--name", "n",
        "--type", "instance", "--method", "manual",
    )  # fmt: skip
    assert code == 0, err
    with Repository.open(repo) as repository:
        label = repository.label_image("n@v1")
        assert label.provenance.content_hash == content_hash(labels)
        assert repository.instance_table(label.id).column("label").to_pylist() == [4, 9]


def test_readers_can_compare_and_measure_without_writing(demo: Repository) -> None:
    """``record=False`` and ``store=False`` (what the server uses) leave the stores untouched,
    even for a label image whose instance table is missing."""
    v1 = demo.label_image("nuclei@v1")
    store = demo.root / "images/ihc.ome.zarr"
    tables = store / "tables"
    removed = ["nuclei_v1.instances", "nuclei_v2.matches.nuclei_v1.iou0.5"]
    listing = json.loads((tables / "zarr.json").read_text())
    for name in removed:
        listing["attributes"]["tables"].remove(name)
        shutil.rmtree(tables / name)
    (tables / "zarr.json").write_text(json.dumps(listing))
    demo.reindex()

    def files() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in demo.root.rglob("*") if p.is_file()}

    before = files()
    table = demo.instance_table("nuclei@v1", store=False)
    assert demo.instance(v1.instance_id(1), store=False).row["label"] == 1
    demo.compare("nuclei@v1", "nuclei@v2", record=False)
    assert files() == before
    assert demo.instance(v1.instance_id(1), store=False).matches == ()
    assert demo.instance_table("nuclei@v1").equals(table)  # stored from here on
    demo.compare("nuclei@v1", "nuclei@v2")
    stored = [t.name for t in demo.tables("nuclei@v1") + demo.tables("nuclei@v2")]
    assert set(removed) <= set(stored)
