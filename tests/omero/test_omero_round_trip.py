"""Repository → OMERO (in memory) → new repository: equal models, pixel hashes and instance ids,
in both pixel modes, for the demo repository and a collection built from the BioHackathon data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from omero_helpers import World, upload_reference

from labelcollections.errors import InputError
from labelcollections.formats.omero_kv import NS_COLLECTION, NS_LABEL_IMAGE
from labelcollections.omero_sync import NGFF_ENTITY_ID, NGFF_ENTITY_TYPE, NS_DOCUMENT, OmeroSync
from labelcollections.repository import Repository


def instance_ids(repository: Repository) -> set[str]:
    ids = set()
    for label in repository.label_images():
        if label.label_type.value != "semantic":
            values = np.unique(np.asarray(repository.label_levels(label)[0][...]))
            ids.update(label.instance_id(int(v)) for v in values if v != 0)
    return ids


def assert_same(original: Repository, pulled: Repository) -> None:
    assert pulled.images() == original.images()
    assert sorted(pulled.collections(), key=lambda c: c.id) == sorted(
        original.collections(), key=lambda c: c.id
    )
    assert sorted(pulled.label_images(), key=lambda lab: lab.id) == sorted(
        original.label_images(), key=lambda lab: lab.id
    )
    assert pulled.verify() == []
    for label in original.label_images():
        levels = zip(original.label_levels(label), pulled.label_levels(label), strict=True)
        for before, after in levels:
            assert after.dtype == before.dtype
            np.testing.assert_array_equal(after[...], before[...])
    assert instance_ids(pulled) == instance_ids(original)
    for label in original.label_images():
        assert pulled.instance_table(label.id).equals(original.instance_table(label.id))
        names = travelling_tables(original, label.id)
        assert travelling_tables(pulled, label.id) == names
        for name in names:
            assert pulled.table(label.id, name).equals(original.table(label.id, name))


def travelling_tables(repository: Repository, label_id: str) -> list[str]:
    """The tables that go to OMERO with a label image: instances and features."""
    return sorted(r.name for r in repository.tables(label_id) if r.kind != "correspondence")


def add_features(repository: Repository) -> None:
    """A feature table with every column type OMERO.tables must carry, missing values too."""
    label = repository.label_images()[0]
    values = repository.instance_table(label.id).column("label").to_pylist()[:5]
    count = len(values)
    table = pa.table(
        {
            "label": pa.array(values, pa.uint32()),
            "score": pa.array([0.25, None, 1.5, 2.0, -1.0][:count], pa.float32()),
            "votes": pa.array([3, 2**40, None, -7, 0][:count], pa.int64()),
            "note": pa.array(["ü", None, "", "a, b", "✓"][:count], pa.string()),
            "kept": pa.array([True, False, None, True, False][:count], pa.bool_()),
        }
    )
    repository.add_table(label.id, table, name="review")


@pytest.mark.parametrize("pixels", ["upload", "zarr"])
@pytest.mark.parametrize("which", ["demo", "biohackathon"])
def test_push_then_pull_into_an_empty_repository_loses_nothing(
    world: World,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    pixels: str,
    which: str,
) -> None:
    original: Repository = request.getfixturevalue("demo_repo" if which == "demo" else "denbi_repo")
    add_features(original)
    (image,) = original.images()
    ref = upload_reference(world.gateway, original, image.name, world.group.id)
    result = OmeroSync(original, world.gateway).push(
        image.name, ref.id, pixels="zarr" if pixels == "zarr" else "upload"
    )
    assert {label.key for label in original.label_images()} == set(result.created)
    assert all(c.omero_collection_id is not None for c in original.collections())
    with Repository.init(tmp_path / "pulled") as pulled:
        outcome = OmeroSync(pulled, world.gateway).pull(ref.id)
        assert outcome.notes == ()
        assert_same(original, pulled)
    if which == "demo":
        assert len(instance_ids(original)) > 100


def test_zarr_mode_follows_the_omero_label_convention_and_uploads_no_pixels(
    world: World, demo_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    OmeroSync(demo_repo, world.gateway).push("ihc", ref.id, pixels="zarr")
    by_ref = [("omero.ref_image_id", str(ref.id))]
    assert world.gateway.find_objects("Image", NS_LABEL_IMAGE, by_ref) == []
    rois = world.gateway.rois(ref.id)
    assert len(rois) == len(demo_repo.label_images())
    for roi in rois:
        (mask,) = roi.masks
        assert (mask.x, mask.y, mask.width, mask.height) == (0, 0, ref.size_x, ref.size_y)
        assert roi.external_info is not None
        assert (
            roi.external_info.entity_type
            == NGFF_ENTITY_TYPE
            == "com.glencoesoftware.ngff:multiscales"
        )
        assert roi.external_info.entity_id == NGFF_ENTITY_ID == 3
        lsid = roi.external_info.lsid
        assert lsid.startswith("/") and "%" not in lsid  # a plain path the pixel buffer opens
        assert lsid.endswith(f"/labels/{_path_of(demo_repo, mask.text)}")
        assert Path(lsid, "zarr.json").is_file()
        (annotation,) = world.gateway.map_annotations("Roi", roi.id, NS_LABEL_IMAGE)
        assert ("omero.ref_image_id", str(ref.id)) in annotation.pairs


def test_zarr_mode_uses_the_published_location_when_given(
    world: World, demo_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    base = "https://example.org/data/ihc.ome.zarr"
    OmeroSync(demo_repo, world.gateway).push("ihc", ref.id, "nuclei", "zarr", zarr_base=base)
    uris = sorted(roi.external_info.lsid for roi in world.gateway.rois(ref.id) if roi.external_info)
    assert uris == [f"{base}/labels/nuclei_v1", f"{base}/labels/nuclei_v2"]


def test_upload_mode_puts_every_label_image_in_the_reference_images_group(
    world: World, demo_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, demo_repo, "ihc", world.group.id)
    OmeroSync(demo_repo, world.gateway).push("ihc", ref.id)
    found = world.gateway.find_objects(
        "Image", NS_LABEL_IMAGE, [("omero.ref_image_id", str(ref.id))]
    )
    assert len(found) == 3
    for image_id in found:
        label_image = world.gateway.get_image(image_id)
        assert label_image.group_id == ref.group_id
        assert label_image.dtype in ("uint8", "uint32")
        (annotation,) = world.gateway.map_annotations("Image", image_id, NS_LABEL_IMAGE)
        keys = [key for key, _ in annotation.pairs]
        for key in ("omero.ref_image_id", "omero.collection_id", "label.type", "label.version"):
            assert key in keys
        assert any(key.startswith("provenance.") for key in keys)
    collections = world.gateway.map_annotations("Image", ref.id, NS_COLLECTION)
    assert len(collections) == 3
    documents = world.gateway.file_annotations("Image", ref.id, NS_DOCUMENT)
    assert len(documents) == 3
    document = json.loads(world.gateway.read_file_annotation(documents[0].id))
    assert document["ome"]["type"] == "collection"


def _path_of(repository: Repository, key: str | None) -> str:
    image = repository.images()[0]
    (label,) = [label for label in repository.label_images(image.name) if label.key == key]
    return repository.label_path(label)


@pytest.mark.parametrize(
    "store",
    [
        "1ch_plus_explicit_labels.ome.zarr",
        "collection_combined_with_1ch_plus_labels.ome.zarr",
        "collection_with_multiscale_nodes_annotated_by_attributes.ome.zarr",
    ],
)
def test_the_prototypes_stores_round_trip_as_zarr_backed_masks(
    world: World, conformance_dir: Path, tmp_path: Path, store: str
) -> None:
    with Repository.init(tmp_path / "imported") as original:
        imported = original.import_store(conformance_dir / "biohackathon" / "test-zarr" / store)
        ref = upload_reference(world.gateway, original, imported.image.name, world.group.id)
        sync = OmeroSync(original, world.gateway)
        with pytest.raises(InputError, match=r"dtype: one of uint8, uint16, uint32 .*got int32"):
            sync.push(imported.image.name, ref.id)  # OMERO Images of labels: unsigned only
        assert world.gateway.map_annotations("Image", ref.id) == []
        sync.push(imported.image.name, ref.id, pixels="zarr")
        with Repository.init(tmp_path / "pulled") as pulled:
            OmeroSync(pulled, world.gateway).pull(ref.id)
            assert_same(original, pulled)


def test_a_first_push_uploads_each_document_through_omero_pys_own_upload(
    world: World, denbi_repo: Repository
) -> None:
    ref = upload_reference(world.gateway, denbi_repo, "nuclei_raw", world.group.id)
    start = len(world.omero.calls)
    OmeroSync(denbi_repo, world.gateway).push("nuclei_raw", ref.id)
    calls = world.omero.calls[start:]
    # BlitzGateway.createOriginalFileFromFileObj: the OriginalFile, then its bytes.
    assert calls.count("RawFileStore.write") == 1 and calls.count("RawFileStore.save") == 1
    (document,) = world.gateway.file_annotations("Image", ref.id, NS_DOCUMENT)
    collection = denbi_repo.collection("nuclei_cell_analysis_1")
    expected = json.loads(json.dumps(denbi_repo.collection_document(collection)))
    assert json.loads(world.gateway.read_file_annotation(document.id)) == expected
    assert document.name == f"labelcollections-{collection.id}.json"
    assert world.omero.visible_state()["orphan files"] == []
