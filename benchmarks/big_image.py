"""Images larger than memory: peak memory of ``add-image`` and ``add-labels`` at 32768².

Inputs are generated here, streaming (no whole image is ever in memory):

* a tiled pyramidal OME-TIFF, ``size``² uint8, 512² tiles, with its own levels down to 256
  pixels (SubIFDs, as bfconvert writes them) and a physical pixel size;
* a ``size``² uint32 Zarr label image in 1024² chunks, one object per 64 × 64 cell
  (262,144 objects at 32768²).

Each step runs as ``labelcollections`` in a child process, whose peak resident memory is read
from ``getrusage(RUSAGE_CHILDREN)`` by a wrapper process of its own:

1. ``add-image`` of the OME-TIFF (its levels are reused);
2. ``add-labels`` of the Zarr label image (pyramid, content hash and instance table in one
   pass; default sharding);
3. ``add-labels --shards 8192`` of the same image as a second label image (shard files of
   level 0 counted);
4. the peer: ome-zarr-py ``write_labels`` of the same array into an OME-Zarr 0.5 group with the
   same levels, chunks and codec. It takes a numpy array, so the label image is read whole first
   (timed with it).

Checks: the instance table has one row per cell, both label images have the pixels of the
source (content hashes equal), the sharded level 0 has at most (size / 8192)² files. The last
line is ``RATIO name=big_image value=<peer seconds / our add-labels seconds>
peer=ome-zarr-py.write_labels target=1``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tifffile
import zarr
from zarr.codecs import BloscCodec

from harness import benchmark_parser

CELL = 64
TILE = 512
CHUNK = 1024
SHARD = 8192
RSS_LIMIT_GIB = 1.5
TARGET = 1
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(code, seconds, kib)
"""
PEER = """
import sys, numpy as np, zarr
from ome_zarr.format import FormatV05
from ome_zarr.scale import Methods
from ome_zarr.writer import write_labels
from zarr.codecs import BloscCodec
source, target, levels = sys.argv[1], sys.argv[2], int(sys.argv[3])
labels = np.asarray(zarr.open_array(source, mode="r")[...])
group = zarr.open_group(target, mode="w", zarr_format=3)
codec = {"cname": "lz4", "clevel": 5, "shuffle": "shuffle"}
write_labels(
    labels, group, name="cells", scaler=None, method=Methods.NEAREST, fmt=FormatV05(),
    scale_factors=tuple(2**k for k in range(1, levels)), axes=["y", "x"],
    storage_options=[{"chunks": (1024, 1024), "compressor": BloscCodec(**codec)}] * levels,
)
"""


