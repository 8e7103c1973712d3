"""Tile endpoints: pixels of image and overlay tiles, outlines across tiles, planes, caching."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from scipy import ndimage

from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.server import create_app
from labelcollections.server.tiles import STATUS_COLOURS, Status


def decode(content: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(content)).convert("RGBA"))


def tile(client: TestClient, path: str, **params: object) -> np.ndarray:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return decode(response.content)


def labels_of(repository: Repository, key: str, level: int = 0) -> np.ndarray:
    label = repository.label_image(key)
    return np.asarray(repository.label_levels(label)[level][...])[0]


def boundary(labels: np.ndarray) -> np.ndarray:
    """Pixels with a 4-neighbour of another value (the image edge counts as the same value)."""
    cross = ndimage.generate_binary_structure(2, 1)
    high = ndimage.grey_dilation(labels, footprint=cross, mode="nearest")
    low = ndimage.grey_erosion(labels, footprint=cross, mode="nearest")
    return np.asarray(high != low)


def test_image_tile_shows_the_rgb_pixels(client: TestClient, repository: Repository) -> None:
    image = repository.image("ihc")
    pixels = np.moveaxis(np.asarray(repository.image_levels(image)[1][...]), 0, -1)
    shown = tile(client, "/api/images/ihc/tiles/1/0/0.png")
    assert shown.shape == (256, 256, 4)
    assert np.array_equal(shown[..., :3], pixels)
    one_channel = tile(client, "/api/images/ihc/tiles/1/0/0.png", channels="1")
    assert np.array_equal(one_channel[..., 1], pixels[..., 1])
    assert not one_channel[..., 0].any()


def test_fill_tile_colours_objects_and_leaves_background_clear(
    client: TestClient, repository: Repository
) -> None:
    labels = labels_of(repository, "nuclei@v1")
    shown = tile(client, "/api/labels/nuclei@v1/tiles/0/0/0.png")
    assert shown.shape == (512, 512, 4)
    assert np.array_equal(shown[..., 3] == 255, labels > 0)
    assert not shown[labels == 0].any()
    # One colour per object: every object's pixels share its colour.
    packed = shown.view("<u4")[..., 0]
    values, first = np.unique(labels, return_index=True)
    colour_of_value = dict(zip(values.tolist(), packed.ravel()[first].tolist(), strict=True))
    expected = np.vectorize(colour_of_value.get)(labels)
    assert np.array_equal(packed, expected)
    y, x = np.argwhere(labels > 0)[0]
    at = client.get("/api/labels/nuclei@v1/at", params={"x": int(x), "y": int(y)}).json()
    assert list(shown[y, x]) == at["color"]


def test_semantic_tile_uses_schema_colours(client: TestClient, repository: Repository) -> None:
    labels = labels_of(repository, "stains@v1")
    shown = tile(client, "/api/labels/stains@v1/tiles/0/0/0.webp")
    assert (shown[labels == 1] == [60, 60, 220, 160]).all()
    assert (shown[labels == 2] == [160, 82, 45, 200]).all()
    assert (shown[labels == 0] == 0).all()


def test_outlines_are_exact_and_continue_across_tiles(
    client: TestClient, repository: Repository
) -> None:
    labels = labels_of(repository, "nuclei@v2")
    whole = tile(client, "/api/labels/nuclei@v2/tiles/0/0/0.png", mode="outline")
    expected = boundary(labels) & (labels > 0)
    assert np.array_equal(whole[..., 3] > 0, expected)
    pieces = [
        [
            tile(client, f"/api/labels/nuclei@v2/tiles/0/{x}/{y}.png", mode="outline", size=96)
            for x in range(6)
        ]
        for y in range(6)
    ]
    assembled = np.concatenate([np.concatenate(row, axis=1) for row in pieces], axis=0)
    assert np.array_equal(assembled, whole)


def test_coarse_level_tile_matches_its_level(client: TestClient, repository: Repository) -> None:
    labels = labels_of(repository, "nuclei@v1", level=1)
    shown = tile(client, "/api/labels/nuclei@v1/tiles/1/0/0.png")
    assert shown.shape == (256, 256, 4)
    assert np.array_equal(shown[..., 3] == 255, labels > 0)


def test_tiles_are_cached_by_etag(client: TestClient) -> None:
    first = client.get("/api/labels/nuclei@v1/tiles/0/0/0.png")
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    again = client.get("/api/labels/nuclei@v1/tiles/0/0/0.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    outline = client.get("/api/labels/nuclei@v1/tiles/0/0/0.png", params={"mode": "outline"})
    other = client.get("/api/labels/nuclei@v2/tiles/0/0/0.png")
    assert len({etag, outline.headers["etag"], other.headers["etag"]}) == 3


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/labels/nuclei@v1/tiles/2/0/0.png", 422),
        ("/api/labels/nuclei@v1/tiles/0/1/0.png", 404),
        ("/api/labels/nuclei@v1/tiles/0/0/0.gif", 422),
        ("/api/labels/nuclei@v1/tiles/0/0/0.png?mode=dots", 422),
        ("/api/labels/nuclei@v1/tiles/0/0/0.png?z=1", 422),
        ("/api/labels/nuclei@v1/tiles/0/0/0.png?size=3", 422),
        ("/api/labels/missing@v1/tiles/0/0/0.png", 404),
        ("/api/images/ihc/tiles/0/0/0.png?channels=7", 422),
        ("/api/images/ihc/tiles/0/0/0.png?channels=red", 422),
        ("/api/images/missing/tiles/0/0/0.png", 404),
    ],
)
def test_bad_tile_requests(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.fixture(scope="module")
def stack_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A (t, z, y, x) image with a label image per plane and a 2D mask of every plane."""
    root = tmp_path_factory.mktemp("stack") / "repo"
    rng = np.random.default_rng(3)
    image = rng.integers(0, 4000, (2, 3, 40, 50), dtype=np.uint16)
    labels = np.zeros((2, 3, 40, 50), dtype=np.uint32)
    for t in range(2):
        for z in range(3):
            labels[t, z, 5 + 10 * z : 15 + 10 * z, 4 + 20 * t : 14 + 20 * t] = 10 * t + z + 1
    mask = np.zeros((40, 50), dtype=np.uint8)
    mask[30:, :] = 1
    provenance = Provenance(method="manual")
    with Repository.init(root) as repository:
        repository.add_image(image, "stack", axes=["t", "z", "y", "x"])
        repository.add_labels(
            "stack",
            labels,
            collection="c",
            name="cells",
            label_type="instance",
            provenance=provenance,
            axes=["t", "z", "y", "x"],
        )
        repository.add_labels(
            "stack",
            mask,
            collection="c",
            name="mask",
            label_type="semantic",
            provenance=provenance,
            axes=["y", "x"],
            label_schema=LabelSchema(classes=(LabelClass(value=1, color=(9, 8, 7, 255)),)),
        )
    return root


