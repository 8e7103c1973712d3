"""Label image to GeoJSON polygons: ``labelcollections.polygons`` vs per-object find_contours.

Both sides convert the same synthetic 8192×8192 uint32 instance label image (10,404 instances
at the default size) into a GeoJSON FeatureCollection file, one Feature per object:

* ours: ``trace_outlines`` (every object's exact pixel-edge outline, holes and pieces
  included, in one pass over the pixels) and the Features ``polygons`` writes
  (``geojson_exchange.plane_features``, ``formats.geojson.write_feature_collection``);
* peer: what most scripts do: ``scipy.ndimage.find_objects`` for the boxes, then per object
  ``skimage.measure.find_contours`` on its padded mask, every contour a ring, ``json.dump``.

Each side runs ``--repeats`` times and the best time counts. Our file is read back and
rasterised (``add-labels``' path) and must give the label image again, pixel for pixel; both
files must hold one Feature per object. ``rasterio.features.shapes`` (GDAL's polygonize) on the
same array is reported for information when rasterio is installed. The last line is
``RATIO name=polygons value=<peer seconds / our seconds>
peer=skimage.measure.find_contours target=10``.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage
from skimage.measure import find_contours

from harness import benchmark_parser, best_time, check_size
from labelcollections.formats.geojson import read_features, write_feature_collection
from labelcollections.geojson_exchange import plane_features
from labelcollections.model.images import LabelImage
from labelcollections.model.provenance import Provenance
from labelcollections.polygons import Outlines, trace_outlines
from labelcollections.polygons.rasterise import rasterise
from synthetic import announced_labels

TARGET = 10
CELL_SPACING = 80
"""One instance per CELL_SPACING × CELL_SPACING pixels."""


def ours(labels: np.ndarray, label: LabelImage, target: Path) -> int:
    outlines = trace_outlines(labels)
    geometries, properties, ids = plane_features(outlines, label, {})
    with target.open("w", encoding="utf-8") as handle:
        write_feature_collection(handle, geometries, properties, ids, {"label_image": label.id})
    return len(outlines)


def peer(labels: np.ndarray, target: Path) -> int:
    features = []
    for value, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        mask = np.pad(labels[box] == value, 1)
        y0, x0 = box[0].start - 1, box[1].start - 1
        rings = [(contour[:, ::-1] + (x0, y0)).tolist() for contour in find_contours(mask, 0.5)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": rings},
                "properties": {"label": value},
            }
        )
    with target.open("w", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": features}, handle)
    return len(features)


def gdal_polygonize(labels: np.ndarray) -> int | None:
    try:
        from rasterio import features
    except ImportError:
        return None
    # GDAL reads 32-bit labels as int32 (values stay below 2**31 here).
    pixels = labels.astype(np.int32)
    return sum(1 for _ in features.shapes(pixels, mask=pixels > 0, connectivity=4))


def read_back(path: Path, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    found, _ = read_features(path)
    values = np.array([f.properties["label"] for f in found], dtype=np.uint64)
    outlines = Outlines.from_polygons(
        [f.polygons for f in found], values, np.zeros(len(found), dtype=np.int64)
    )
    return rasterise(outlines, shape, dtype)


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    args = parser.parse_args(argv)
    check_size(parser, args, CELL_SPACING)
    labels, instances = announced_labels(args.size, args.seed, CELL_SPACING)
    label = LabelImage(
        id="0123456789abcdef",
        name="cells",
        image_id="fedcba9876543210",
        label_type="instance",
        provenance=Provenance(method="algorithm"),
    )
    with tempfile.TemporaryDirectory() as folder:
        ours_file, peer_file = Path(folder) / "ours.geojson", Path(folder) / "peer.geojson"
        ours_time, ours_count = best_time(args.repeats, lambda: ours(labels, label, ours_file))
        peer_time, peer_count = best_time(args.repeats, lambda: peer(labels, peer_file))
        sizes = ours_file.stat().st_size, peer_file.stat().st_size
        exact = np.array_equal(read_back(ours_file, labels.shape, labels.dtype), labels)
    start = time.perf_counter()
    gdal_count = gdal_polygonize(labels)
    gdal_time = time.perf_counter() - start
    rows = [
        (
            "labelcollections trace_outlines + GeoJSON",
            ours_time,
            ours_count,
            f"{sizes[0] / 1e6:.1f}",
        ),
        ("find_objects + find_contours per object", peer_time, peer_count, f"{sizes[1] / 1e6:.1f}"),
    ]
    if gdal_count is not None:
        rows.append(("rasterio.features.shapes (information)", gdal_time, gdal_count, "-"))
    print(f"{'converter':<44}{'best s':>9}{'features':>10}{'file MB':>9}")
    for name, seconds, count, megabytes in rows:
        print(f"{name:<44}{seconds:>9.3f}{count:>10}{megabytes:>9}")
    if gdal_count is None:
        print("rasterio not installed: rasterio.features.shapes not measured")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"our GeoJSON rasterises back to the label image: {'yes' if exact else 'no'}")
    if not exact or ours_count != instances or peer_count != instances:
        print("outputs wrong; no ratio", file=sys.stderr)
        return 1
    ratio = peer_time / ours_time
    print(
        f"RATIO name=polygons value={ratio:.2f} peer=skimage.measure.find_contours target={TARGET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
