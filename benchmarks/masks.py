"""Label image to OMERO Mask shapes: ``masks_from_labels`` vs omero-rois.

Both sides convert the same synthetic 8192×8192 uint32 instance label image (10,404 instances
at the default size) into one Mask per label value:

* ours: ``labelcollections.omero.masks.masks_from_labels`` (one pass over the pixels for all
  bounding boxes, then each object compared and bit-packed inside its box only);
* peer: ``omero_rois.masks_from_label_image``, which compares the whole image with every label
  value in turn.

Our conversion runs ``--repeats`` times and the best time counts; the peer runs once (it needs
minutes at full size). Every Mask's box and packed bytes are compared between the two sides.
The last line is ``RATIO name=masks value=<peer seconds / our seconds>
peer=omero_rois.masks_from_label_image target=20``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from labelcollections.omero.masks import MaskShape, masks_from_labels

TARGET = 20
CELL_SPACING = 80
"""One instance per CELL_SPACING × CELL_SPACING pixels."""
ROW_BLOCK = 512
"""Rows of the label image drawn at once (bounds the temporary arrays)."""


def make_labels(size: int, seed: int = 7) -> tuple[np.ndarray, int]:
    """A ``size``×``size`` uint32 image with one ellipse per cell of a regular grid.

    Each ellipse has a jittered centre and random radii that keep it inside its cell, so every
    label value 1..n is present and no object touches the image border; the values are
    shuffled over the grid. Returns the labels and the number of instances.
    """
    rng = np.random.default_rng(seed)
    cells = max(1, size // CELL_SPACING)
    step = size / cells
    centre_y = (np.arange(cells)[:, None] + 0.5 + rng.uniform(-0.15, 0.15, (cells, cells))) * step
    centre_x = (np.arange(cells)[None, :] + 0.5 + rng.uniform(-0.15, 0.15, (cells, cells))) * step
    radius_y, radius_x = rng.uniform(0.15, 0.33, (2, cells, cells)) * step
    values = (rng.permutation(cells * cells) + 1).astype(np.uint32).reshape(cells, cells)
    columns = np.arange(size)
    cell_x = np.minimum((columns / step).astype(np.intp), cells - 1)[None, :]
    labels = np.empty((size, size), dtype=np.uint32)
    for top in range(0, size, ROW_BLOCK):
        rows = np.arange(top, min(top + ROW_BLOCK, size))
        cell_y = np.minimum((rows / step).astype(np.intp), cells - 1)[:, None]
        dy = (rows[:, None] - centre_y[cell_y, cell_x]) / radius_y[cell_y, cell_x]
        dx = (columns[None, :] - centre_x[cell_y, cell_x]) / radius_x[cell_y, cell_x]
        labels[rows] = np.where(dy * dy + dx * dx <= 1.0, values[cell_y, cell_x], 0)
    return labels, cells * cells


def box_and_bytes(mask: Any) -> tuple[int, int, int, int, bytes]:
    """(x, y, width, height, packed bytes) of an omero-py MaskI."""
    return (
        int(mask.getX().getValue()),
        int(mask.getY().getValue()),
        int(mask.getWidth().getValue()),
        int(mask.getHeight().getValue()),
        np.asarray(mask.getBytes(), dtype=np.uint8).tobytes(),
    )


def ours_box_and_bytes(shape: MaskShape) -> tuple[int, int, int, int, bytes]:
    return (shape.x, shape.y, shape.width, shape.height, shape.bytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="height and width (default 8192)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of ours, best counts")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the label image")
    args = parser.parse_args(argv)
    if args.size < CELL_SPACING or args.repeats < 1:
        parser.error(f"--size must be at least {CELL_SPACING} and --repeats at least 1")
    from omero_rois import masks_from_label_image

    start = time.perf_counter()
    labels, instances = make_labels(args.size, args.seed)
    print(
        f"label image {args.size}×{args.size} uint32, {instances} instances"
        f" (built in {time.perf_counter() - start:.1f} s)"
    )

    ours: list[float] = []
    shapes: list[MaskShape] = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        shapes = masks_from_labels(labels)
        ours.append(time.perf_counter() - start)
    start = time.perf_counter()
    peer_masks = masks_from_label_image(labels)
    peer = time.perf_counter() - start

    identical = [s.label for s in shapes] == list(range(1, instances + 1)) and [
        ours_box_and_bytes(s) for s in shapes
    ] == [box_and_bytes(m) for m in peer_masks]
    rows = [
        ("labelcollections masks_from_labels", ours),
        ("omero_rois.masks_from_label_image", [peer]),
    ]
    print(f"{'converter':<40}{'best s':>9}  runs s")
    for name, times in rows:
        print(f"{name:<40}{min(times):>9.3f}  {', '.join(f'{t:.3f}' for t in times)}")
    print(f"masks: {len(shapes)} ours, {len(peer_masks)} peer")
    print(f"mask boxes and bytes identical: {'yes' if identical else 'no'}")
    if not identical:
        print("outputs differ; no ratio", file=sys.stderr)
        return 1
    ratio = peer / min(ours)
    print(
        f"RATIO name=masks value={ratio:.2f} peer=omero_rois.masks_from_label_image target={TARGET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
