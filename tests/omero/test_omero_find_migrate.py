"""Finding label images by any key of the schema across groups and past OMERO's page limit, NGFF
registration, and migration of the BioHackathon prototype's annotations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from omero_helpers import World, new_world

from labelcollections.errors import InputError, NotFoundError
from labelcollections.formats.biohackathon import import_prototype_collection
from labelcollections.formats.omero_kv import (
    NS_COLLECTION,
    NS_LABEL_IMAGE,
    collection_from_pairs,
    label_image_from_pairs,
    label_image_to_pairs,
)
from labelcollections.model.images import LabelImage
from labelcollections.model.provenance import Provenance
from labelcollections.omero.gateway import DEFAULT_LIMIT, OmeroGateway, OmeroGroup
from labelcollections.omero_sync import (
    NS_DOCUMENT,
    NS_NGFF,
    NS_PROTOTYPE_COLLECTION,
    NS_PROTOTYPE_NODES,
    OmeroSync,
)
from labelcollections.repository import Repository

PLANE = np.zeros((1, 1, 1, 8, 8), dtype="uint8")


def add_labels(
    gateway: OmeroGateway, group: OmeroGroup, count: int, software: str, method: str
) -> set[str]:
    """``count`` label images as ROIs of one image in ``group``, each with its annotation."""
    ref = gateway.create_image("ref", PLANE, group.id)
    ids = set()
    for index in range(count):
        label = LabelImage(
            id=f"{group.name}-{software}-{index}",
            name="cells",
            version=f"v{index}",
            image_id="img",
            label_type="instance",
            provenance=Provenance(method=method, software=software),
        )
        roi = gateway.create_roi(ref.id, [], label.key)
        pairs = label_image_to_pairs(label, ref_omero_image_id=ref.id)
        gateway.link_map_annotation("Roi", roi.id, NS_LABEL_IMAGE, pairs)
        ids.add(label.id)
    return ids


def test_find_reads_every_page_across_the_users_groups(world: World, tmp_path: Path) -> None:
    other = world.omero.add_group("imaging", "read-only")
    hidden = world.omero.add_group("hidden", "read-write")
    world.act_as(world.omero.add_user("zoe", [world.group, other, hidden]))
    gateway = world.gateway
    wanted = add_labels(gateway, world.group, DEFAULT_LIMIT + 150, "cellpose", "machine-learning")
    wanted |= add_labels(gateway, other, 60, "cellpose", "machine-learning")
    add_labels(gateway, hidden, 5, "cellpose", "manual")
    add_labels(gateway, world.group, 7, "stardist", "machine-learning")
    world.act_as(world.omero.add_user("yan", [world.group, other]))
    with Repository.init(tmp_path / "r") as repository:
        sync = OmeroSync(repository, world.gateway)
        conditions = [
            ("provenance.method", "machine-learning"),
            ("provenance.software", "cellpose"),
        ]
        found = sync.find(conditions)
        assert len(found) == len(wanted) > DEFAULT_LIMIT
        assert {f.label.id for f in found} == wanted
        assert {f.group_id for f in found} == {world.group.id, other.id}
        in_other = sync.find(conditions, group="imaging")
        assert {f.label.id for f in in_other} == {i for i in wanted if i.startswith("imaging")}
        assert len(sync.find([("provenance.software", "stardist")])) == 7
        assert sync.find([("provenance.method", "manual")]) == []  # not a member of "hidden"
        with pytest.raises(NotFoundError, match="nowhere: group: one of your groups"):
            sync.find(conditions, group="nowhere")


@given(
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=40),
    st.integers(1, 7),
    st.integers(0, 50),
)
def test_paging_returns_each_match_once_in_order(tags: list[str], limit: int, offset: int) -> None:
    world = new_world("read-write")
    gateway = world.gateway
    image = gateway.create_image("i", PLANE, world.group.id)
    rois = []
    for tag in tags:
        roi = gateway.create_roi(image.id, [])
        gateway.link_map_annotation("Roi", roi.id, "ns", [("tag", tag), ("tag", "any")])
        rois.append((roi.id, tag))
    matching = [roi_id for roi_id, tag in rois if tag == "a"]
    page = gateway.find_objects("Roi", "ns", [("tag", "a"), ("tag", "any")], offset, limit)
    assert page == matching[offset : offset + limit]
    assert gateway.find_objects("Roi", "other-ns", [("tag", "a")]) == []
    gateway.close()


def test_register_zarr_writes_the_ngff_keys_and_replaces_them(
    world: World, demo_repo: Repository, tmp_path: Path
) -> None:
    exported = demo_repo.export("ihc", tmp_path / "ihc.ome.zarr", ngff="0.4")
    image = world.gateway.create_image("ihc", PLANE, world.group.id)
    sync = OmeroSync(demo_repo, world.gateway)
    first = sync.register_zarr(image.id, str(exported), conversion_date="2026-01-02")
    assert first.pairs == (
        ("zarr_path", str(exported)),
        ("ngff_version", "0.4"),
        ("zarr_conversion_date", "2026-01-02"),
    )
    second = sync.register_zarr(image.id, "https://example.org/ihc.ome.zarr", "0.5")
    assert second.id == first.id
    assert dict(second.pairs)["ngff_version"] == "0.5"
    assert len(world.gateway.map_annotations("Image", image.id, NS_NGFF)) == 1


def seed_prototype(world: World, conformance_dir: Path) -> tuple[dict[str, int], dict[str, object]]:
    """The prototype's annotations as its ``upload`` wrote them for example2.json."""
    document = json.loads((conformance_dir / "biohackathon" / "example2.json").read_text())
    gateway = world.gateway
    images = {
        node["name"]: gateway.create_image(node["name"], PLANE, world.group.id).id
        for node in document["ome"]["nodes"]
    }
    header = None
    for node in document["ome"]["nodes"]:
        image_id = images[node["name"]]
        if header is None:
            header = gateway.link_map_annotation(
                "Image",
                image_id,
                NS_PROTOTYPE_COLLECTION,
                [("version", "0.x"), ("name", document["ome"]["name"]), ("type", "collection")],
            )
        else:
            gateway.link_annotation("Image", image_id, header.id)
        attributes = node["attributes"]
        pairs = [
            ("path", f"{document['ome']['name']}/{node['name']}"),
            ("collection_id", str(header.id)),
            ("name", node["name"]),
            ("category", attributes["category"]),
            ("origin", attributes["origin"]),
        ]
        if attributes.get("source"):
            pairs.append(("source", attributes["source"]))
        pairs.append(("description", attributes["description"]))
        gateway.link_map_annotation("Image", image_id, NS_PROTOTYPE_NODES, pairs)
        attributes["omero:image_id"] = image_id
        attributes.pop("omero_image_id", None)
    return images, document


