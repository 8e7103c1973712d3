"""Third-party stores from the conformance data import into a repository as collections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile

from labelcollections.errors import InputError
from labelcollections.repository import Repository
from labelcollections.storage.validation import validate_store


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo") as repository:
        yield repository


@pytest.fixture
def biohackathon(conformance_dir: Path) -> Path:
    return conformance_dir / "biohackathon"


@pytest.mark.parametrize(
    "store",
    [
        "1ch_plus_explicit_labels.ome.zarr",
        "collection_combined_with_1ch_plus_labels.ome.zarr",
        "collection_with_multiscale_nodes_annotated_by_attributes.ome.zarr",
    ],
)
def test_biohackathon_stores_import_as_a_collection(
    repo: Repository, biohackathon: Path, store: str
) -> None:
    result = repo.import_store(biohackathon / "test-zarr" / store, collection="cells")
    assert [c.name for c in result.collections] == ["cells"]
    (label,) = result.labels
    assert label.provenance.method.value == "imported"
    assert [level.shape for level in label.levels] == [
        (520, 704), (260, 352), (130, 176), (65, 88), (32, 44)
    ]  # fmt: skip
    pixels = np.asarray(repo.label_levels(label)[0][...])
    expected = tifffile.imread(biohackathon / "denbi" / "labels.tiff")
    np.testing.assert_array_equal(pixels, expected)
    image = np.asarray(repo.image_levels(result.image)[0][...])
    np.testing.assert_array_equal(image, tifffile.imread(biohackathon / "denbi" / "sample.tiff"))
    assert repo.verify() == []


def test_explicit_labels_keep_their_135_colours(repo: Repository, biohackathon: Path) -> None:
    result = repo.import_store(biohackathon / "test-zarr" / "1ch_plus_explicit_labels.ome.zarr")
    (label,) = result.labels
    assert len([c for c in label.label_schema.classes if c.color is not None]) == 135


def test_prototype_attributes_are_kept(repo: Repository, biohackathon: Path) -> None:
    store = "collection_with_multiscale_nodes_annotated_by_attributes.ome.zarr"
    (label,) = repo.import_store(biohackathon / "test-zarr" / store).labels
    assert label.attributes == {"ome-iviewer:voxelType": "labels"}


def test_an_image_without_labels_imports_with_no_collection(
    repo: Repository, biohackathon: Path
) -> None:
    result = repo.import_store(biohackathon / "test-zarr" / "2ch.ome.zarr")
    assert result.image.shape == (2, 1, 520, 704)
    assert result.collections == () and result.labels == ()


def test_denbi_tiffs_become_a_collection(repo: Repository, biohackathon: Path) -> None:
    from labelcollections.model.provenance import Provenance

    repo.add_image(biohackathon / "denbi" / "sample.tiff", "livecell")
    label = repo.add_labels(
        "livecell", biohackathon / "denbi" / "labels.tiff", collection="cells", name="cells",
        label_type="instance", provenance=Provenance(method="manual"),
    )  # fmt: skip
    assert repo.collection("cells").members == (label.id,)
    assert np.unique(np.asarray(repo.label_levels(label)[0][...])).size == 135


def test_strict_validation_rejects_the_prototype_collection_roots(biohackathon: Path) -> None:
    store = biohackathon / "test-zarr" / "collection_combined_with_1ch_plus_labels.ome.zarr"
    with pytest.raises(InputError) as error:
        validate_store(str(store))
    assert error.value.field == "ome.nodes[0].path"


def test_strict_validation_rejects_the_two_channel_window(biohackathon: Path) -> None:
    with pytest.raises(InputError):
        validate_store(str(biohackathon / "test-zarr" / "2ch.ome.zarr"))
    assert "1 label images" in validate_store(
        str(biohackathon / "test-zarr" / "1ch_plus_explicit_labels.ome.zarr")
    )
