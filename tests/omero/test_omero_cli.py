"""``labelcollections omero …`` end to end on the in-memory server, and its error paths."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from omero_helpers import World, upload_reference

from labelcollections.cli import cli, main
from labelcollections.omero.gateway import OmeroPermissionError
from labelcollections.repository import Repository


def run(world: World, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["omero", *args], obj={"gateway": world.gateway})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_every_command_against_the_in_memory_server(
    world: World, demo_repo: Repository, tmp_path: Path
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    pushed = run(world, "push", str(demo_repo.root), "ihc", "--image", str(ref.id))
    assert pushed.exit_code == 0, pushed.output
    assert "label images: 3 added" in pushed.output
    again = run(world, "push", str(demo_repo.root), "ihc", "--image", str(ref.id))
    assert "0 added (-), 3 already there" in again.output

    listed = json.loads(run(world, "list", str(ref.id), "--json").output)
    assert {(row["collection"], row["label"]) for row in listed} == {
        ("nuclei", "nuclei@v1"),
        ("nuclei", "nuclei@v2"),
        ("reviewed", "nuclei@v2"),
        ("tissue_classes", "stains@v1"),
    }

    found = json.loads(
        run(world, "find", "--type", "instance", "--software", "scikit-image", "--json").output
    )
    assert sorted(f["label_image"]["version"] for f in found) == ["v1", "v2"]
    by_key = json.loads(run(world, "find", "--where", "label.name=stains", "--json").output)
    assert [f["label_image"]["name"] for f in by_key] == ["stains"]

    target = tmp_path / "pulled"
    pulled = run(world, "pull", str(ref.id), str(target), "--collection", "tissue_classes")
    assert "pulled 1 collections with 1 label images" in pulled.output
    with Repository.open(target) as repository:
        assert [label.key for label in repository.label_images()] == ["stains@v1"]
        assert repository.verify() == []

    exported = demo_repo.export("ihc", tmp_path / "ihc.ome.zarr")
    registered = run(world, "register-zarr", str(ref.id), str(exported))
    assert f"zarr_path={exported}, ngff_version=0.5, zarr_conversion_date=" in registered.output

    converted = run(world, "masks", str(ref.id), "stains@v1", "--to-masks")
    assert "created 2 Mask ROIs" in converted.output
    painted = tmp_path / "painted.npy"
    back = run(world, "masks", str(ref.id), str(painted), "--from-masks")
    assert "axes yx, shape (512, 512)" in back.output  # the channel axis is irrelevant
    stains = demo_repo.label_image("stains@v1")
    np.testing.assert_array_equal(
        np.load(painted), np.asarray(demo_repo.label_levels(stains)[0][...])[0]
    )
    assert "nothing to migrate" in run(world, "migrate", str(ref.id)).output


def test_refusals_reach_the_command_line_as_our_errors(
    world: World, denbi_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    private = world.omero.add_group("own", "read-only")
    world.omero.move_to_group("Image", ref.id, private)
    world.act_as(world.omero.add_user("bob", [private]))
    with pytest.raises(OmeroPermissionError, match="ANNOTATE"):
        run(world, "push", str(denbi_repo.root), "nuclei_raw", "--image", str(ref.id))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["omero", "list", "51"], "error: --host: OMERO_HOST: the OMERO server to connect to"),
        (["omero", "--host", "h", "find"], "error: find: conditions: at least one condition"),
        (["omero", "--host", "h", "find", "--where", "x"], "error: --where: x: KEY=VALUE"),
        (
            ["omero", "--host", "h", "masks", "51", "out.png", "--from-masks"],
            "error: out.png: output: a new .npy, .tif or .tiff file",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("OMERO_HOST", "OMERO_USER", "OMERO_PASSWORD", "OMERO_SESSION_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(message) and "\n" not in error


def test_without_omero_py_the_cli_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "labelcollections.omero.blitz", None)
    with pytest.raises(SystemExit) as exit_info:
        main(["omero", "--host", "h", "--session-key", "k", "list", "51"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        "error: omero: omero-py: omero-py installed: pip install 'labelcollections[omero]' "
        "(see README.md)"
    )
