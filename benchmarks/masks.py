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

import sys
import time
from typing import Any

import numpy as np

from harness import benchmark_parser, check_size
from labelcollections.omero.masks import MaskShape, masks_from_labels
from synthetic import announced_labels

TARGET = 20
CELL_SPACING = 80
"""One instance per CELL_SPACING × CELL_SPACING pixels."""


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
    parser = benchmark_parser(__doc__, "runs of ours, best counts")
    args = parser.parse_args(argv)
    check_size(parser, args, CELL_SPACING)
    from omero_rois import masks_from_label_image

    labels, instances = announced_labels(args.size, args.seed, CELL_SPACING)

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
