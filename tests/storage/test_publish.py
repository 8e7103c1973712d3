"""Write aside, then publish: failures leave no trace and published data is never replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labelcollections.storage.publish import (
    STAGING_PREFIX,
    remove_leftovers,
    staged_directory,
    write_json_atomic,
)


def test_staged_directory_appears_only_when_complete(tmp_path: Path) -> None:
    destination = tmp_path / "store"
    with staged_directory(destination) as staging:
        (staging / "data").write_text("x")
        assert not destination.exists()
    assert (destination / "data").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    destination = tmp_path / "store"
    with pytest.raises(RuntimeError), staged_directory(destination) as staging:
        (staging / "data").write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_existing_destination_is_never_replaced(tmp_path: Path) -> None:
    destination = tmp_path / "store"
    destination.mkdir()
    (destination / "keep").write_text("old")
    with pytest.raises(FileExistsError), staged_directory(destination):
        pass
    assert (destination / "keep").read_text() == "old"


def test_json_is_replaced_in_one_step_and_leftovers_are_swept(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    (tmp_path / f"{STAGING_PREFIX}killed").mkdir()
    assert [p.name for p in remove_leftovers(tmp_path)] == [f"{STAGING_PREFIX}killed"]
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
