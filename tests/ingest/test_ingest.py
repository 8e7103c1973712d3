"""Ingest end to end: rows as Dask tasks on a real cluster, resumable, bad rows reported."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile
from distributed import get_task_stream
from tests.conftest import Run
from tests.ingest.conftest import BIN, wait_for, write_items

from labelcollections.ingest import connected, ingest, read_manifest
from labelcollections.repository import Repository


def labelled(repo: Path) -> list[tuple[str, str]]:
    """(image name, label key) of every label image, with the listing of each store."""
    with Repository.open(repo) as repository:
        names = {image.id: image.name for image in repository.images()}
        found = [(names[label.image_id], label.key) for label in repository.label_images()]
        for image in repository.images():
            listed = repository.store(image).label_paths()
            assert len(listed) == len(repository.label_images(image.name))
    return sorted(found)


def test_rows_run_here_resume_and_report_failures(tmp_path: Path) -> None:
    manifest = write_items(tmp_path, 4)
    text = manifest.read_text()
    text += "raw/im0.tif,seg/missing.tif,cells,other,instance,algorithm,x,jane\n"
    text += "raw/im1.tif,raw/im1.tif,cells,float,instance,algorithm,x,jane\n"
    manifest.write_text(text)
    Repository.init(tmp_path / "repo").close()
    report = ingest(tmp_path / "repo", read_manifest(manifest))
    assert [(o.row, o.status) for o in report.outcomes] == [
        (1, "added"), (2, "added"), (3, "added"), (4, "added"), (5, "failed"), (6, "added"),
    ]  # fmt: skip
    tifffile.imwrite(tmp_path / "raw" / "float.tif", np.zeros((96, 96), np.float32))
    manifest.write_text(text.replace("raw/im1.tif,cells,float", "raw/float.tif,cells,float"))
    report = ingest(tmp_path / "repo", read_manifest(manifest))
    assert [o.status for o in report.outcomes] == ["present"] * 4 + ["failed", "failed"]
    assert "missing.tif: file: an existing TIFF" in report.failed[0].detail
    assert "dtype" in report.failed[1].detail
    assert len(labelled(tmp_path / "repo")) == 5
    # A label image that is there with other pixels is not replaced: the row fails.
    labels = tifffile.imread(tmp_path / "seg" / "im2_masks.tif")
    tifffile.imwrite(tmp_path / "seg" / "im2_masks.tif", labels + 1)
    report = ingest(tmp_path / "repo", read_manifest(manifest))
    assert report.outcomes[2].status == "failed"
    assert "already there" in report.outcomes[2].detail


@pytest.mark.slow
def test_a_local_cluster_by_default(tmp_path: Path, run: Run) -> None:
    manifest = write_items(tmp_path, 3)
    Repository.init(tmp_path / "repo").close()
    code, out, err = run("ingest", tmp_path / "repo", manifest, "--workers", "2")
    assert code == 0, err
    assert "3 added, 0 already there, 0 failed" in out
    assert labelled(tmp_path / "repo") == [(f"im{i}", "nuclei@v1") for i in range(3)]


@pytest.mark.slow
def test_forty_rows_on_a_dask_scheduler(tmp_path: Path, run: Run, scheduler: str) -> None:
    manifest = write_items(tmp_path, 40)
    Repository.init(tmp_path / "repo").close()
    code, out, err = run("ingest", tmp_path / "repo", manifest, "--scheduler", scheduler)
    assert code == 0, err
    assert "40 added, 0 already there, 0 failed" in out
    assert labelled(tmp_path / "repo") == sorted((f"im{i}", "nuclei@v1") for i in range(40))
    code, out, err = run("verify", tmp_path / "repo", "--scheduler", scheduler)
    assert (code, out.strip()) == (0, "ok: 80 pixel hashes match")


@pytest.mark.slow
def test_a_killed_run_finishes_when_run_again(tmp_path: Path, scheduler: str) -> None:
    manifest = write_items(tmp_path, 40, size=1024)
    repo = tmp_path / "repo"
    Repository.init(repo).close()
    command = [str(BIN / "labelcollections"), "ingest", str(repo), str(manifest)]
    command += ["--scheduler", scheduler]
    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def some_published() -> bool:
        with Repository.open(repo) as repository:
            return len(repository.label_images()) >= 3

    wait_for(some_published)
    os.kill(client.pid, signal.SIGKILL)
    client.wait()
    with Repository.open(repo) as repository:
        assert len(repository.label_images()) < 40
    again = subprocess.run(command, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 failed" in again.stdout
    assert labelled(repo) == sorted((f"im{i}", "nuclei@v1") for i in range(40))
    verified = subprocess.run(
        [str(BIN / "labelcollections"), "verify", str(repo)], capture_output=True, text=True
    )
    assert (verified.returncode, verified.stdout.strip()) == (0, "ok: 80 pixel hashes match")


@pytest.mark.slow
def test_a_big_label_image_is_split_over_the_cluster(tmp_path: Path) -> None:
    rows = read_manifest(write_items(tmp_path, 2, size=2100))
    for name in ("here", "split"):
        Repository.init(tmp_path / name).close()
    assert ingest(tmp_path / "here", rows).count("added") == 2
    with connected(workers=2) as client, get_task_stream(client) as stream:
        report = ingest(tmp_path / "split", rows, client, split_bytes=1024)
    assert report.count("added") == 2, report.failed
    names = {task["key"].split("-")[0] for task in stream.data}
    assert {"_write_band", "_level_task"} <= names
    with Repository.open(tmp_path / "here") as here, Repository.open(tmp_path / "split") as split:
        for name in ("im0", "im1"):
            (mine,), (theirs,) = here.label_images(name), split.label_images(name)
            assert mine.provenance.content_hash == theirs.provenance.content_hash
            assert [level.shape for level in mine.levels] == [
                level.shape for level in theirs.levels
            ]
            for a, b in zip(here.label_levels(mine), split.label_levels(theirs), strict=True):
                np.testing.assert_array_equal(a[...], b[...])
            assert (
                here.instance_table(mine.id)
                .drop_columns(["instance_id"])
                .equals(split.instance_table(theirs.id).drop_columns(["instance_id"]))
            )
        assert split.verify() == []
