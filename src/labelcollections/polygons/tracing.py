"""The outlines of every object of a label image, in one pass over its pixels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelcollections.polygons.outlines import Outlines
from labelcollections.polygons.rings import link_rings
from labelcollections.polygons.scan import scan_corners


def trace_outlines(
    labels: Any,
    *,
    workers: int | None = None,
    advance: Callable[[int], None] | None = None,
) -> Outlines:
    """Exact outlines (pixel edges, level-0 pixel units) of every object of ``labels``.

    ``labels`` is a numpy, Zarr or dask array with axes (..., y, x); every leading index is a
    plane of its own. Memory grows with the number of outline vertices, not with the pixels.
    """
    return link_rings(scan_corners(labels, workers=workers, advance=advance))
