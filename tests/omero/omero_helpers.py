"""Helpers of the OMERO tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from labelcollections.omero.gateway import OmeroGateway, OmeroGroup, OmeroImage, OmeroUser
from labelcollections.omero.memory import InMemoryGateway
from labelcollections.repository import Repository

LIVE_VARIABLES = ("OMERO_HOST", "OMERO_USER", "OMERO_PASSWORD")
TCZYX = "tczyx"


@dataclass
class World:
    """An in-memory server with one read-annotate group ``lab`` and its member ``alice``."""

    gateway: InMemoryGateway
    group: OmeroGroup
    user: OmeroUser


def live_gateway() -> Iterator[OmeroGateway]:
    """The blitz adapter on the server named by the environment (skipped without it)."""
    missing = [name for name in LIVE_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.skip(f"no live OMERO server: set {', '.join(missing)}")
    from labelcollections.omero.blitz import BlitzOmeroGateway

    with BlitzOmeroGateway.connect(
        os.environ["OMERO_HOST"],
        int(os.environ.get("OMERO_PORT", "4064")),
        username=os.environ["OMERO_USER"],
        password=os.environ["OMERO_PASSWORD"],
    ) as gateway:
        yield gateway


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