def image_tiles(size: int, step: int) -> Iterator[np.ndarray]:
    """Tiles (row by row) of a smooth uint8 test pattern, sampled every ``step`` pixels so that
    each pyramid level is the pattern at its own resolution."""
    ramp = np.arange(TILE, dtype=np.int64) * step
    for top in range(0, size, TILE * step):
        for left in range(0, size, TILE * step):
            y = (top + ramp)[:, None]
            x = (left + ramp)[None, :]
            yield ((x // 97 + y // 89 + (x * y) // 4099) % 251).astype(np.uint8)


def write_pyramidal_tiff(path: Path, size: int) -> int:
    """A tiled OME-TIFF with SubIFD levels down to 256 pixels; returns the number of levels."""
    levels = 1
    while size // 2 ** (levels - 1) > 256:
        levels += 1
    levels -= 1
    metadata = {"axes": "YX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25}
    with tifffile.TiffWriter(path, bigtiff=True) as tiff:
        for level in range(levels):
            side = size // 2**level
            tiff.write(
                image_tiles(side * 2**level, 2**level),
                shape=(side, side),
                dtype=np.uint8,
                tile=(TILE, TILE),
                subifds=levels - 1 if level == 0 else None,
                subfiletype=1 if level else 0,
                metadata=metadata if level == 0 else None,
            )
    return levels


def write_label_zarr(path: Path, size: int) -> int:
    """``size``² uint32 labels in 1024² chunks, one value per 64 × 64 cell, chunk by chunk."""
    array = zarr.create_array(
        str(path),
        shape=(size, size),
        chunks=(CHUNK, CHUNK),
        dtype="uint32",
        compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
        fill_value=0,
    )
    cells = size // CELL
    for top in range(0, size, CHUNK):
        rows = (np.arange(top, min(top + CHUNK, size)) // CELL)[:, None]
        for left in range(0, size, CHUNK):
            columns = (np.arange(left, min(left + CHUNK, size)) // CELL)[None, :]
            array[top : top + CHUNK, left : left + CHUNK] = (rows * cells + columns + 1).astype(
                np.uint32
            )
    return cells * cells


def measured(*command: str) -> tuple[float, float]:
    """Run ``command`` in a child process; its seconds and peak RSS in GiB."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True
    )
    code, seconds, kib = result.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {code}")
    return float(seconds), int(kib) / 2**20


def shard_files(level: Path) -> int:
    return sum(1 for path in (level / "c").rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, "unused: one run of each step")
    parser.set_defaults(size=32768)
    args = parser.parse_args(argv)
    if args.size < 2 * CHUNK or args.size % CELL:
        parser.error(f"--size must be a multiple of {CELL} and at least {2 * CHUNK}")
    cli = str(Path(sys.executable).parent / "labelcollections")

    with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        tiff_levels = write_pyramidal_tiff(work / "slide.ome.tif", args.size)
        objects = write_label_zarr(work / "cells.zarr", args.size)
        print(
            f"inputs: {args.size}² uint8 OME-TIFF ({tiff_levels} levels, {TILE}² tiles),"
            f" {args.size}² uint32 Zarr labels ({objects:,} objects), made in"
            f" {time.perf_counter() - start:.0f} s"
        )
        repo = work / "repo"
        subprocess.run([cli, "init", str(repo)], check=True, stdout=subprocess.DEVNULL)
        image_s, image_gib = measured(
            cli, "add-image", str(repo), str(work / "slide.ome.tif"), "--name", "slide"
        )
        common = ["--collection", "cells", "--type", "instance", "--method", "algorithm"]
        labels_s, labels_gib = measured(
            cli, "add-labels", str(repo), "slide", str(work / "cells.zarr"),
            "--name", "cells", *common,
        )  # fmt: skip
        sharded_s, sharded_gib = measured(
            cli, "add-labels", str(repo), "slide", str(work / "cells.zarr"),
            "--name", "cells_sharded", "--shards", str(SHARD), *common,
        )  # fmt: skip
        listing = subprocess.run(
            [cli, "instance", "table", str(repo), "cells@v1", "--output", str(work / "t.parquet")],
            capture_output=True,
            check=True,
        )
        del listing
        import pyarrow.parquet as pq

        rows = pq.read_metadata(work / "t.parquet").num_rows
        labels_dir = repo / "images/slide.ome.zarr/labels"
        default_files = shard_files(labels_dir / "cells_v1/0")
        sharded_files = shard_files(labels_dir / "cells_sharded_v1/0")
        described = json.loads(
            subprocess.run(
                [cli, "image", "list", str(repo), "--json"], capture_output=True, check=True
            ).stdout
        )[0]
        levels = int(described["levels"])

        peer_s, peer_gib = measured(
            sys.executable, "-c", PEER, str(work / "cells.zarr"), str(work / "peer.zarr"),
            str(levels),
        )  # fmt: skip
        hashes = json.loads(
            subprocess.run(
                [cli, "find", str(repo), "--json"], capture_output=True, check=True
            ).stdout
        )
        digests = {label["provenance"]["content_hash"] for label in hashes}

    allowed = (args.size // SHARD) ** 2 if args.size >= SHARD else 1
    print(f"{'step':<52}{'seconds':>9}{'peak RSS GiB':>14}")
    for name, seconds, gib in (
        ("add-image (pyramidal OME-TIFF, levels reused)", image_s, image_gib),
        ("add-labels (Zarr, default sharding)", labels_s, labels_gib),
        (f"add-labels --shards {SHARD}", sharded_s, sharded_gib),
        ("ome-zarr-py write_labels (reads the array whole)", peer_s, peer_gib),
    ):
        print(f"{name:<52}{seconds:>9.1f}{gib:>14.2f}")
    print(f"image levels: {levels}; instance table rows: {rows:,} (objects {objects:,})")
    print(
        f"level-0 files: default {default_files}, --shards {SHARD} {sharded_files}"
        f" (at most {allowed}); label content hashes equal: {len(digests) == 1}"
    )
    problems = []
    if rows != objects:
        problems.append(f"instance table has {rows} rows, not {objects}")
    if sharded_files > allowed:
        problems.append(f"{sharded_files} shard files in level 0, more than {allowed}")
    if len(digests) != 1:
        problems.append("the two label images differ")
    if max(image_gib, labels_gib) > RSS_LIMIT_GIB and args.size >= 32768:
        problems.append(f"peak RSS above {RSS_LIMIT_GIB} GiB")
    if problems:
        print("; ".join(problems) + "; no ratio", file=sys.stderr)
        return 1
    ratio = peer_s / labels_s
    print(f"RATIO name=big_image value={ratio:.2f} peer=ome-zarr-py.write_labels target={TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
