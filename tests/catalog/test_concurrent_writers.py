"""Concurrent writers lose nothing, on SQLite and PostgreSQL: processes adding label images to
one image at once all succeed, and of two writers of one name@version one wins and the other
gets a conflict, with the stores and the catalog agreeing afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelcollections.errors import ConflictError
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.storage.ome_zarr_store import ImageStore
from labelcollections.storage.publish import STAGING_PREFIX, StagedDirectory

NewCatalog = Callable[[], str | None]
SHAPE = (96, 128)
CLI = "from labelcollections.cli import main; main()"


@pytest.fixture
def repo(tmp_path: Path, new_catalog: NewCatalog) -> Path:
    root = tmp_path / "repo"
    with Repository.init(root, catalog=new_catalog()) as repository:
        repository.add_image(np.zeros(SHAPE, np.uint8), "plate1_A01")
    return root


def label_file(folder: Path, seed: int) -> Path:
    """A small instance label image of its own (different pixels per seed)."""
    pixels = np.zeros(SHAPE, np.uint16)
    pixels[seed : seed + 20, 10 : 30 + seed] = seed + 1
    path = folder / f"labels{seed}.npy"
    np.save(path, pixels)
    return path


def add_labels_processes(repo: Path, jobs: list[tuple[Path, str, str]]) -> list[tuple[int, str]]:
    """Run one ``add-labels`` process per (file, collection, name), all at once; their exit
    codes and error output."""
    commands = [
        [sys.executable, "-c", CLI, "add-labels", str(repo), "plate1_A01", str(source),
         "--collection", collection, "--name", name, "--type", "instance", "--method", "manual",
         "--author", f"writer {i}"]
        for i, (source, collection, name) in enumerate(jobs)
    ]  # fmt: skip
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    return [(process.wait(timeout=300), process.communicate()[1]) for process in processes]


def leftovers(repo: Path) -> list[Path]:
    return list((repo / "images").rglob(f"{STAGING_PREFIX}*"))


def assert_stores_and_catalog_agree(repository: Repository) -> None:
    """Every pixel hash matches, and rebuilding the catalog from the stores changes nothing."""
    assert repository.verify() == []
    before = repository.catalog.dump()
    repository.reindex()
    assert repository.catalog.dump() == before


@pytest.mark.slow
def test_eight_processes_adding_label_images_at_once_all_succeed(
    repo: Path, tmp_path: Path
) -> None:
    """Half of the writers add to one shared collection, the others each to their own."""
    collections = {i: "shared" if i % 2 == 0 else f"own{i}" for i in range(8)}
    jobs = [(label_file(tmp_path, i), collections[i], f"cells{i}") for i in range(8)]
    results = add_labels_processes(repo, jobs)
    assert [code for code, _ in results] == [0] * 8, [err for _, err in results]
    with Repository.open(repo) as repository:
        keys = sorted(label.key for label in repository.label_images())
        assert keys == sorted(f"cells{i}@v1" for i in range(8))
        ids = {label.name: label.id for label in repository.label_images()}
        for name in set(collections.values()):
            written = sorted(f"cells{i}" for i, c in collections.items() if c == name)
            catalog_members = repository.collection(name).members
            assert sorted(catalog_members) == sorted(ids[label] for label in written), name
            document = json.loads(
                (repo / f"images/plate1_A01.ome.zarr/collections/{name}.json").read_text()
            )
            listed = sorted(node["name"] for node in document["ome"]["nodes"][1:])
            assert listed == [f"{label}@v1" for label in written], name
        store = ImageStore.open(str(repo / "images/plate1_A01.ome.zarr"))
        assert sorted(store.label_paths()) == sorted(key.replace("@", "_") for key in keys)
        assert_stores_and_catalog_agree(repository)
    assert leftovers(repo) == []


@pytest.mark.slow
def test_two_processes_adding_one_name_and_version_one_wins(repo: Path, tmp_path: Path) -> None:
    jobs = [(label_file(tmp_path, i), f"collection{i}", "nuclei") for i in range(2)]
    results = sorted(add_labels_processes(repo, jobs))
    assert [code for code, _ in results] == [0, 2]
    error = results[1][1].strip()
    assert error.startswith("error: nuclei@v1: label image: a name and version not yet used")
    assert len(error.splitlines()) == 1
    with Repository.open(repo) as repository:
        assert [label.key for label in repository.label_images()] == ["nuclei@v1"]
        assert_stores_and_catalog_agree(repository)
    assert leftovers(repo) == []


def test_the_writer_that_publishes_second_gets_a_conflict_and_leaves_nothing(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both writers pass the early check and stage their pixels; the check under the image's
    write lock lets exactly one publish."""
    both_staged = threading.Barrier(2, timeout=60)
    stage = ImageStore.stage_label_group

    def stage_then_wait(self: ImageStore, *args: Any, **kwargs: Any) -> StagedDirectory:
        staged = stage(self, *args, **kwargs)
        both_staged.wait()
        return staged

    monkeypatch.setattr(ImageStore, "stage_label_group", stage_then_wait)
    outcomes: list[object] = []

    def writer(collection: str) -> None:
        with Repository.open(repo) as repository:
            try:
                repository.add_labels(
                    "plate1_A01",
                    np.ones(SHAPE, np.uint16),
                    collection=collection,
                    name="nuclei",
                    label_type="instance",
                    provenance=Provenance(method="manual"),
                )
                outcomes.append("published")
            except ConflictError as error:
                outcomes.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(map(str, outcomes))[1] == "published"
    assert isinstance(next(o for o in outcomes if o != "published"), ConflictError)
    with Repository.open(repo) as repository:
        [label] = repository.label_images()
        store = ImageStore.open(str(repo / "images/plate1_A01.ome.zarr"))
        assert store.label_paths() == [repository.catalog.label_images()[0][1]]
        assert [c.members for c in repository.collections()] == [(label.id,)]
        assert_stores_and_catalog_agree(repository)
    assert leftovers(repo) == []
