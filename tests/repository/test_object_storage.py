"""OME-Zarr on object storage (moto's S3 server on 127.0.0.1) registers in place: a plain image
and a bioformats2raw-layout store with its OME-XML; label images are added locally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import s3fs
import tifffile
from fastapi.testclient import TestClient
from tests.conftest import BUCKET, Run
from tests.repository.test_rich_metadata import write_bioformats2raw

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.server import create_app


def test_stores_on_s3_register_in_place(s3: s3fs.S3FileSystem, tmp_path: Path) -> None:
    pixels = np.random.default_rng(3).integers(0, 255, (1, 90, 110), dtype=np.uint8)
    local = tmp_path / "plate.ome.zarr"
    write_bioformats2raw(local, pixels, "<OME><Image ID='Image:0'/></OME>")
    s3.put(str(local), f"{BUCKET}/plate.ome.zarr", recursive=True)
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(f"s3://{BUCKET}/plate.ome.zarr", "remote")
        assert image.source == f"s3://{BUCKET}/plate.ome.zarr/0"
        np.testing.assert_array_equal(repo.image_levels(image)[0][...], pixels)
        assert repo.store(image).ome_xml() == "<OME><Image ID='Image:0'/></OME>"
        label = repo.add_labels(
            "remote",
            (pixels[0] > 128).astype(np.uint8),
            collection="c",
            name="bright",
            label_type="semantic",
            provenance=Provenance(method="algorithm"),
        )
        assert repo.verify() == []
        assert repo.label_levels(label)[0].shape == (1, 90, 110)
    assert not s3.exists(f"{BUCKET}/plate.ome.zarr/0/labels")  # the source is never written


def test_a_repository_with_its_stores_on_s3(
    s3: s3fs.S3FileSystem, tmp_path: Path, run: Run
) -> None:
    """``init --store s3://…``: add-image, add-labels, verify, export (to a folder and to S3),
    import from S3 and reindex work, and the stores are objects in the bucket."""
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 255, (70, 90), dtype=np.uint16)
    labels = np.zeros((70, 90), dtype=np.uint32)
    labels[10:30, 5:40] = 7
    labels[40:60, 50:80] = 9
    tifffile.imwrite(tmp_path / "raw.tif", pixels)
    tifffile.imwrite(tmp_path / "cells.tif", labels)
    repo = tmp_path / "repo"
    store = f"s3://{BUCKET}/lab/stores"
    code, out, err = run("init", repo, "--store", store)
    assert code == 0, err
    assert out.split() == [
        "created", "repository", str(repo), "(catalog", f"sqlite:///{repo}/catalog.sqlite),",
        "image", "stores", "under", store,
    ]  # fmt: skip
    assert run("add-image", repo, tmp_path / "raw.tif", "--name", "raw")[0] == 0
    code, out, err = run(
        "add-labels", repo, "raw", tmp_path / "cells.tif", "--collection", "cells",
        "--name", "nuclei", "--type", "instance", "--method", "algorithm",
    )  # fmt: skip
    assert code == 0, err
    keys = s3.find(f"{BUCKET}/lab/stores/raw.ome.zarr")
    assert f"{BUCKET}/lab/stores/raw.ome.zarr/zarr.json" in keys
    assert any(key.endswith("labels/nuclei_v1/zarr.json") for key in keys)
    assert any("/collections/" in key for key in keys)
    assert any(key.endswith("table.parquet") for key in keys)
    assert not (repo / "images" / "raw.ome.zarr").exists()
    assert run("verify", repo)[1].strip() == "ok: 2 pixel hashes match"
    assert run("export", repo, "raw", tmp_path / "out.ome.zarr")[0] == 0
    code, out, err = run("export", repo, "raw", f"s3://{BUCKET}/exports/raw.ome.zarr")
    assert code == 0, err
    assert s3.exists(f"{BUCKET}/exports/raw.ome.zarr/labels/nuclei_v1/0/zarr.json")
    code, _, err = run("export", repo, "raw", f"s3://{BUCKET}/exports/raw.ome.zarr")
    assert code == 2 and "--overwrite" in err
    Repository.init(tmp_path / "copy").close()
    code, out, err = run("import", tmp_path / "copy", f"s3://{BUCKET}/exports/raw.ome.zarr")
    assert code == 0, err
    with Repository.open(repo) as first, Repository.open(tmp_path / "copy") as copy:
        assert copy.images() == first.images()
        assert copy.label_images() == first.label_images()
        (label,) = first.label_images()
        np.testing.assert_array_equal(first.label_levels(label)[0][...], labels)
        before = first.catalog.dump()
        first.reindex()
        assert first.catalog.dump() == before
    code, _, err = run("init", tmp_path / "other", "--store", store)
    assert code == 2 and "holds no repository's stores yet" in err
    with TestClient(create_app(repo), base_url="http://localhost") as client:  # serve
        (image,) = client.get("/api/images").json()
        assert image["label_image_count"] == 1
        tile = client.get(f"/api/images/{image['id']}/tiles/0/0/0.png")
        assert tile.status_code == 200 and tile.content.startswith(b"\x89PNG")
        label = client.get("/api/labels/nuclei@v1/tiles/0/0/0.png")
        assert label.status_code == 200
        hit = client.get("/api/labels/nuclei@v1/at", params={"x": 20, "y": 20}).json()
        assert hit["value"] == 7


def test_a_failing_writer_rolls_back_on_s3(
    s3: s3fs.S3FileSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a writer put on object storage before its catalog commit failed is taken away: the
    label group's objects, its entry in the labels list, its table and collection document."""
    from labelcollections.catalog import CatalogWriter

    store = f"{BUCKET}/rollback/img.ome.zarr"
    cells = np.zeros((40, 50), dtype=np.uint16)
    cells[5:15, 5:25] = 1
    with Repository.init(tmp_path / "repo", store=f"s3://{BUCKET}/rollback") as repo:
        repo.add_image(np.ones((40, 50), dtype=np.uint8), "img")
        repo.add_labels(
            "img", cells, collection="first", name="seg", label_type="instance",
            provenance=Provenance(method="manual"),
        )  # fmt: skip
        before = {key: s3.cat(key) for key in s3.find(store) if key.endswith(".json")}

        def fail(*_: object) -> None:
            raise RuntimeError("the catalog went away")

        monkeypatch.setattr(CatalogWriter, "put_table", fail)
        with pytest.raises(RuntimeError):
            repo.add_labels(
                "img", cells, collection="second", name="new", label_type="instance",
                provenance=Provenance(method="manual"),
            )  # fmt: skip
        s3.invalidate_cache()
        after = {key: s3.cat(key) for key in s3.find(store) if key.endswith(".json")}
        assert after == before
        assert not any("new_v1" in key for key in s3.find(store))
        monkeypatch.undo()
        assert repo.verify() == []
