"""Pushing again updates instead of duplicating, new versions add, the collection's OMERO id is
stable and written back, and pull rebuilds from the key-value pairs when the JSON is missing or
edited."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from omero_helpers import World, add_foreground, add_version, upload_reference

from labelcollections.errors import ConflictError, InputError
from labelcollections.formats.omero_kv import NS_COLLECTION, NS_LABEL_IMAGE
from labelcollections.model.provenance import Provenance
from labelcollections.omero_sync import NS_DOCUMENT, OmeroSync
from labelcollections.repository import Repository


def annotation_counts(world: World, ref_id: int) -> tuple[int, int, int]:
    gateway = world.gateway
    labels = sum(
        len(gateway.find_objects(kind, NS_LABEL_IMAGE, [("omero.ref_image_id", str(ref_id))]))
        for kind in ("Image", "Roi")
    )
    return (
        labels,
        len(gateway.map_annotations("Image", ref_id, NS_COLLECTION)),
        len(gateway.file_annotations("Image", ref_id, NS_DOCUMENT)),
    )


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
def test_pushing_twice_updates_and_a_new_version_adds(
    world: World, denbi_repo: Repository, pixels: str
) -> None:
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    sync = OmeroSync(denbi_repo, world.gateway)
    mode = "zarr" if pixels == "zarr" else "upload"
    first = sync.push("nuclei_raw", ref.id, pixels=mode)
    collection_id = first.collections[0].omero_collection_id
    assert denbi_repo.collection("nuclei_cell_analysis_1").omero_collection_id == collection_id
    assert annotation_counts(world, ref.id) == (1, 1, 1)

    again = sync.push("nuclei_raw", ref.id, pixels=mode)
    assert again.created == () and again.kept == ("nuclei_segmentation@v1",)
    assert again.collections[0].omero_collection_id == collection_id
    assert annotation_counts(world, ref.id) == (1, 1, 1)

    old = denbi_repo.label_image("nuclei_segmentation@v1")
    pixels_v1 = np.asarray(denbi_repo.label_levels(old)[0][...])
    denbi_repo.add_labels(
        "nuclei_raw",
        np.where(pixels_v1 == 1, 0, pixels_v1).astype(pixels_v1.dtype),
        collection="nuclei_cell_analysis_1",
        name="nuclei_segmentation",
        version="v2",
        label_type="instance",
        provenance=Provenance(method="manual", author="curator", derived_from=old.id),
    )
    third = sync.push("nuclei_raw", ref.id, pixels=mode)
    assert third.created == ("nuclei_segmentation@v2",)
    assert third.kept == ("nuclei_segmentation@v1",)
    assert third.collections[0].omero_collection_id == collection_id
    assert annotation_counts(world, ref.id) == (2, 1, 1)
    (annotation,) = world.gateway.map_annotations("Image", ref.id, NS_COLLECTION)
    assert annotation.id == collection_id
    assert [v for k, v in annotation.pairs if k == "collection.member"] == [
        old.id,
        denbi_repo.label_image("nuclei_segmentation@v2").id,
    ]


def test_a_label_image_in_two_collections_lists_both_collection_ids(
    world: World, demo_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    sync = OmeroSync(demo_repo, world.gateway)
    sync.push("ihc", ref.id, collection="nuclei")
    sync.push("ihc", ref.id, collection="reviewed")
    v2 = demo_repo.label_image("nuclei@v2")
    (found,) = sync.find([("label.id", v2.id)])
    (annotation,) = world.gateway.map_annotations(found.kind, found.object_id, NS_LABEL_IMAGE)
    ids = sorted(int(v) for k, v in annotation.pairs if k == "omero.collection_id")
    expected = sorted(
        c.omero_collection_id or 0 for c in demo_repo.collections() if v2.id in c.members
    )
    assert ids == expected and len(ids) == 2


def _pushed(world: World, repository: Repository) -> int:
    ref = upload_reference(world.gateway, repository, "nuclei_raw", world.group.id)
    OmeroSync(repository, world.gateway).push("nuclei_raw", ref.id)
    return ref.id


def _check_pull_equal(original: Repository, pulled: Repository) -> None:
    assert pulled.images() == original.images()
    assert pulled.collections() == original.collections()
    assert pulled.label_images() == original.label_images()
    assert pulled.verify() == []


def test_pull_rebuilds_from_the_pairs_when_the_json_is_missing(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    ref_id = _pushed(world, denbi_repo)
    (document,) = world.gateway.file_annotations("Image", ref_id, NS_DOCUMENT)
    world.omero.unlink("Image", ref_id, document.id)
    with Repository.init(tmp_path / "pulled") as pulled:
        result = OmeroSync(pulled, world.gateway).pull(ref_id)
        assert len(result.notes) == 1 and "JSON document missing" in result.notes[0]
        _check_pull_equal(denbi_repo, pulled)


@pytest.mark.parametrize(
    "edit",
    [
        lambda doc: {**doc, "ome": {**doc["ome"], "name": "renamed"}},
        lambda doc: "not a document",
    ],
    ids=["edited", "garbage"],
)
def test_pull_rebuilds_from_the_pairs_when_the_json_was_edited(
    world: World, denbi_repo: Repository, tmp_path: Path, edit: object
) -> None:
    ref_id = _pushed(world, denbi_repo)
    (document,) = world.gateway.file_annotations("Image", ref_id, NS_DOCUMENT)
    content = json.loads(world.gateway.read_file_annotation(document.id))
    assert callable(edit)
    world.omero.edit_file_annotation(document.id, json.dumps(edit(content)).encode())
    with Repository.init(tmp_path / "pulled") as pulled:
        result = OmeroSync(pulled, world.gateway).pull(ref_id)
        assert len(result.notes) == 1 and "rebuilt from the key-value pairs" in result.notes[0]
        _check_pull_equal(denbi_repo, pulled)


def test_pull_refuses_reference_pixels_that_are_not_the_labels_reference(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    image = denbi_repo.image("nuclei_raw")
    other = world.gateway.create_image(
        "nuclei_raw", np.zeros((1, 1, 1, *image.shape), dtype="uint8"), world.group.id
    )
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", other.id)
    with Repository.init(tmp_path / "pulled") as pulled:
        with pytest.raises(InputError, match=f"Image:{other.id}: pixels: pixels hashing to"):
            OmeroSync(pulled, world.gateway).pull(other.id)
        assert pulled.images() == []


def test_pulling_into_the_repository_it_came_from_writes_nothing(
    world: World, denbi_repo: Repository
) -> None:
    ref_id = _pushed(world, denbi_repo)
    files = {p: p.stat().st_mtime_ns for p in denbi_repo.root.rglob("*") if p.is_file()}
    result = OmeroSync(denbi_repo, world.gateway).pull(ref_id)
    assert (result.labels, result.collections) == ((), ())
    assert {p: p.stat().st_mtime_ns for p in denbi_repo.root.rglob("*") if p.is_file()} == files


def test_a_second_pull_brings_only_the_new_versions(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    ref_id = _pushed(world, denbi_repo)
    with Repository.init(tmp_path / "colleague") as colleague:
        OmeroSync(colleague, world.gateway).pull(ref_id)
        add_version(denbi_repo)
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref_id)
        result = OmeroSync(colleague, world.gateway).pull(ref_id)
        assert [label.key for label in result.labels] == ["nuclei_segmentation@v2"]
        _check_pull_equal(denbi_repo, colleague)
        assert colleague.verify() == []


def test_a_pull_that_would_clash_with_local_work_is_refused_whole(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    ref_id = _pushed(world, denbi_repo)
    blank = np.zeros(denbi_repo.image("nuclei_raw").shape, dtype=np.uint8)
    manual = Provenance(method="manual")
    with Repository.init(tmp_path / "colleague") as colleague:
        OmeroSync(colleague, world.gateway).pull(ref_id)
        for repository in (denbi_repo, colleague):  # two different cells@v1
            repository.add_labels(
                "nuclei_raw", blank, collection="mine", name="cells", label_type="semantic",
                provenance=manual,
            )  # fmt: skip
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref_id)
        before = colleague.catalog.dump()
        with pytest.raises(ConflictError, match="cells@v1: label image"):
            OmeroSync(colleague, world.gateway).pull(ref_id)
        assert colleague.catalog.dump() == before


def test_push_refuses_an_omero_image_of_another_size(world: World, denbi_repo: Repository) -> None:
    small = world.gateway.create_image(
        "small", np.zeros((1, 1, 1, 10, 10), dtype="uint8"), world.group.id
    )
    with pytest.raises(InputError, match=f"Image:{small.id}: size: the size of nuclei_raw"):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", small.id)
    assert world.gateway.map_annotations("Image", small.id) == []


def test_upload_refuses_64_bit_labels_before_writing(world: World, denbi_repo: Repository) -> None:
    image = denbi_repo.image("nuclei_raw")
    denbi_repo.add_labels(
        "nuclei_raw",
        np.ones(image.shape, dtype="uint64"),
        collection="big",
        name="wide",
        label_type="instance",
        provenance=Provenance(method="manual"),
    )
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    with pytest.raises(InputError, match="wide@v1: dtype: one of uint8, uint16, uint32"):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    assert world.gateway.map_annotations("Image", ref.id) == []
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id, pixels="zarr")
    assert len(world.gateway.map_annotations("Image", ref.id, NS_COLLECTION)) == 2


def test_pull_names_the_annotation_whose_pairs_break_the_schema(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    ref_id = _pushed(world, denbi_repo)
    (found,) = OmeroSync(denbi_repo, world.gateway).find([("omero.ref_image_id", str(ref_id))])
    (annotation,) = world.gateway.map_annotations(found.kind, found.object_id, NS_LABEL_IMAGE)
    edited = [(k, "sometimes") if k == "label.type" else (k, v) for k, v in annotation.pairs]
    world.omero.edit_map_annotation(annotation.id, edited)
    with Repository.init(tmp_path / "pulled") as pulled:
        with pytest.raises(
            InputError,
            match=f"Image:{found.object_id} MapAnnotation:{annotation.id}: label.type: one of",
        ):
            OmeroSync(pulled, world.gateway).pull(ref_id)
        assert pulled.images() == []


def test_text_omero_cannot_store_is_refused_before_anything_is_written(
    world: World, denbi_repo: Repository
) -> None:
    """The repository keeps U+0000 (lone surrogates it refuses itself); OMERO cannot."""
    add_foreground(denbi_repo, "a\0b")
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    before = world.omero.visible_state()
    with pytest.raises(InputError, match=r"foreground@v1: provenance.author: .*U\+0000"):
        OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    assert world.omero.visible_state() == before


def test_pushing_again_adds_a_feature_table_added_since(
    world: World, denbi_repo: Repository, tmp_path: Path
) -> None:
    ref_id = _pushed(world, denbi_repo)
    label = denbi_repo.label_image("nuclei_segmentation@v1")
    values = denbi_repo.instance_table(label.id).column("label").to_pylist()
    features = pa.table({"label": values, "area_um2": [float(v) / 4 for v in values]})
    denbi_repo.add_table(label.id, features, name="sizes")
    again = OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref_id)
    assert again.created == ()
    with Repository.init(tmp_path / "pulled") as pulled:
        OmeroSync(pulled, world.gateway).pull(ref_id)
        assert pulled.table(label.id, "sizes").equals(denbi_repo.table(label.id, "sizes"))