def test_migrate_turns_prototype_annotations_into_our_schema(
    world: World, conformance_dir: Path, tmp_path: Path
) -> None:
    images, document = seed_prototype(world, conformance_dir)
    raw = images["nuclei_raw"]
    with Repository.init(tmp_path / "r") as repository:
        sync = OmeroSync(repository, world.gateway)
        (migrated,) = sync.migrate(raw)
        (expected,) = import_prototype_collection(
            document,
            "expected",
            created=migrated.collection.provenance.created,  # type: ignore[union-attr]
        )
        assert migrated.labels == expected.labels
        assert migrated.collection == expected.collection.model_copy(
            update={"omero_collection_id": migrated.collection.omero_collection_id}
        )
        (annotation,) = world.gateway.map_annotations("Image", raw, NS_COLLECTION)
        assert collection_from_pairs(annotation.pairs, "t").collection == migrated.collection
        for label in expected.labels:
            assert label.omero_image_id == images[label.name]
            (pairs,) = world.gateway.map_annotations("Image", images[label.name], NS_LABEL_IMAGE)
            read = label_image_from_pairs(pairs.pairs, "t")
            assert read.label == label
            assert read.ref_omero_image_id == raw
            assert read.collection_omero_ids == (annotation.id,)
        assert len(world.gateway.file_annotations("Image", raw, NS_DOCUMENT)) == 1
        (listed,) = sync.read(raw)
        assert listed.notes == () and listed.labels == expected.labels
        before = world.omero.visible_state()
        assert sync.migrate(raw) == []
        assert world.omero.visible_state() == before
        with pytest.raises(InputError, match=r"label\.levels: a label image with pixel levels"):
            sync.pull(raw)
        assert repository.images() == []
