"""OME-Zarr on object storage (moto's S3 server on 127.0.0.1) registers in place: a plain image
and a bioformats2raw-layout store with its OME-XML; label images are added locally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import s3fs
from moto.server import ThreadedMotoServer
from tests.repository.test_rich_metadata import write_bioformats2raw

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

BUCKET = "images"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[s3fs.S3FileSystem]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    s3fs.S3FileSystem.clear_instance_cache()
    filesystem = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    filesystem.mkdir(BUCKET)
    try:
        yield filesystem
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


def test_stores_on_s3_register_in_place(s3: s3fs.S3FileSystem, tmp_path: Path) -> None:
    pixels = np.random.default_rng(3).integers(0, 255, (1, 90, 110), dtype=np.uint8)
    local = tmp_path / "plate.ome.zarr"
    write_bioformats2raw(local, pixels, "<OME><Image ID='Image:0'/></OME>")
    s3.put(str(local), f"{BUCKET}/plate.ome.zarr", recursive=True)
    with Repository.init(tmp_path / "repo") as repo:
        image = repo.add_image(f"s3://{BUCKET}/plate.ome.zarr", "remote")
        assert image.source == f"s3://{BUCKET}/plate.ome.zarr/0"
        np.testing.assert_array_equal(repo.image_levels(image)[0][...], pixels)
        assert repo.store(image).ome_xml() == "<OME><Image ID='Image:0'/></OME>"
        label = repo.add_labels(
            "remote",
            (pixels[0] > 128).astype(np.uint8),
            collection="c",
            name="bright",
            label_type="semantic",
            provenance=Provenance(method="algorithm"),
        )
        assert repo.verify() == []
        assert repo.label_levels(label)[0].shape == (1, 90, 110)
    assert not s3.exists(f"{BUCKET}/plate.ome.zarr/0/labels")  # the source is never written
