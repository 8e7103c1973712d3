"""``omero labelcollections …``: the plugin of omero-py's ``omero`` command, on the session of
``omero login``, against the in-memory OMERO."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import omero
import pytest
from omero.cli import CLI
from omero_helpers import World, upload_reference

from labelcollections.cli.omero_plugin import VERBS
from labelcollections.omero.testing import HOST, PASSWORD
from labelcollections.omero_sync import OmeroSync
from labelcollections.repository import Repository

Run = Callable[..., CLI]
Capture = pytest.CaptureFixture[str]


@pytest.fixture
def omero_command(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``omero ARGS…`` in this process (the ``omero`` script refuses root, CI's user), its
    sessions in a temporary directory and its clients on the in-memory server."""
    monkeypatch.setenv("OMERO_USERDIR", str(tmp_path / "omero"))
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "omero" / "sessions"))
    monkeypatch.setattr(omero, "client", lambda *args, **kwargs: world.omero.client())

    def run(*args: str) -> CLI:
        command = CLI()
        command.loadplugins()
        command.invoke(list(args), strict=False)
        return command

    return run


def test_help_lists_the_verbs(omero_command: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert omero_command("labelcollections", "--help").rv == 0
    out = capsys.readouterr().out
    for verb in ("push", "pull", "list", "find", "register-zarr", "migrate", "masks"):
        assert f"    {verb} " in out
    assert list(VERBS) == ["push", "pull", "list", "find", "register-zarr", "migrate", "masks"]


def test_push_and_list_on_the_session_of_omero_login(
    omero_command: Run,
    world: World,
    demo_repo: Repository,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    login = omero_command("login", "-s", HOST, "-u", "alice", "-w", PASSWORD)
    assert login.rv == 0
    sessions = [s for s in world.omero.server.sessions.values() if s.alive]
    capsys.readouterr()
    pushed = omero_command(
        "labelcollections", "push", str(demo_repo.root), "ihc", "--image", str(ref.id)
    )
    assert pushed.rv == 0
    assert "label images: 3 added" in capsys.readouterr().out
    listed = omero_command("labelcollections", "list", str(ref.id), "--json")
    assert listed.rv == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(row["collection"], row["label"]) for row in rows} == {
        ("nuclei", "nuclei@v1"),
        ("nuclei", "nuclei@v2"),
        ("reviewed", "nuclei@v2"),
        ("tissue_classes", "stains@v1"),
    }
    # No new session, no password: both ran on the login's session, which stays open.
    assert [s for s in world.omero.server.sessions.values() if s.alive] == sessions


def test_masks_takes_the_shape_option_of_the_command(
    omero_command: Run, world: World, demo_repo: Repository, capsys: Capture
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    assert omero_command("login", "-s", HOST, "-u", "alice", "-w", PASSWORD).rv == 0
    assert omero_command("labelcollections", "masks", "--help").rv == 0
    assert "--shape [mask|polygon]" in capsys.readouterr().out
    OmeroSync(demo_repo, world.gateway).push("ihc", ref.id)
    converted = omero_command(  # options before the arguments, as click takes them
        "labelcollections", "masks", "--shape", "polygon", str(ref.id), "nuclei@v1"
    )
    assert converted.rv == 0
    assert "Polygon ROIs on Image:" in capsys.readouterr().out
    rois = world.gateway.rois(ref.id)
    label = demo_repo.label_image("nuclei@v1")
    assert {roi.name for roi in rois if roi.polygons} == {
        label.instance_id(int(v))
        for v in np.unique(demo_repo.label_levels(label)[0][...])
        if v != 0
    }


def test_a_refusal_is_one_line_and_exit_code_2(
    omero_command: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    assert omero_command("login", "-s", HOST, "-u", "alice", "-w", PASSWORD).rv == 0
    capsys.readouterr()
    result = omero_command("labelcollections", "list", "999999")
    assert result.rv == 2
    *session, error = capsys.readouterr().err.strip().splitlines()
    assert error == "error: Image:999999: id: an object visible in one of your groups"
    assert session == [
        "Using session for alice@in-memory:4064. Idle timeout: 10 min. Current group: lab"
    ]
