"""Helpers of the OMERO tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from labelcollections.model.images import LabelImage
from labelcollections.model.provenance import Provenance
from labelcollections.omero.blitz import BlitzOmeroGateway
from labelcollections.omero.gateway import OmeroGateway, OmeroGroup, OmeroImage, OmeroUser
from labelcollections.omero.testing import InMemoryOmero
from labelcollections.repository import Repository

LIVE_VARIABLES = ("OMERO_HOST", "OMERO_USER", "OMERO_PASSWORD")
TCZYX = "tczyx"


@dataclass
class World:
    """An in-memory OMERO with one read-annotate group ``lab`` and its member ``alice``, and a
    gateway (omero-py's BlitzGateway under ours) logged in as the user acting now."""

    omero: InMemoryOmero
    group: OmeroGroup
    user: OmeroUser
    gateway: BlitzOmeroGateway = field(init=False)

    def __post_init__(self) -> None:
        self.gateway = self.omero.connect(self.user)

    def act_as(self, user: OmeroUser) -> None:
        """Make every following call run in a session of ``user``."""
        self.gateway.close()
        self.gateway = self.omero.connect(user)


def new_world(level: str = "read-annotate") -> World:
    omero = InMemoryOmero()
    group = omero.add_group("lab", level)
    return World(omero, group, omero.add_user("alice", [group]))


def live_gateway() -> Iterator[OmeroGateway]:
    """The blitz adapter on the server named by the environment (skipped without it)."""
    missing = [name for name in LIVE_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.skip(f"no live OMERO server: set {', '.join(missing)}")
    with BlitzOmeroGateway.connect(
        os.environ["OMERO_HOST"],
        int(os.environ.get("OMERO_PORT", "4064")),
        username=os.environ["OMERO_USER"],
        password=os.environ["OMERO_PASSWORD"],
    ) as gateway:
        yield gateway


def unique(prefix: str) -> str:
    """A namespace (or name) no earlier run used, so live runs never see each other's data."""
    return f"{prefix}/{uuid.uuid4().hex}"


def to_tczyx(data: np.ndarray, axes: tuple[str, ...]) -> np.ndarray:
    shape = [data.shape[axes.index(a)] if a in axes else 1 for a in TCZYX]
    return np.asarray(data).reshape(shape)


def upload_reference(
    gateway: OmeroGateway, repository: Repository, image_name: str, group_id: int
) -> OmeroImage:
    """Put a repository's reference image on the server, as importing it into OMERO would."""
    image = repository.image(image_name)
    pixels = np.asarray(repository.image_levels(image)[0][...])
    return gateway.create_image(image.name, to_tczyx(pixels, image.axis_names), group_id)


def add_version(repository: Repository) -> LabelImage:
    """nuclei_segmentation@v2 of the BioHackathon collection: v1 without its object 1."""
    v1 = repository.label_image("nuclei_segmentation@v1")
    pixels = np.asarray(repository.label_levels(v1)[0][...])
    return repository.add_labels(
        "nuclei_raw",
        np.where(pixels == 1, 0, pixels),
        collection="nuclei_cell_analysis_1",
        name="nuclei_segmentation",
        version="v2",
        label_type="instance",
        provenance=Provenance(method="manual", derived_from=v1.id),
    )


def add_foreground(repository: Repository, author: str) -> LabelImage:
    """A semantic label image ``foreground`` in the BioHackathon collection."""
    image = repository.image("nuclei_raw")
    return repository.add_labels(
        "nuclei_raw",
        np.ones(image.shape, dtype="uint8"),
        collection="nuclei_cell_analysis_1",
        name="foreground",
        label_type="semantic",
        provenance=Provenance(method="manual", author=author),
    )
