"""``labelcollections demo``: a repository with competing segmentations of a real image.

The image is scikit-image's immunohistochemistry sample (a real bright-field micrograph of
tissue stained with haematoxylin and DAB, shipped with the package). Two real algorithms
segment it: nuclei as instances (colour deconvolution, Otsu threshold, distance-transform
watershed) and tissue classes semantically (colour deconvolution of both stains); a second
version of the nuclei segmentation with other parameters records the first as its origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import ndimage
from skimage import color, data, feature, filters, morphology, segmentation

from labelcollections import __version__
from labelcollections.errors import ConflictError
from labelcollections.model.images import LabelImage
from labelcollections.model.label_schema import LabelClass, LabelSchema
from labelcollections.model.provenance import Provenance
from labelcollections.progress import Progress
from labelcollections.repository import Repository

IMAGE_NAME = "ihc"
SKIMAGE_VERSION = version("scikit-image")
AUTHOR = "labelcollections demo"


@dataclass(frozen=True)
class NucleiParameters:
    """Knobs of the nuclei watershed; two settings give two versions."""

    min_distance: int
    min_size: int
    smoothing_sigma: float

    def as_json(self) -> dict[str, Any]:
        return {
            "min_distance": self.min_distance,
            "min_size": self.min_size,
            "smoothing_sigma": self.smoothing_sigma,
            "threshold": "otsu",
            "stain_separation": "rgb2hed",
        }


def segment_nuclei(rgb: np.ndarray, parameters: NucleiParameters) -> np.ndarray:
    """Instance labels of haematoxylin-stained nuclei (uint32, 0 = background)."""
    haematoxylin = filters.gaussian(color.rgb2hed(rgb)[..., 0], parameters.smoothing_sigma)
    foreground = haematoxylin > filters.threshold_otsu(haematoxylin)
    foreground = morphology.remove_small_objects(foreground, max_size=parameters.min_size)
    distance = ndimage.distance_transform_edt(foreground)
    peaks = feature.peak_local_max(
        distance, min_distance=parameters.min_distance, labels=ndimage.label(foreground)[0]
    )
    markers = np.zeros(foreground.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels: np.ndarray = segmentation.watershed(-distance, markers, mask=foreground)
    return labels.astype(np.uint32)


def segment_tissue(rgb: np.ndarray) -> np.ndarray:
    """Semantic classes: 1 haematoxylin-dominated, 2 DAB-positive, 0 background (uint8)."""
    hed = color.rgb2hed(rgb)
    haematoxylin = filters.gaussian(hed[..., 0], 2)
    dab = filters.gaussian(hed[..., 2], 2)
    classes = np.zeros(rgb.shape[:2], dtype=np.uint8)
    classes[haematoxylin > filters.threshold_otsu(haematoxylin)] = 1
    classes[dab > filters.threshold_otsu(dab)] = 2
    return classes


TISSUE_SCHEMA = LabelSchema(
    classes=(
        LabelClass(value=0, name="background", color=(0, 0, 0, 0)),
        LabelClass(value=1, name="haematoxylin", color=(60, 60, 220, 160)),
        LabelClass(value=2, name="dab-positive", color=(160, 82, 45, 200)),
    )
)
NUCLEI_SCHEMA = LabelSchema(classes=(LabelClass(value=0, name="background", color=(0, 0, 0, 0)),))


def run_demo(directory: Path, progress: Progress, console: Console) -> Repository:
    """Build the demo repository in ``directory/repo`` and export it to ``directory``."""
    if directory.exists() and any(directory.iterdir()):
        raise ConflictError(str(directory), "directory", "a new or empty folder for the demo")
    repository = Repository.init(directory / "repo", progress)
    rgb = data.immunohistochemistry()
    image = repository.add_image(np.moveaxis(rgb, -1, 0), IMAGE_NAME, axes=["c", "y", "x"])
    console.print(f"added image {image.name}: shape {image.shape} (c, y, x), {image.dtype}")

    first = NucleiParameters(min_distance=7, min_size=30, smoothing_sigma=1.0)
    nuclei_v1 = _add_nuclei(repository, rgb, first, "v1", derived_from=None)
    second = NucleiParameters(min_distance=4, min_size=15, smoothing_sigma=0.5)
    nuclei_v2 = _add_nuclei(repository, rgb, second, "v2", derived_from=nuclei_v1.id)
    repository.add_labels(
        IMAGE_NAME,
        segment_tissue(rgb),
        collection="tissue_classes",
        name="stains",
        label_type="semantic",
        label_schema=TISSUE_SCHEMA,
        provenance=Provenance(
            method="algorithm",
            software="scikit-image",
            software_version=SKIMAGE_VERSION,
            author=AUTHOR,
            parameters={"stain_separation": "rgb2hed", "threshold": "otsu", "sigma": 2},
        ),
    )
    repository.add_to_collection(nuclei_v2.id, "reviewed")
    comparison = repository.compare(nuclei_v1.id, nuclei_v2.id)

    _print_summary(repository, console)
    if comparison.instances is not None:
        metrics = comparison.instances
        console.print(
            f"nuclei@v2 against nuclei@v1 at IoU 0.5: {metrics.matched} matched,"
            f" {metrics.missed} missed, {metrics.extra} extra, F1 {metrics.f1:.3f},"
            f" {len(comparison.splits)} nuclei of v1 split in v2"
        )
    target = repository.export(IMAGE_NAME, directory / f"{IMAGE_NAME}.ome.zarr")
    console.print(f"\nexported to {target}")
    walk = directory / "nuclei.npy"
    np.save(walk, reviewed_nuclei(np.asarray(repository.label_levels(nuclei_v2)[0][0])))
    console.print(f"saved {walk}, a reviewed nuclei mask, for the first hour (README.md)")
    console.print("open it with:")
    console.print(f"  napari --plugin napari-ome-zarr {target}")
    console.print(f"  labelcollections collection show {repository.root} {IMAGE_NAME}/nuclei")
    console.print(
        f"  labelcollections find {repository.root} --type instance --software scikit-image"
    )
    console.print(f"  labelcollections compare {repository.root} nuclei@v1 nuclei@v2")
    console.print(f"  labelcollections serve {repository.root}   # then http://127.0.0.1:8000/")
    console.print(f"  labelcollections instance show {repository.root} {nuclei_v1.instance_id(1)}")
    return repository


def reviewed_nuclei(labels: np.ndarray) -> np.ndarray:
    """What a reviewer keeps of a nuclei segmentation: the objects of at least 40 pixels."""
    return np.asarray(morphology.remove_small_objects(labels, max_size=39))


def _add_nuclei(
    repository: Repository,
    rgb: np.ndarray,
    parameters: NucleiParameters,
    version: str,
    derived_from: str | None,
) -> LabelImage:
    with repository.progress.task(f"Segmenting nuclei {version}", 1) as advance:
        labels = segment_nuclei(rgb, parameters)
        advance(1)
    return repository.add_labels(
        IMAGE_NAME,
        labels,
        collection="nuclei",
        name="nuclei",
        version=version,
        label_type="instance",
        label_schema=NUCLEI_SCHEMA,
        provenance=Provenance(
            method="algorithm",
            software="scikit-image",
            software_version=SKIMAGE_VERSION,
            author=AUTHOR,
            parameters=parameters.as_json(),
            derived_from=derived_from,
        ),
    )


def _print_summary(repository: Repository, console: Console) -> None:
    table = Table(title=f"Demo repository {repository.root} (labelcollections {__version__})")
    for column in (
        "collection",
        "label image",
        "type",
        "labels",
        "method",
        "software",
        "derived from",
    ):
        table.add_column(column)
    for collection in repository.collections(IMAGE_NAME):
        for member in collection.members:
            label = repository.label_image(member)
            distinct = repository.instance_table(label.id).num_rows
            parent = label.provenance.derived_from
            table.add_row(
                collection.name,
                label.key,
                label.label_type.value,
                str(distinct),
                label.provenance.method.value,
                f"{label.provenance.software} {label.provenance.software_version}",
                repository.label_image(parent).key if parent else "",
            )
    console.print(table)
