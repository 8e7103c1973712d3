"""Fixtures for the OMERO tests: the in-memory OMERO with a group and a user, repositories to
push (the demo's and one built from the BioHackathon conformance data), and a live server
when OMERO_HOST, OMERO_USER and OMERO_PASSWORD are set."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from omero_helpers import World, live_gateway, new_world
from rich.console import Console

from labelcollections.demo import run_demo
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.omero.gateway import OmeroGateway
from labelcollections.progress import SilentProgress
from labelcollections.repository import Repository


@pytest.fixture
def world() -> Iterator[World]:
    created = new_world()
    yield created
    created.gateway.close()


@pytest.fixture(params=["memory", "live"])
def gateway(request: pytest.FixtureRequest) -> Iterator[OmeroGateway]:
    """The adapter on the in-memory OMERO always, and on a live server when configured."""
    if request.param == "memory":
        created = new_world()
        yield created.gateway
        created.gateway.close()
    else:
        yield from live_gateway()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo") / "out"
    run_demo(directory, SilentProgress(), Console(quiet=True))
    return directory / "repo"


@pytest.fixture
def demo_repo(demo_template: Path, tmp_path: Path) -> Iterator[Repository]:
    """A fresh copy of the demo repository (pushing writes OMERO ids back into it)."""
    target = tmp_path / "demo-repo"
    shutil.copytree(demo_template, target)
    with Repository.open(target) as repository:
        yield repository


@pytest.fixture
def denbi_repo(conformance_dir: Path, tmp_path: Path) -> Iterator[Repository]:
    """A collection built from the BioHackathon conformance image and its label image."""
    folder = conformance_dir / "biohackathon" / "denbi"
    with Repository.init(tmp_path / "denbi-repo") as repository:
        repository.add_image(folder / "sample.tiff", "nuclei_raw")
        repository.add_labels(
            "nuclei_raw",
            folder / "labels.tiff",
            collection="nuclei_cell_analysis_1",
            name="nuclei_segmentation",
            label_type="instance",
            downsampling="mode",  # coarser levels that a pull must rebuild the same way
            label_schema=LabelSchema(
                classes=(LabelClass(value=0, name="background", color=(0, 0, 0, 0)),)
            ),
            provenance=Provenance(
                method="imported",
                software="BioHackathon prototype",
                author="de.NBI",
                parameters={"origin": "masks", "category": "annotations"},
            ),
        )
        yield repository
