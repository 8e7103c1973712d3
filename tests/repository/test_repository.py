"""The repository end to end: add, query, export, import, verify, reindex — on real stores,
with each catalog (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
from snapshots import snapshot

from labelcollections.errors import ConflictError, InputError, NotFoundError
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository, open_repository
from labelcollections.storage.hashing import content_hash
from labelcollections.storage.validation import validate_store

NewCatalog = Callable[[], str | None]
SCHEMA = LabelSchema(classes=(LabelClass(value=1, name="cell", color=(255, 0, 0, 255)),))


def provenance(**fields: object) -> Provenance:
    base: dict[str, object] = {
        "method": "machine-learning",
        "software": "cellpose",
        "software_version": "3.1.0",
        "author": "Jane Doe",
        "model_name": "cyto3",
        "model_sha256": "ab" * 32,
        "training_data": "cellpose training set",
        "parameters": {"diameter": 17.5, "channels": [0, 0], "flow, threshold": "0.4=x"},
    }
    return Provenance.model_validate({**base, **fields})


@pytest.fixture
def denbi(conformance_dir: Path) -> Path:
    return conformance_dir / "biohackathon" / "denbi"


@pytest.fixture
def repository(tmp_path: Path, denbi: Path, new_catalog: NewCatalog) -> Iterator[Repository]:
    with Repository.init(tmp_path / "repo", catalog=new_catalog()) as repo:
        repo.add_image(denbi / "sample.tiff", "livecell")
        repo.add_labels(
            "livecell",
            denbi / "labels.tiff",
            collection="cells",
            name="cells",
            label_type="instance",
            provenance=provenance(),
            label_schema=SCHEMA,
        )
        yield repo


def add_blob(repo: Repository, collection: str, name: str) -> None:
    """A label image of one object covering the whole denbi image."""
    repo.add_labels(
        "livecell",
        np.ones((520, 704), dtype=np.uint32),
        collection=collection,
        name=name,
        label_type="instance",
        provenance=provenance(),
    )


def test_added_labels_carry_geometry_hashes_and_provenance(
    repository: Repository, denbi: Path
) -> None:
    image = repository.image("livecell")
    label = repository.label_image("cells@v1")
    assert image.shape == (520, 704)
    assert [level.shape for level in label.levels] == [level.shape for level in image.levels]
    assert label.dtype == "uint16"
    assert label.provenance.reference_hash == image.content_hash
    assert label.provenance.content_hash == content_hash(repository.label_levels(label)[0])
    assert label.provenance.parameters["flow, threshold"] == "0.4=x"
    pixels = np.asarray(repository.label_levels(label)[0][...])
    import tifffile

    np.testing.assert_array_equal(pixels, tifffile.imread(denbi / "labels.tiff"))
    coarse = np.asarray(repository.label_levels(label)[1][...])
    assert set(np.unique(coarse)) <= set(np.unique(pixels))


def test_find_filters_on_provenance_type_version_and_class(repository: Repository) -> None:
    repository.add_labels(
        "livecell",
        np.zeros((520, 704), dtype=np.uint8),
        collection="cells",
        name="cells",
        version="v2",
        label_type="semantic",
        provenance=provenance(method="manual", software="napari", derived_from="cells@v1"),
    )
    keys = lambda found: [label.key for label in found]  # noqa: E731
    assert keys(repository.find(method="machine-learning")) == ["cells@v1"]
    assert keys(repository.find(software="CellPose==3.1.0", label_type="instance")) == ["cells@v1"]
    assert keys(repository.find(software="cellpose==9")) == []
    assert keys(repository.find(class_name="cell")) == ["cells@v1"]
    assert keys(repository.find(version="v2")) == ["cells@v2"]
    assert keys(repository.find(collection="cells")) == ["cells@v1", "cells@v2"]
    assert keys(repository.find(author="jane doe", image="livecell")) == ["cells@v1", "cells@v2"]
    v1 = repository.label_image("cells@v1")
    assert keys(repository.find(derived_from=v1.id)) == ["cells@v2"]
    assert keys(repository.lineage("cells@v2")) == ["cells@v1", "cells@v2"]


def test_a_label_image_can_belong_to_several_collections(repository: Repository) -> None:
    label = repository.label_image("cells@v1")
    repository.add_to_collection(label.id, "reviewed")
    assert repository.collection("reviewed").members == (label.id,)
    assert repository.collection("cells").members == (label.id,)
    assert [c.name for c in repository.collections("livecell")] == ["cells", "reviewed"]


@pytest.mark.parametrize("ngff", ["0.5", "0.4"])
def test_export_then_import_restores_equal_models_and_pixels(
    repository: Repository, tmp_path: Path, ngff: str, new_catalog: NewCatalog
) -> None:
    repository.add_to_collection("cells@v1", "reviewed")
    exported = repository.export("livecell", tmp_path / "out.ome.zarr", ngff)  # type: ignore[arg-type]
    assert "OME-Zarr" in validate_store(str(exported))
    nodes = list(Reader(parse_url(str(exported)))())
    shapes = {
        node.zarr.path.rstrip("/").split("/")[-1]: node.data[0].shape for node in nodes if node.data
    }
    assert shapes == {"out.ome.zarr": (520, 704), "cells_v1": (520, 704)}
    with Repository.init(tmp_path / "other", catalog=new_catalog()) as other:
        result = other.import_store(exported)
        assert result.image.name == "livecell"
        assert snapshot(other) == snapshot(repository)


def test_import_of_an_existing_image_is_refused_and_writes_nothing(
    repository: Repository, tmp_path: Path
) -> None:
    exported = repository.export("livecell", tmp_path / "out.ome.zarr")
    before = repository.catalog.dump()
    with pytest.raises(ConflictError):
        repository.import_store(exported)
    assert repository.catalog.dump() == before
    assert sorted(p.name for p in (repository.root / "images").iterdir()) == ["livecell.ome.zarr"]


def test_reindex_rebuilds_an_identical_catalog(repository: Repository) -> None:
    repository.add_to_collection("cells@v1", "reviewed")
    before = repository.catalog.dump()
    with open_repository(repository.root) as reopened:
        reopened.reindex()
        assert reopened.catalog.dump() == before


def test_verify_finds_changed_pixels(repository: Repository) -> None:
    assert repository.verify() == []
    label = repository.label_image("cells@v1")
    level0 = zarr.open_array(
        str(repository.root / "images/livecell.ome.zarr/labels/cells_v1/0"), mode="r+"
    )
    level0[0, 0] = int(level0[0, 0]) + 1
    problems = repository.verify()
    assert [p.what for p in problems] == ["label image livecell/cells@v1"]
    assert problems[0].recorded == label.provenance.content_hash


def test_a_failed_label_write_leaves_no_trace(
    repository: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = repository.root / "images/livecell.ome.zarr"
    files_before = sorted(str(p.relative_to(store)) for p in store.rglob("*"))
    catalog_before = repository.catalog.dump()

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed while writing level 1")

    monkeypatch.setattr("labelcollections.storage.streaming.reduce_band", killed)
    with pytest.raises(KeyboardInterrupt):
        add_blob(repository, "cells", "other")
    files_after = sorted(str(p.relative_to(store)) for p in store.rglob("*"))
    assert files_after == files_before
    assert repository.catalog.dump() == catalog_before
    assert repository.collection("cells").members == (repository.label_image("cells@v1").id,)


def test_adding_labels_never_rewrites_the_image_or_other_labels(repository: Repository) -> None:
    store = repository.root / "images/livecell.ome.zarr"
    protected = [p for p in store.rglob("*") if p.is_file() and "collections" not in p.parts]
    protected = [p for p in protected if p.parent.name not in ("labels", "tables")]
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in protected}
    add_blob(repository, "other", "blob")
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in protected} == stamps


@pytest.mark.parametrize(
    ("pixels", "field"),
    [
        (np.zeros((520, 704), dtype=np.float32), "dtype"),
        (np.zeros((520, 703), dtype=np.uint16), "shape"),
        (np.zeros((2, 520, 704), dtype=np.uint16), "shape"),
    ],
)
def test_bad_label_pixels_are_refused_before_anything_is_written(
    repository: Repository, pixels: np.ndarray, field: str
) -> None:
    before = repository.catalog.dump()
    with pytest.raises(InputError) as error:
        repository.add_labels(
            "livecell",
            pixels,
            collection="cells",
            name="bad",
            label_type="instance",
            provenance=provenance(),
        )
    assert error.value.field == field
    assert repository.catalog.dump() == before
    assert not (repository.root / "images/livecell.ome.zarr/labels/cells/bad@v1").exists()


def test_duplicate_names_are_refused(repository: Repository, denbi: Path) -> None:
    with pytest.raises(ConflictError):
        repository.add_image(denbi / "sample.tiff", "livecell")
    with pytest.raises(ConflictError):
        repository.add_labels(
            "livecell",
            denbi / "labels.tiff",
            collection="other",
            name="cells",
            label_type="instance",
            provenance=provenance(),
        )


def test_missing_inputs_are_not_found_errors(repository: Repository, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        repository.add_image(tmp_path / "nope.tif", "nope")
    with pytest.raises(NotFoundError):
        repository.image("nope")
    with pytest.raises(NotFoundError):
        Repository.open(tmp_path / "not-a-repo")


def test_labels_of_a_multichannel_image_get_size_one_channel_axis(
    tmp_path: Path, new_catalog: NewCatalog
) -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (3, 600, 500), dtype=np.uint8)
    with Repository.init(tmp_path / "repo", catalog=new_catalog()) as repo:
        image = repo.add_image(rgb, "rgb", axes=["c", "y", "x"])
        label = repo.add_labels(
            "rgb",
            np.ones((600, 500), dtype=np.uint16),
            collection="c",
            name="all",
            label_type="semantic",
            provenance=provenance(),
        )
    assert [level.shape for level in label.levels] == [(1, *lv.shape[1:]) for lv in image.levels]


@pytest.fixture
def http_server(conformance_dir: Path) -> Iterator[str]:
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(conformance_dir / "biohackathon")
    )
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_an_ome_zarr_url_is_registered_read_only_and_labelled_locally(
    tmp_path: Path, http_server: str, denbi: Path, new_catalog: NewCatalog
) -> None:
    url = f"{http_server}/test-zarr/1ch_plus_explicit_labels.ome.zarr"
    with Repository.init(tmp_path / "repo", catalog=new_catalog()) as repo:
        image = repo.add_image(url, "remote")
        assert image.source == url
        assert image.shape == (520, 704)
        repo.add_labels(
            "remote",
            denbi / "labels.tiff",
            collection="cells",
            name="cells",
            label_type="instance",
            provenance=provenance(),
        )
        assert repo.verify() == []
        exported = repo.export("remote", tmp_path / "copy.ome.zarr")
    copied = zarr.open_group(str(exported), mode="r")
    import tifffile

    np.testing.assert_array_equal(copied["0"][...], tifffile.imread(denbi / "sample.tiff"))


def test_a_local_ome_zarr_is_registered_without_being_touched(
    tmp_path: Path, conformance_dir: Path, denbi: Path, new_catalog: NewCatalog
) -> None:
    import shutil

    source = tmp_path / "source.ome.zarr"
    shutil.copytree(
        conformance_dir / "biohackathon/test-zarr/1ch_plus_explicit_labels.ome.zarr", source
    )
    stamps = {p: p.stat().st_mtime_ns for p in source.rglob("*")}
    with Repository.init(tmp_path / "repo", catalog=new_catalog()) as repo:
        image = repo.add_image(source, "local")
        repo.add_labels(
            "local", denbi / "labels.tiff", collection="cells", name="cells",
            label_type="instance", provenance=provenance(),
        )  # fmt: skip
        assert image.source == str(source)
        assert repo.verify() == []
    assert {p: p.stat().st_mtime_ns for p in source.rglob("*")} == stamps


def test_an_export_is_imported_from_a_url(
    repository: Repository, tmp_path: Path, new_catalog: NewCatalog
) -> None:
    served = tmp_path / "served"
    repository.export("livecell", served / "livecell.ome.zarr")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/livecell.ome.zarr"
        with Repository.init(tmp_path / "other", catalog=new_catalog()) as other:
            other.import_store(url)
            assert snapshot(other) == snapshot(repository)
    finally:
        server.shutdown()


def test_a_stated_content_hash_must_match_the_pixels(repository: Repository) -> None:
    store = repository.root / "images/livecell.ome.zarr"
    before = sorted(str(p.relative_to(store)) for p in store.rglob("*"))
    pixels = np.ones((520, 704), dtype=np.uint32)
    with pytest.raises(InputError) as error:
        repository.add_labels(
            "livecell", pixels, collection="cells", name="stated", label_type="instance",
            provenance=provenance(content_hash="sha256:" + "0" * 64),
        )  # fmt: skip
    assert error.value.field == "provenance.content_hash"
    assert content_hash(pixels) in error.value.expected
    assert sorted(str(p.relative_to(store)) for p in store.rglob("*")) == before
    stated = repository.add_labels(
        "livecell", pixels, collection="cells", name="stated", label_type="instance",
        provenance=provenance(content_hash=content_hash(pixels)),
    )  # fmt: skip
    assert stated.provenance.content_hash == content_hash(pixels)
