"""Plates in OMERO: fields are Images under Screen/Plate/Well/WellSample; push and pull take a
plate and handle every field's collections, through omero-py on the in-memory OMERO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from omero_helpers import World, to_tczyx
from tests.repository.test_plates import write_plate

from labelcollections.cli import cli
from labelcollections.errors import InputError, NotFoundError
from labelcollections.omero.gateway import OmeroPlate
from labelcollections.omero_sync import NS_PLATE, pull_plate, push_plate
from labelcollections.repository import Repository


@pytest.fixture
def plate_repo(tmp_path: Path) -> Repository:
    write_plate(tmp_path / "plate.ome.zarr", "0.5")
    repository = Repository.init(tmp_path / "repo")
    repository.import_store(tmp_path / "plate.ome.zarr", name="p1", collection="cells")
    return repository


def upload_plate(world: World, repository: Repository, skip: str | None = None) -> int:
    """The repository's plate in OMERO: an Image per field (as an import makes them) under
    Screen/Plate/Well/WellSample; ``skip`` leaves out that well."""
    plate = repository.plate("p1")
    wells = {}
    for well in plate.wells:
        if well.well == skip:
            continue
        images = []
        for image_id in well.fields:
            field = repository.image(image_id)
            pixels = np.asarray(repository.image_levels(field)[0][...])
            created = world.gateway.create_image(
                field.name, to_tczyx(pixels, field.axis_names), world.group.id
            )
            images.append(created.id)
        wells[(plate.rows.index(well.row), plate.columns.index(well.column))] = images
    return world.omero.add_plate(world.user, world.group, "p1", wells)


def test_a_plate_pushed_and_pulled_field_by_field(
    world: World, plate_repo: Repository, tmp_path: Path
) -> None:
    plate_id = upload_plate(world, plate_repo)
    found = world.gateway.get_plate(plate_id)
    assert isinstance(found, OmeroPlate)
    assert [(w.row, w.column, len(w.images)) for w in found.wells] == [
        (r, c, 2) for r in range(2) for c in range(3)
    ]
    pushed = push_plate(plate_repo, world.gateway, "p1", plate_id)
    assert len(pushed.fields) == 12
    assert all(result.created == ("cells@v1",) for result in pushed.fields.values())
    again = push_plate(plate_repo, world.gateway, "p1", plate_id)
    assert all(result.kept == ("cells@v1",) for result in again.fields.values())
    assert len(world.gateway.file_annotations("Plate", plate_id, NS_PLATE)) == 1
    with Repository.init(tmp_path / "pulled") as copy:
        pulled = pull_plate(copy, world.gateway, plate_id)
        assert pulled.plate == plate_repo.plate("p1")
        assert len(pulled.fields) == 12
        assert copy.images() == plate_repo.images()
        assert copy.label_images() == plate_repo.label_images()
        assert [i.name for i in copy.images(plate="p1", well="A2")] == ["p1_A2_0", "p1_A2_1"]
        assert copy.verify() == []
    plate_repo.close()


def test_the_omero_commands_take_a_plate(
    world: World, plate_repo: Repository, tmp_path: Path
) -> None:
    plate_id = upload_plate(world, plate_repo)
    root = str(plate_repo.root)
    plate_repo.close()
    runner = CliRunner()
    obj = {"gateway": world.gateway}
    pushed = runner.invoke(cli, ["omero", "push", root, "p1", "--plate", str(plate_id)], obj=obj)
    assert pushed.exit_code == 0, pushed.output
    assert f"pushed to 12 fields of Plate:{plate_id}; label images: 12 added" in pushed.output
    target = str(tmp_path / "pulled")
    pulled = runner.invoke(cli, ["omero", "pull", str(plate_id), target, "--plate"], obj=obj)
    assert pulled.exit_code == 0, pulled.output
    assert "pulled 12 collections with 12 label images" in pulled.output
    both = runner.invoke(cli, ["omero", "push", root, "p1"], obj=obj)
    assert both.exit_code != 0


def test_a_plate_that_lacks_a_field_is_refused_before_writing(
    world: World, plate_repo: Repository
) -> None:
    plate_id = upload_plate(world, plate_repo, skip="B/3")
    before = world.omero.visible_state()
    with pytest.raises(InputError, match="well B/3 field 0"):
        push_plate(plate_repo, world.gateway, "p1", plate_id)
    assert world.omero.visible_state() == before
    with pytest.raises(NotFoundError):
        world.gateway.get_plate(plate_id + 10_000)
    with pytest.raises(NotFoundError, match="a field with pushed collections"):
        pull_plate(plate_repo, world.gateway, plate_id)
    plate_repo.close()
