"""Intent records: a writer that dies (or fails) while publishing leaves nothing half-visible."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.repository.journal import JOURNAL_DIR, Intent, _record, recover

SHAPE = (64, 96)


def labels(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = np.zeros(SHAPE, dtype=np.uint16)
    for value, (y, x) in enumerate(rng.integers(4, 56, size=(6, 2)), start=1):
        data[y : y + 6, x : x + 8] = value
    return data


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repo:
        repo.add_image(np.zeros(SHAPE, dtype=np.uint8), "img")
        repo.add_labels(
            "img",
            labels(1),
            collection="first",
            name="seg",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
        yield repo


def store_state(repo: Path) -> dict[str, object]:
    """What a reader of the store sees: the labels list, collection documents and tables."""
    store = repo / "images" / "img.ome.zarr"
    labels_list = json.loads((store / "labels" / "zarr.json").read_text())["attributes"]["ome"]
    documents = {
        p.name: json.loads(p.read_text()) for p in sorted((store / "collections").glob("*.json"))
    }
    tables = json.loads((store / "tables" / "zarr.json").read_text())["attributes"]["tables"]
    groups = sorted(p.name for p in (store / "labels").iterdir() if p.is_dir())
    return {"labels": labels_list, "documents": documents, "tables": tables, "groups": groups}


DIE_AFTER = """
import os, sys
import numpy as np
from labelcollections.catalog import CatalogWriter
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

def die(*args, **kwargs):
    os._exit(9)  # as SIGKILL would: no clean-up, no rollback

CatalogWriter.{method} = die
with Repository.open(sys.argv[1]) as repo:
    {call}
"""


def die_while(repo: Path, method: str, call: str) -> None:
    """Run ``call`` in a process that dies the moment it reaches ``CatalogWriter.method``,
    i.e. after publishing files and before the catalog commits."""
    script = DIE_AFTER.format(method=method, call=call)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 9, result.stderr
    assert list((repo / JOURNAL_DIR).glob("*.json")), "the dead writer leaves its intent"


ADD = (
    'repo.add_labels("img", np.ones((64, 96), np.uint16), collection="second", name="new",'
    ' label_type="instance", provenance=Provenance(method="manual"))'
)


def test_a_label_image_published_but_not_committed_is_withdrawn(
    repository: Repository,
) -> None:
    root = repository.root
    before = store_state(root)
    repository.close()
    die_while(root, "put_table", ADD)
    assert store_state(root) != before  # the dead writer published files
    with Repository.open(root) as reopened:  # the next command rolls back
        assert store_state(root) == before
        assert [label.key for label in reopened.label_images()] == ["seg@v1"]
        assert reopened.verify() == []
        assert not list((root / JOURNAL_DIR).glob("*.json"))
        added = reopened.add_labels(
            "img",
            labels(2),
            collection="second",
            name="new",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
        assert reopened.collection("second").members == (added.id,)


def test_a_new_image_published_but_not_committed_is_removed(repository: Repository) -> None:
    root = repository.root
    repository.close()
    die_while(root, "add_entries", 'repo.add_image(np.ones((8, 8), np.uint8), "more")')
    assert (root / "images" / "more.ome.zarr").is_dir()
    with Repository.open(root) as reopened:
        assert not (root / "images" / "more.ome.zarr").exists()
        assert [image.name for image in reopened.images()] == ["img"]
        reopened.add_image(np.ones((8, 8), np.uint8), "more")


def test_a_membership_written_but_not_committed_is_undone(repository: Repository) -> None:
    root = repository.root
    before = store_state(root)
    repository.close()
    die_while(root, "put_collection", 'repo.add_to_collection("seg@v1", "second")')
    with Repository.open(root) as reopened:
        assert store_state(root) == before
        assert [c.name for c in reopened.collections()] == ["first"]


def test_a_failing_writer_rolls_back_at_once(
    repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labelcollections.catalog import CatalogWriter

    before = store_state(repository.root)

    def fail(*_: object) -> None:
        raise RuntimeError("the catalog went away")

    monkeypatch.setattr(CatalogWriter, "put_table", fail)
    with pytest.raises(RuntimeError):
        repository.add_labels(
            "img",
            labels(2),
            collection="second",
            name="new",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
    assert store_state(repository.root) == before
    assert not list((repository.root / JOURNAL_DIR).glob("*.json"))


def test_a_live_writer_keeps_its_intent(repository: Repository) -> None:
    image = repository.image("img")
    record = _record(repository, Intent(image.id, image.name))
    assert recover(repository) == []
    assert record.is_file()
