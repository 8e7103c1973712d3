"""The OMERO part of ``labelcollections demo``: the demo's collections pushed to an in-memory
OMERO through ``omero labelcollections`` (the plugin, omero-py's BlitzGateway and our adapter),
listed as OMERO shows them, and pulled back into a second repository that must equal the
first. A newcomer sees the heart of the project without a server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from omero.cli import CLI
from rich.console import Console

from labelcollections.errors import InputError
from labelcollections.omero.testing import PASSWORD, InMemoryOmero
from labelcollections.omero_sync.mapping import to_tczyx
from labelcollections.repository import Repository

__all__ = ["run_omero_demo"]


def run_omero_demo(repository: Repository, target: Path, console: Console) -> Repository:
    """Push every collection of the repository's image, list them, pull them into
    ``target``; return the pulled repository, checked equal to the original."""
    (image,) = repository.images()
    server = InMemoryOmero()
    lab = server.add_group("lab", "read-annotate")
    alice = server.add_user("alice", [lab])
    with server.connect(alice) as gateway:  # the image as an import into OMERO makes it
        pixels = np.asarray(repository.image_levels(image)[0][...])
        ref = gateway.create_image(image.name, to_tczyx(pixels, image.axis_names), lab.id)
    login = server.client()
    login.createSession(alice.name, PASSWORD)  # what `omero login` does
    key = login.getSessionId()
    console.print(f"\nin-memory OMERO: Image:{ref.id} {image.name!r}, user alice, group lab")
    omero_command(server, key, "push", str(repository.root), image.name, "--image", str(ref.id))
    console.print(f"$ omero labelcollections list {ref.id}")
    omero_command(server, key, "list", str(ref.id))
    omero_command(server, key, "pull", str(ref.id), str(target))
    pulled = Repository.open(target)
    same = (
        pulled.images() == repository.images()
        and pulled.collections() == repository.collections()
        and pulled.label_images() == repository.label_images()
        and pulled.verify() == []
        and all(
            pulled.table(label.id, record.name).equals(repository.table(label.id, record.name))
            for label in repository.label_images()
            for record in repository.tables(label.id)
            if record.kind != "correspondence"
        )
    )
    if not same:
        raise InputError(str(target), "pull", "a repository equal to the one pushed")
    console.print(
        f"pulled back into {target}: equal to {repository.root} (collections, label images,"
        " pixel hashes, instance and feature tables)"
    )
    return pulled


def omero_command(server: InMemoryOmero, key: str, *args: str) -> None:
    """``omero labelcollections ARGS…`` joining the session ``key``, as each ``omero`` run
    after ``omero login`` does."""
    client = server.client()
    client.joinSession(key)
    command = CLI()
    command.loadplugins()
    command.set_client(client)
    command.invoke(["labelcollections", *args], strict=True)
