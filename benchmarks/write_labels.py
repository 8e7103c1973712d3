"""Writing a label image with its pyramid: ``Repository.add_labels`` vs ome-zarr-py.

Both sides write the same synthetic 8192×8192 uint32 instance label image into a fresh OME-Zarr
0.5 store with the same number of pyramid levels, 1024×1024 chunks, Blosc(lz4, clevel 5,
shuffle) and nearest-neighbour downsampling:

* ours: ``Repository.add_labels`` on a repository whose reference image has the same shape (the
  repository and its reference image are made before the clock starts; the timed call includes
  reading the pixels, hashing level 0, the pyramid, the arrays and all metadata and catalog
  updates);
* peer: ``ome_zarr.writer.write_labels`` into an empty OME-Zarr 0.5 group.

Each side runs ``--repeats`` times on a fresh store and the best time counts. Both outputs are
read back and their level-0 pixels compared with the source. The last line is ``RATIO
name=write_labels value=<peer seconds / our seconds> peer=ome-zarr-py.write_labels target=3``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import BloscCodec

from harness import benchmark_parser, check_size
from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.storage.ome_zarr_store import BLOSC
from synthetic import make_labels

AXES = ("y", "x")
IMAGE_NAME = "reference"
LABEL_NAME = "cells"
TARGET = 3
CELL_SPACING = 100
"""One instance per CELL_SPACING × CELL_SPACING pixels on average."""


@dataclass(frozen=True)
class Output:
    """What one write produced: its level-0 array, level shapes and array settings."""

    level0: Any
    shapes: tuple[tuple[int, ...], ...]
    chunks: tuple[tuple[int, ...], ...]
    codecs: tuple[str, ...]


def reference_image(labels: np.ndarray) -> np.ndarray:
    """A uint8 image of the same shape for the repository to label."""
    return np.where(labels > 0, 180, 20).astype(np.uint8)


def codec_text(codec: dict[str, Any]) -> str:
    """``name(key=value, …)`` of a Zarr v3 codec's JSON form."""
    configuration = codec.get("configuration", {})
    return f"{codec['name']}({', '.join(f'{k}={v}' for k, v in sorted(configuration.items()))})"


def describe(arrays: list[Any]) -> Output:
    return Output(
        level0=arrays[0],
        shapes=tuple(tuple(a.shape) for a in arrays),
        chunks=tuple(tuple(a.chunks) for a in arrays),
        codecs=tuple(codec_text(codec.to_dict()) for codec in arrays[0].metadata.codecs),
    )


def run_ours(labels: np.ndarray, reference: np.ndarray, directory: Path) -> tuple[float, Output]:
    """Time ``add_labels`` on a fresh repository that already holds the reference image."""
    repository = Repository.init(directory)
    try:
        repository.add_image(reference, IMAGE_NAME, axes=AXES)
        provenance = Provenance(method="algorithm", software="write_labels benchmark")
        start = time.perf_counter()
        label = repository.add_labels(
            IMAGE_NAME,
            labels,
            collection=LABEL_NAME,
            name=LABEL_NAME,
            label_type="instance",
            provenance=provenance,
        )
        elapsed = time.perf_counter() - start
        return elapsed, describe(repository.label_levels(label))
    finally:
        repository.close()


def run_peer(labels: np.ndarray, layout: Output, directory: Path) -> tuple[float, Output]:
    """Time ome-zarr-py's ``write_labels`` with our pyramid depth, chunks and codec."""
    from ome_zarr.format import FormatV05
    from ome_zarr.scale import Methods
    from ome_zarr.writer import write_labels

    group = zarr.open_group(str(directory), mode="w", zarr_format=3)
    storage_options = [
        {"chunks": chunks, "compressor": BloscCodec(**BLOSC)} for chunks in layout.chunks
    ]
    levels = len(layout.shapes)
    start = time.perf_counter()
    write_labels(
        labels,
        group,
        name=LABEL_NAME,
        scaler=None,
        scale_factors=tuple(2**k for k in range(1, levels)),
        method=Methods.NEAREST,
        fmt=FormatV05(),
        axes=list(AXES),
        storage_options=storage_options,
    )
    elapsed = time.perf_counter() - start
    written = zarr.open_group(str(directory / "labels" / LABEL_NAME), mode="r")
    return elapsed, describe([written[f"s{i}"] for i in range(levels)])


def best_of(
    source: np.ndarray,
    repeats: int,
    workdir: Path,
    side: str,
    run: Callable[[Path], tuple[float, Output]],
) -> tuple[list[float], bool, Output]:
    """Run ``repeats`` times on fresh directories; return the times, whether every run's level 0
    equalled the source, and the settings of the last output."""
    times: list[float] = []
    equal = True
    output: Output | None = None
    for index in range(repeats):
        directory = workdir / f"{side}-{index}"
        try:
            elapsed, output = run(directory)
            times.append(elapsed)
            equal = equal and bool(np.array_equal(output.level0[...], source))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    assert output is not None
    return times, equal, output


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    args = parser.parse_args(argv)
    check_size(parser, args, 2)

    start = time.perf_counter()
    labels, instances = make_labels(args.size, args.seed, CELL_SPACING)
    reference = reference_image(labels)
    print(
        f"label image {args.size}×{args.size} uint32, {instances} instances"
        f" (built in {time.perf_counter() - start:.1f} s)"
    )

    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="bench-labels-") as tmp:
        warnings.simplefilter("ignore")
        workdir = Path(tmp)
        ours, ours_equal, our_output = best_of(
            labels, args.repeats, workdir, "ours", lambda d: run_ours(labels, reference, d)
        )
        peer, peer_equal, peer_output = best_of(
            labels, args.repeats, workdir, "peer", lambda d: run_peer(labels, our_output, d)
        )

    same_layout = (
        our_output.shapes == peer_output.shapes
        and our_output.chunks == peer_output.chunks
        and our_output.codecs == peer_output.codecs
    )
    identical = ours_equal and peer_equal
    rows = [
        ("labelcollections Repository.add_labels", ours),
        ("ome-zarr-py ome_zarr.writer.write_labels", peer),
    ]
    print(f"{'writer':<42}{'best s':>9}{'median s':>10}  runs s")
    for name, times in rows:
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:<42}{min(times):>9.2f}{float(np.median(times)):>10.2f}  {runs}")
    print(f"levels: {len(our_output.shapes)} ({our_output.shapes[0]} … {our_output.shapes[-1]})")
    print(f"chunks: {our_output.chunks[0]}; codecs: {', '.join(our_output.codecs)}")
    print(f"same shapes, chunks and codecs: {'yes' if same_layout else 'no'}")
    print(f"level-0 pixels identical: {'yes' if identical else 'no'}")
    if not (identical and same_layout):
        print("outputs differ; no ratio", file=sys.stderr)
        return 1
    ratio = min(peer) / min(ours)
    print(
        f"RATIO name=write_labels value={ratio:.2f} peer=ome-zarr-py.write_labels target={TARGET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
