"""``verify`` finds every kind of damage and exits 1; ``reindex`` rebuilds the catalog whatever
state it is in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

Run = Callable[..., tuple[int, str, str]]
SHAPE = (64, 96)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    labels = np.zeros(SHAPE, dtype=np.uint16)
    labels[5:20, 10:40] = 1
    with Repository.init(root) as repository:
        repository.add_image(np.arange(np.prod(SHAPE), dtype=np.uint16).reshape(SHAPE), "img")
        repository.add_labels(
            "img",
            labels,
            collection="c",
            name="seg",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
    return root


def store(repo: Path) -> Path:
    return repo / "images" / "img.ome.zarr"


def a_chunk(folder: Path) -> Path:
    return next(p for p in sorted(folder.rglob("c/*/*")) if p.is_file())


def corrupt_chunk(repo: Path) -> None:
    a_chunk(store(repo) / "labels" / "seg_v1" / "0").write_bytes(b"\x00garbage")


def garbage_label_metadata(repo: Path) -> None:
    (store(repo) / "labels" / "seg_v1" / "zarr.json").write_text("{not json")


def remove_catalog(repo: Path) -> None:
    (repo / "catalog.sqlite").unlink()


def corrupt_catalog(repo: Path) -> None:
    (repo / "catalog.sqlite").write_bytes(b"this is not a database" * 100)


def orphan_store(repo: Path) -> None:
    """A store the catalog does not index: another image's, copied in."""
    other = repo.parent / "other"
    with Repository.init(other) as elsewhere:
        elsewhere.add_image(np.ones(SHAPE, dtype=np.uint8), "more")
    shutil.copytree(other / "images" / "more.ome.zarr", repo / "images" / "more.ome.zarr")


def unknown_version(repo: Path) -> None:
    marker = repo / "labelcollections.json"
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "version": 99}))


def garbage_marker(repo: Path) -> None:
    (repo / "labelcollections.json").write_text("\x00\x01")


DAMAGE = {
    "corrupt chunk": (corrupt_chunk, "unreadable: label image img/seg@v1"),
    "garbage label metadata": (garbage_label_metadata, "unreadable: images/img.ome.zarr/labels"),
    "missing catalog": (remove_catalog, "damaged:"),
    "corrupt catalog": (corrupt_catalog, "damaged:"),
    "orphan store": (orphan_store, "catalog: image more"),
    "unknown repository version": (unknown_version, "damaged:"),
    "garbage repository file": (garbage_marker, "damaged:"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_verify_reports_damage_on_one_line_each_and_exits_1(
    repo: Path, run: Run, damage: str
) -> None:
    assert run("verify", repo)[0] == 0
    change, expected = DAMAGE[damage]
    change(repo)
    code, out, err = run("verify", repo)
    assert code == 1 and out == ""
    assert err.startswith(expected) or f"\n{expected}" in err, err
    assert all(line.count(": ") >= 2 for line in err.strip().splitlines())


@pytest.mark.parametrize(
    "damage", ["missing catalog", "corrupt catalog", "orphan store", "garbage label metadata"]
)
def test_reindex_rebuilds_whatever_the_catalog_is(repo: Path, run: Run, damage: str) -> None:
    change, _ = DAMAGE[damage]
    change(repo)
    code, _, err = run("reindex", repo)
    assert code == 0, err
    if damage == "garbage label metadata":
        assert err.startswith("note: left out images/img.ome.zarr/labels/seg_v1")
        return
    assert run("verify", repo)[0] == 0
    if damage == "corrupt catalog":
        assert len(list(repo.glob("catalog.sqlite.damaged-*"))) == 1
    if damage == "orphan store":
        with Repository.open(repo) as repository:
            assert sorted(image.name for image in repository.images()) == ["img", "more"]


def test_reindex_sweeps_leftovers_of_killed_writes(repo: Path, run: Run) -> None:
    leftover = store(repo) / "labels" / ".staging-seg2_v1-deadbeef"
    leftover.mkdir()
    (leftover / "zarr.json").write_text("{}")
    assert run("reindex", repo)[0] == 0
    assert not leftover.exists()


def test_reindex_keeps_images_registered_in_place(repo: Path, tmp_path: Path, run: Run) -> None:
    """A registered image's store holds only our record and its labels; reindex finds both."""
    with Repository.open(repo) as repository:
        elsewhere = repository.export("img", tmp_path / "elsewhere.ome.zarr")
    other = tmp_path / "other"
    with Repository.init(other) as repository:
        repository.add_image(str(elsewhere), "registered")
        repository.add_labels(
            "registered",
            np.ones(SHAPE, dtype=np.uint8),
            collection="c",
            name="all",
            label_type="semantic",
            provenance=Provenance(method="manual"),
        )
    remove_catalog(other)
    assert run("reindex", other)[0] == 0
    assert run("verify", other)[0] == 0
    with Repository.open(other) as repository:
        (image,) = repository.images()
        assert image.source == str(elsewhere)
        assert [label.name for label in repository.label_images()] == ["all"]
