"""A push is all or nothing: a failure at any server call of a push leaves what users see
exactly as before the push, and pushing again then succeeds."""

from __future__ import annotations

import omero
import pytest
from omero_helpers import add_version, new_world, upload_reference

from labelcollections.errors import InputError
from labelcollections.omero_sync import push, read_collections
from labelcollections.omero_sync.mapping import NS_DOCUMENT
from labelcollections.repository import Repository


@pytest.mark.slow
@pytest.mark.parametrize("pixels", ["upload", "zarr"])
@pytest.mark.parametrize("scenario", ["first push", "push again"])
def test_a_failure_at_any_server_call_of_a_push_leaves_nothing_behind(
    denbi_repo: Repository, pixels: str, scenario: str
) -> None:
    world = new_world()
    server = world.omero
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    if scenario == "push again":
        # The second push creates (a new version, its tables), changes (the collection's
        # pairs) and replaces (the JSON document someone edited).
        push(denbi_repo, world.gateway, "nuclei_raw", ref.id, pixels=pixels)  # type: ignore[arg-type]
        (document,) = world.gateway.file_annotations("Image", ref.id, NS_DOCUMENT)
        server.edit_file_annotation(document.id, b'{"edited": true}')
        add_version(denbi_repo)
    world.gateway.close()
    start = server.checkpoint()
    before = server.visible_state()

    def attempt(fail_at: int | None) -> int:
        """Push from the starting state, failing at one call; the calls the push made."""
        server.restore(start)
        with server.connect(world.user) as gateway:
            first = len(server.calls)
            if fail_at is not None:
                server.fail_at(fail_at)
            push(denbi_repo, gateway, "nuclei_raw", ref.id, pixels=pixels)  # type: ignore[arg-type]
            return len(server.calls) - first

    calls = attempt(None)
    assert server.visible_state() != before and calls > 10
    for call in range(1, calls + 1):
        with pytest.raises((omero.InternalException, InputError)):
            attempt(call)
        assert server.visible_state() == before, f"failure at call {call} of {calls}"
        with server.connect(world.user) as gateway:  # and a retried push succeeds
            push(denbi_repo, gateway, "nuclei_raw", ref.id, pixels=pixels)  # type: ignore[arg-type]
            (collection,) = read_collections(gateway, ref.id)
        assert len(collection.labels) == len(denbi_repo.label_images())
        assert server.visible_state()["orphan files"] == []
