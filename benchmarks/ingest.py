"""Bulk ingest: the same items serially, then on a LocalCluster of two workers; S3 against disk.

``--items`` items (default 200), each a ``--size``² uint16 reference image (default 512) with a
uint32 instance label image (one cell per 40² pixels), as TIFF files named by a CSV manifest:

* serial: ``labelcollections.ingest.ingest`` without a cluster, one row after another in this
  process (the repository's ``add_image`` and ``add_labels``, as a loop would call them);
* cluster: the same rows as Dask tasks on a ``LocalCluster`` of two single-threaded worker
  processes (started, and labelcollections imported on them, before the clock; the scheduler,
  the tasks and the catalog writes from two processes are timed), into a second repository;
* object storage: ``--s3-items`` items (default 40) serially into a repository whose stores are
  on moto's S3 server (started here on 127.0.0.1), against the same items into one on disk.

Both repositories must end with every label image, equal pixel hashes and a passing verify.
The last line is ``RATIO name=ingest value=<serial seconds / cluster seconds>
peer=serial target=1.6``.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile
from distributed import Client, LocalCluster

from harness import benchmark_parser
from labelcollections.ingest import ManifestRow, ingest, read_manifest
from labelcollections.repository import Repository
from synthetic import make_labels

TARGET = 1.6
CELL_SPACING = 40


def write_items(folder: Path, count: int, size: int, seed: int) -> Path:
    """``count`` image and label TIFFs and a CSV manifest of them."""
    rng = np.random.default_rng(seed)
    (folder / "raw").mkdir(parents=True)
    (folder / "seg").mkdir()
    lines = ["image,labels,collection,name,type,method,software"]
    for index in range(count):
        labels, _ = make_labels(size, seed + index, CELL_SPACING)
        pixels = rng.integers(0, 4000, (size, size), dtype=np.uint16)
        tifffile.imwrite(folder / "raw" / f"im{index}.tif", pixels)
        tifffile.imwrite(folder / "seg" / f"im{index}.tif", labels)
        lines.append(
            f"raw/im{index}.tif,seg/im{index}.tif,cells,nuclei,instance,algorithm,cellpose==3.1"
        )
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def timed_ingest(
    repo: Path, rows: list[ManifestRow], client: Client | None = None, store: str | None = None
) -> float:
    """Seconds to ingest ``rows`` into a new repository at ``repo``, checked afterwards."""
    Repository.init(repo, store=store).close()
    start = time.perf_counter()
    report = ingest(repo, rows, client)
    seconds = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"failed rows: {[o.detail for o in report.failed][:3]}")
    with Repository.open(repo) as repository:
        if len(repository.label_images()) != len(rows) or repository.verify():
            raise SystemExit(f"{repo}: not every label image is there and verified")
    return seconds


def hashes(repo: Path) -> list[str | None]:
    with Repository.open(repo) as repository:
        return sorted(label.provenance.content_hash for label in repository.label_images())


def s3_environment() -> tuple[object, str]:
    """moto's S3 server on 127.0.0.1 with a bucket; the AWS environment points at it."""
    import s3fs
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
    )
    s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}).mkdir("bench")
    return server, "s3://bench/stores"


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.set_defaults(size=512, seed=7)
    parser.add_argument("--items", type=int, default=200, help="items (default 200)")
    parser.add_argument("--s3-items", type=int, default=40, help="items on S3 (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="cluster workers (default 2)")
    args = parser.parse_args(argv)
    if args.items < 2 or args.size < 64 or args.s3_items < 1:
        parser.error("--items at least 2, --s3-items at least 1, --size at least 64")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as scratch:
        folder = Path(scratch)
        rows = read_manifest(write_items(folder / "items", args.items, args.size, args.seed))
        megabytes = (
            sum(
                (folder / "items" / part / f"im{i}.tif").stat().st_size
                for i in range(args.items)
                for part in ("raw", "seg")
            )
            / 1e6
        )
        print(f"{args.items} items: {args.size}×{args.size} uint16 image + uint32 instance labels")
        serial = timed_ingest(folder / "serial", rows)
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            # Workers import labelcollections before the clock, as the cluster starts before it.
            client.run(importlib.import_module, "labelcollections.ingest.tasks")
            parallel = timed_ingest(folder / "cluster", rows, client)
        if hashes(folder / "serial") != hashes(folder / "cluster"):
            print("label image hashes differ between the runs", file=sys.stderr)
            return 1
        print(f"serial      {serial:7.2f} s  {args.items / serial:6.1f} items/s")
        print(
            f"cluster ×{args.workers}  {parallel:7.2f} s  {args.items / parallel:6.1f} items/s"
            f"  ({megabytes / parallel:.1f} MB/s of TIFF in)"
        )
        server, store = s3_environment()
        try:
            subset = rows[: args.s3_items]
            disk = timed_ingest(folder / "disk", subset)
            s3 = timed_ingest(folder / "s3", subset, store=store)
        finally:
            server.stop()  # type: ignore[attr-defined]
        share = megabytes * len(subset) / args.items
        print(
            f"{len(subset)} items serially: disk {disk:.2f} s ({share / disk:.1f} MB/s),"
            f" S3 (moto) {s3:.2f} s ({share / s3:.1f} MB/s), S3/disk time {s3 / disk:.2f}"
        )
    print(f"RATIO name=ingest value={serial / parallel:.2f} peer=serial target={TARGET:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
