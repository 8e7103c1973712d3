"""The instance table of a label image: ours vs ``skimage.measure.regionprops_table``.

Both sides measure the same in-memory 8192×8192 uint32 instance label image (≥ 10,000 objects)
for the same properties: label, area (pixel count), bounding box and centroid. Ours is
``labelcollections.instances.instance_table`` (one run-length pass per 1024² block on a thread
pool, exact merges), which also adds the stable ids, physical centroids, border flags and classes;
the peer is ``regionprops_table(labels, properties=("label", "area", "bbox", "centroid"))``.

Each side runs ``--repeats`` times and the best time counts; the columns of both must agree
(labels, areas and boxes exactly, centroids to 1e-9). For information the script also times our
table read straight from the label image stored as Zarr (1024² chunks, Blosc lz4), decoding
included. The last line is ``RATIO name=instances value=<peer s / our s>
peer=skimage.measure.regionprops_table target=10``.
"""

from __future__ import annotations

import sys
import tempfile
from typing import Any

import numpy as np
import zarr
from skimage.measure import regionprops_table
from zarr.codecs import BloscCodec

from harness import benchmark_parser, best_time, check_size
from labelcollections.instances import instance_table
from labelcollections.model.images import Axis, Level
from labelcollections.storage.ome_zarr_store import BLOSC
from synthetic import make_labels

TARGET = 10
CELL_SPACING = 80
"""One cell per 80 × 80 pixels: 10,404 cells at 8192²."""
AXES = (Axis(name="y", type="space"), Axis(name="x", type="space"))
PROPERTIES = ("label", "area", "bbox", "centroid")


def ours(labels: Any) -> Any:
    level = Level(path="0", shape=tuple(labels.shape), scale=(1.0, 1.0))
    return instance_table(labels, label_image_id="benchmark", axes=AXES, level=level)


def agree(table: Any, expected: dict[str, np.ndarray]) -> bool:
    got = table.to_pydict()
    exact = [("label", "label"), ("area", "area")]
    for i, axis in enumerate("yx"):
        exact += [(f"bbox_min_{axis}", f"bbox-{i}"), (f"bbox_max_{axis}", f"bbox-{i + 2}")]
    return all(np.array_equal(got[a], expected[b]) for a, b in exact) and all(
        np.allclose(got[f"centroid_{axis}"], expected[f"centroid-{i}"], rtol=0, atol=1e-9)
        for i, axis in enumerate("yx")
    )


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    args = parser.parse_args(argv)
    check_size(parser, args, 2)

    labels, instances = make_labels(args.size, args.seed, CELL_SPACING)
    print(f"label image {args.size}×{args.size} uint32, {instances} instances")
    ours(labels[:256, :256])  # imports and thread pool warm-up, outside the clock
    our_time, table = best_time(args.repeats, lambda: ours(labels))
    peer_time, expected = best_time(
        args.repeats, lambda: regionprops_table(labels, properties=PROPERTIES)
    )
    with tempfile.TemporaryDirectory(prefix="bench-instances-") as tmp:
        stored = zarr.create_array(
            f"{tmp}/labels.zarr",
            shape=labels.shape,
            chunks=(1024, 1024),
            dtype=labels.dtype,
            compressors=BloscCodec(**BLOSC),
        )
        stored[...] = labels
        zarr_time, from_zarr = best_time(args.repeats, lambda: ours(stored))
    same = agree(table, expected) and from_zarr.equals(table)
    print(f"{'instance table of':<46}{'best s':>9}")
    print(f"{'labelcollections instance_table (in memory)':<46}{our_time:>9.3f}")
    print(f"{'skimage regionprops_table (in memory)':<46}{peer_time:>9.3f}")
    print(f"{'labelcollections instance_table (from Zarr)':<46}{zarr_time:>9.3f}")
    print(f"rows: {table.num_rows}; columns agree with regionprops: {'yes' if same else 'no'}")
    if not same:
        print("tables differ; no ratio", file=sys.stderr)
        return 1
    ratio = peer_time / our_time
    print(
        f"RATIO name=instances value={ratio:.2f} peer=skimage.measure.regionprops_table"
        f" target={TARGET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