def test_planes_of_a_stack(stack_repo: Path) -> None:
    with TestClient(create_app(stack_repo), base_url="http://localhost") as client:
        info = client.get("/api/images/stack").json()
        assert info["planes"] == {"z": 3, "t": 2}
        assert len(info["rendering"]) == 1
        for t in range(2):
            for z in range(3):
                shown = tile(client, "/api/labels/cells@v1/tiles/0/0/0.png", z=z, t=t)
                covered = np.argwhere(shown[..., 3] == 255)
                assert covered.min(axis=0).tolist() == [5 + 10 * z, 4 + 20 * t]
                at = client.get(
                    "/api/labels/cells@v1/at",
                    params={"x": 4 + 20 * t, "y": 5 + 10 * z, "z": z, "t": t},
                ).json()
                assert at["value"] == 10 * t + z + 1
                mask = tile(client, "/api/labels/mask@v1/tiles/0/0/0.png", z=z, t=t)
                assert (mask[30:] == [9, 8, 7, 255]).all()
                assert not mask[:30].any()
        assert (
            client.get("/api/labels/cells@v1/tiles/0/0/0.png", params={"z": 3}).status_code == 422
        )
        grey = tile(client, "/api/images/stack/tiles/0/0/0.png", z=1, t=1)
        assert np.array_equal(grey[..., 0], grey[..., 1])
        assert grey[..., 0].min() == 0 and grey[..., 0].max() == 255


def test_comparison_tile_colours_each_object_by_its_fate(
    client: TestClient, repository: Repository
) -> None:
    a, b = labels_of(repository, "nuclei@v1"), labels_of(repository, "nuclei@v2")
    result = client.get("/api/compare", params={"a": "nuclei@v1", "b": "nuclei@v2"}).json()
    matched_a = np.array([pair["a"] for pair in result["matches"]])
    shown = tile(client, "/api/compare/tiles/0/0/0.png", a="nuclei@v1", b="nuclei@v2")
    colours = {name: list(rgba) for name, rgba in STATUS_COLOURS.items()}
    assert (shown[np.isin(a, matched_a)] == colours[Status.MATCHED]).all()
    assert (shown[np.isin(a, result["missed"])] == colours[Status.MISSED]).all()
    only_b = np.isin(b, result["extra"]) & (a == 0)
    assert only_b.any()
    assert (shown[only_b] == colours[Status.EXTRA]).all()
    assert (shown[(a == 0) & (b == 0)] == 0).all()
