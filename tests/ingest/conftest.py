"""Fixtures of the ingest tests: manifests of small TIFFs and a Dask cluster started with the
``distributed`` package's own command line (``dask scheduler``, ``dask worker``)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tifffile
from distributed import Client
from tests.server.conftest import free_port

BIN = Path(sys.executable).parent


def write_items(folder: Path, count: int, size: int = 96) -> Path:
    """``count`` reference images (``raw/im<i>.tif``) with instance labels
    (``seg/im<i>_masks.tif``) and a CSV manifest of them; returns the manifest."""
    rng = np.random.default_rng(count)
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    (folder / "seg").mkdir(exist_ok=True)
    lines = ["image,labels,collection,name,type,method,software,author"]
    for index in range(count):
        pixels = rng.integers(0, 255, (size, size), dtype=np.uint8)
        labels = np.zeros((size, size), dtype=np.uint16)
        labels[5:30, 5:30] = 1
        labels[40 : 50 + index % 20, 40:80] = 2 + index
        tifffile.imwrite(folder / "raw" / f"im{index}.tif", pixels)
        tifffile.imwrite(folder / "seg" / f"im{index}_masks.tif", labels)
        lines.append(
            f"raw/im{index}.tif,seg/im{index}_masks.tif,cells,nuclei,instance,algorithm,"
            "cellpose==3.1,jane"
        )
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-threaded workers on 127.0.0.1, as subprocesses (stopped
    after the module's tests)."""
    logs = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            stdout=(logs / "scheduler.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    ]  # fmt: skip
    try:
        for index in range(2):
            processes.append(
                subprocess.Popen(
                    [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
                     "--host", "127.0.0.1", "--no-dashboard", "--name", f"worker-{index}"],
                    stdout=(logs / f"worker-{index}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(condition: object, seconds: float = 120) -> None:
    """Poll ``condition()`` until it is true."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.2)
