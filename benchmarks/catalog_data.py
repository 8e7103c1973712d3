"""A synthetic facility catalog, as rows of our catalog tables and of OMERO's tables.

``images`` reference images (plates × wells × fields), each with ``per_image`` label images:
five segmentations (cells, cytoplasm, membranes, nuclei, tissue) in two versions, v2 derived
from v1. Each label image has provenance (method, one of ten tools and four versions of it,
one of 200 authors, one of 60 models for machine-learning labels), 1–20 classes drawn from 60
names with Zipf-like popularity, and an instance summary. Every image has a collection
"segmentation" with all its label images and "reviewed" with about a third of them.

Our side gets the rows our catalog writer would write (``catalog.writer`` row builders). The
OMERO side gets what a push to OMERO stores: every label image is an OMERO Image with one map
annotation in our label-image namespace, its pairs written as the project's key-value codec
writes them (``formats.omero_kv``), linked by an ``imageannotationlink``. :func:`check_sample`
proves both sides hold the same facts, by building model objects for some rows and running
the real writer and codec on them.

Label image ``j`` of image ``i`` (``j = i * per_image + slot``) has the catalog id ``%016x``
of ``j`` and the OMERO Image id ``LABEL_OMERO_ID + j``; image names sort in ``i`` order and
(name, version) in slot order, so both sides list results in the same order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from labelcollections.catalog.tables import class_list
from labelcollections.catalog.writer import (
    class_name_rows,
    collection_row,
    image_row,
    label_row,
    membership_rows,
)
from labelcollections.formats.omero_kv import NS_LABEL_IMAGE, label_image_to_pairs
from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.model.provenance import Provenance

NAMES = ("cells", "cytoplasm", "membranes", "nuclei", "tissue")
METHODS = ("machine-learning", "algorithm", "manual", "imported", "converted")
METHOD_WEIGHTS = (0.45, 0.2, 0.2, 0.1, 0.05)
TYPES = ("instance", "semantic", "panoptic")
TYPE_WEIGHTS = (0.6, 0.3, 0.1)
TOOLS = ("cellpose", "stardist", "ilastik", "qupath", "napari", "deepcell", "omnipose",
         "micro-sam", "fiji", "in-house")  # fmt: skip
TOOL_WEIGHTS = (0.25, 0.15, 0.1, 0.1, 0.1, 0.08, 0.07, 0.06, 0.05, 0.04)
TOOL_VERSIONS = ("2.2", "3.0", "3.1", "4.0")
FIRST = ("Ana", "Ben", "Chiara", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kemal", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven",
         "Tariq")  # fmt: skip
LAST = ("Costa", "Meyer", "Rossi", "Ivanova", "Novak", "Haddad", "Kim", "Tanaka", "Silva", "Berg")
AUTHORS = tuple(f"{first} {last}" for first in FIRST for last in LAST)
CLASSES = (
    "nucleus", "cell", "cytoplasm", "membrane", "background", "mitochondrion", "nucleolus",
    "vesicle", "golgi", "endoplasmic reticulum", "lysosome", "peroxisome", "centrosome",
    "cilium", "actin", "microtubule", "tissue", "stroma", "tumour", "necrosis", "vessel",
    "lumen", "epithelium", "immune cell", "fibroblast", "neuron", "axon", "dendrite",
    "synapse", "glia", "myelin", "muscle", "fat", "bone", "cartilage", "blood", "debris",
    "artefact", "out of focus", "edge", "apoptotic cell", "mitotic cell", "dividing nucleus",
    "micronucleus", "chromosome", "spindle", "nuclear envelope", "stress granule", "p-body",
    "lipid droplet", "autophagosome", "endosome", "phagosome", "granule", "crystal",
    "bacterium", "virus particle", "spore", "hypha", "unknown",
)  # fmt: skip
MODELS = tuple(f"model-{k:02d}" for k in range(60))
COLLECTIONS = ("segmentation", "reviewed")
SHAPE = (2048, 2048)
START = datetime(2025, 1, 1, tzinfo=UTC)
LABEL_OMERO_ID = 10_000_000
"""OMERO Image ids of label images start here (reference images are 1..images)."""
OWNER, GROUP = 2, 3
CHUNK_IMAGES = 2000

# Column order of the rows of each table, ours and OMERO's.
OUR_COLUMNS = {
    "images": ("id", "name", "store", "source", "dtype", "shape", "axes", "levels",
               "content_hash", "omero_image_id", "record"),
    "label_images": ("id", "image_id", "image_name", "name", "version", "store_path",
                     "label_type", "dtype", "shape", "method", "software", "software_folded",
                     "software_version", "author", "author_folded", "created", "model_name",
                     "model_version", "model_sha256", "model_sha256_folded", "training_data",
                     "reference_hash", "content_hash", "derived_from", "record", "class_names"),
    "label_class_names": ("name_folded", "image_name", "label_name", "version",
                          "label_image_id"),
    "collections": ("id", "image_id", "name", "description", "method", "author", "created",
                    "record"),
    "memberships": ("collection_id", "label_image_id", "position"),
    "instance_summaries": ("label_image_id", "instances", "total_area", "min_area",
                           "max_area", "mean_area"),
}  # fmt: skip
PEER_COLUMNS = {
    "image": ("id", "name", "owner_id", "group_id"),
    "annotation": ("id", "discriminator", "ns", "owner_id", "group_id"),
    "imageannotationlink": ("id", "parent", "child", "owner_id", "group_id"),
    "annotation_mapvalue": ("annotation_id", "name", "value", "index"),
}
Rows = dict[str, list[tuple[Any, ...]]]


@dataclass
class Chunk:
    """The rows of a run of consecutive images, ours and OMERO's, and a few rows to check."""

    ours: Rows = field(default_factory=lambda: {table: [] for table in OUR_COLUMNS})
    peer: Rows = field(default_factory=lambda: {table: [] for table in PEER_COLUMNS})
    sample: list[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[str, str]], int]] = field(
        default_factory=list
    )


def image_name(i: int) -> str:
    """Plate, well (A01–J10) and field of image ``i``: 100 wells × 4 fields per plate."""
    plate, rest = divmod(i, 400)
    well, fieldnumber = divmod(rest, 4)
    return f"plate{plate:04d}_{'ABCDEFGHIJ'[well // 10]}{well % 10 + 1:02d}_f{fieldnumber}"


def image_id(i: int) -> str:
    return f"{(1 << 63) | i:016x}"


def label_id(j: int) -> str:
    return f"{j:016x}"


def collection_id(i: int, number: int) -> str:
    """Collection ``number`` (of ``COLLECTIONS``) of image ``i``."""
    return f"{(1 << 62) | (2 * i + number):016x}"


def model_sha256(model: str) -> str:
    return hashlib.sha256(model.encode()).hexdigest()


def class_popularity() -> np.ndarray:
    weights = 1.0 / np.arange(1, len(CLASSES) + 1) ** 0.8
    return np.asarray(weights / weights.sum())


def _record(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def generate(images: int, per_image: int, seed: int) -> Iterator[Chunk]:
    """The catalog in chunks of ``CHUNK_IMAGES`` images."""
    if not 1 <= per_image <= 2 * len(NAMES):
        raise ValueError(f"per_image must be 1..{2 * len(NAMES)}")
    rng = np.random.default_rng(seed)
    log_popularity = np.log(class_popularity())
    for first in range(0, images, CHUNK_IMAGES):
        count = min(CHUNK_IMAGES, images - first)
        yield _chunk(rng, log_popularity, first, count, per_image)


def _chunk(
    rng: np.random.Generator, log_popularity: np.ndarray, first: int, count: int, per_image: int
) -> Chunk:
    chunk = Chunk()
    n = count * per_image
    methods = rng.choice(len(METHODS), n, p=METHOD_WEIGHTS)
    types = rng.choice(len(TYPES), n, p=TYPE_WEIGHTS)
    tools = rng.choice(len(TOOLS), n, p=TOOL_WEIGHTS)
    versions = rng.integers(0, len(TOOL_VERSIONS), n)
    authors = rng.integers(0, len(AUTHORS), n)
    models = rng.integers(0, len(MODELS), n)
    class_counts = rng.integers(1, 21, n)
    # Gumbel top-k: k distinct classes per label image, drawn by popularity, all at once.
    keys = log_popularity + rng.gumbel(size=(n, len(CLASSES)))
    ranked = np.argsort(-keys, axis=1)
    instances = rng.lognormal(5.0, 1.0, n).astype(np.int64) + 1
    mean_areas = rng.lognormal(5.5, 0.5, n)
    reviewed = rng.random(n) < 0.3
    for offset in range(count):
        i = first + offset
        _add_image(chunk, i, per_image, reviewed[offset * per_image : (offset + 1) * per_image])
    for k in range(n):
        i, slot = divmod(first * per_image + k, per_image)
        j = i * per_image + slot
        label = _label(i, j, slot, methods[k], types[k], tools[k], versions[k], authors[k],
                       models[k], ranked[k, : class_counts[k]])  # fmt: skip
        row = tuple(label["row"][column] for column in OUR_COLUMNS["label_images"])
        chunk.ours["label_images"].append(row)
        name, version = label["row"]["name"], label["row"]["version"]
        classes = [
            (CLASSES[c].casefold(), image_name(i), name, version, label_id(j))
            for c in label["classes"]
        ]
        chunk.ours["label_class_names"].extend(classes)
        area = float(mean_areas[k])
        chunk.ours["instance_summaries"].append(
            (label_id(j), int(instances[k]), int(instances[k] * area), 1, int(area * 3), area)
        )
        collections = [1 + 2 * i] + ([2 + 2 * i] if reviewed[k] else [])
        pairs = _pairs(label, i, collections)
        chunk.peer["image"].append((LABEL_OMERO_ID + j, label["key"], OWNER, GROUP))
        chunk.peer["annotation"].append((j + 1, "/map/", NS_LABEL_IMAGE, OWNER, GROUP))
        chunk.peer["imageannotationlink"].append((j + 1, LABEL_OMERO_ID + j, j + 1, OWNER, GROUP))
        chunk.peer["annotation_mapvalue"].extend(
            (j + 1, key, value, index) for index, (key, value) in enumerate(pairs)
        )
        if k % 997 == 0:
            chunk.sample.append((row, classes, pairs, i))
    return chunk


def _add_image(chunk: Chunk, i: int, per_image: int, reviewed: np.ndarray) -> None:
    name = image_name(i)
    record = {"attributes": {},
              "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
              "content_hash": f"sha256:{i:064x}", "dtype": "uint16", "id": image_id(i),
              "levels": [{"path": "0", "scale": [0.5, 0.5], "shape": list(SHAPE)}],
              "name": name}  # fmt: skip
    chunk.ours["images"].append(
        (image_id(i), name, f"images/{name}.ome.zarr", None, "uint16", _record(list(SHAPE)),
         _record(["y", "x"]), 1, record["content_hash"], None, _record(record))
    )  # fmt: skip
    chunk.peer["image"].append((i + 1, name, OWNER, GROUP))
    members = {
        COLLECTIONS[0]: [label_id(i * per_image + s) for s in range(per_image)],
        COLLECTIONS[1]: [label_id(i * per_image + s) for s in range(per_image) if reviewed[s]],
    }
    for number, (collection, labels) in enumerate(members.items()):
        identifier = collection_id(i, number)
        record = {"attributes": {}, "id": identifier, "image_id": image_id(i),
                  "members": labels, "name": collection,
                  "omero_collection_id": 2 * i + number + 1}  # fmt: skip
        chunk.ours["collections"].append(
            (identifier, image_id(i), collection, None, None, None, None, _record(record))
        )
        chunk.ours["memberships"].extend(
            (identifier, label, position) for position, label in enumerate(labels)
        )


def _label(i: int, j: int, slot: int, method: int, kind: int, tool: int, version: int,
           author: int, model: int, classes: np.ndarray) -> dict[str, Any]:  # fmt: skip
    """The record and catalog row of label image ``j`` (slot ``slot`` of image ``i``)."""
    name, label_version = NAMES[slot // 2], ("v1", "v2")[slot % 2]
    created = START + timedelta(seconds=j)
    provenance: dict[str, Any] = {
        "method": METHODS[method],
        "software": TOOLS[tool],
        "software_version": TOOL_VERSIONS[version],
        "author": AUTHORS[author],
        "created": created.isoformat().replace("+00:00", "Z"),
        "reference_hash": f"sha256:{i:064x}",
        "content_hash": f"sha256:{j:064x}",
        "parameters": {"diameter": 17.5 + slot, "channels": [0, 1]},
    }
    if METHODS[method] == "machine-learning":
        provenance |= {"model_name": MODELS[model], "model_version": "1",
                       "model_sha256": model_sha256(MODELS[model])}  # fmt: skip
    if slot % 2:
        provenance["derived_from"] = label_id(j - 1)
    record = {
        "attributes": {}, "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
        "downsampling": "nearest", "dtype": "uint16", "id": label_id(j), "image_id": image_id(i),
        "label_schema": {"classes": [{"name": CLASSES[c], "properties": {}, "value": value}
                                     for value, c in enumerate(classes, 1)]},
        "label_type": TYPES[kind], "levels": [{"path": "0", "scale": [0.5, 0.5],
                                               "shape": list(SHAPE)}],
        "name": name, "provenance": provenance, "version": label_version,
    }  # fmt: skip
    row = {
        "id": label_id(j), "image_id": image_id(i), "image_name": image_name(i), "name": name,
        "version": label_version, "store_path": f"{COLLECTIONS[0]}/{name}@{label_version}",
        "label_type": TYPES[kind], "dtype": "uint16", "shape": _record(list(SHAPE)),
        "method": METHODS[method], "software": TOOLS[tool],
        "software_folded": TOOLS[tool].casefold(), "software_version": TOOL_VERSIONS[version],
        "author": AUTHORS[author], "author_folded": AUTHORS[author].casefold(),
        "created": created.isoformat(), "model_name": provenance.get("model_name"),
        "model_version": provenance.get("model_version"),
        "model_sha256": provenance.get("model_sha256"),
        "model_sha256_folded": provenance.get("model_sha256"), "training_data": None,
        "reference_hash": provenance["reference_hash"],
        "content_hash": provenance["content_hash"],
        "derived_from": provenance.get("derived_from"), "record": _record(record),
        "class_names": class_list(CLASSES[c] for c in classes),
    }  # fmt: skip
    return {"row": row, "record": record, "classes": classes, "key": f"{name}@{label_version}"}


def _pairs(label: dict[str, Any], i: int, collections: list[int]) -> list[tuple[str, str]]:
    """The label image's map-annotation pairs, in the order ``label_image_to_pairs`` writes."""
    record, provenance = label["record"], label["record"]["provenance"]
    pairs = [("omero.ref_image_id", str(i + 1))]
    pairs += [("omero.collection_id", str(c)) for c in collections]
    pairs += [("label.id", record["id"]), ("label.name", record["name"]),
              ("label.version", record["version"]), ("label.type", record["label_type"]),
              ("label.image_id", record["image_id"]), ("label.dtype", "uint16"),
              ("label.axes[0].name", "y"), ("label.axes[0].type", "space"),
              ("label.axes[1].name", "x"), ("label.axes[1].type", "space"),
              ("label.levels[0].path", "0"), ("label.levels[0].shape", "2048,2048"),
              ("label.levels[0].scale", "0.5,0.5")]  # fmt: skip
    for key in Provenance.model_fields:
        if key == "parameters":
            diameter = str(provenance["parameters"]["diameter"])
            pairs += [("provenance.parameters.channels[0]", "0"),
                      ("provenance.parameters.channels[1]", "1"),
                      ("provenance.parameters.diameter", diameter)]  # fmt: skip
        elif key in provenance:
            pairs.append((f"provenance.{key}", str(provenance[key])))
    pairs += [(f"class.{c['value']}.name", c["name"]) for c in record["label_schema"]["classes"]]
    return pairs


def _check_rows(table: str, rows: list[tuple[Any, ...]], written: list[dict[str, Any]]) -> None:
    expected = [tuple(row[c] for c in OUR_COLUMNS[table]) for row in written]
    assert expected == rows, (table, expected, rows)


def check_sample(chunk: Chunk) -> None:
    """Our rows are what the catalog writer writes, and the OMERO pairs what the codec
    writes, for the same objects; raise AssertionError otherwise."""
    image = chunk.ours["images"][0]
    reference = ReferenceImage.model_validate_json(image[-1])
    _check_rows("images", [image], [image_row(reference, image[2])])
    for row in chunk.ours["collections"][:2]:
        collection = LabelCollection.model_validate_json(row[-1])
        _check_rows("collections", [row], [collection_row(collection)])
        members = [m for m in chunk.ours["memberships"] if m[0] == collection.id]
        _check_rows("memberships", members, membership_rows(collection))
    columns = OUR_COLUMNS["label_images"]
    for row, classes, pairs, i in chunk.sample:
        label = LabelImage.model_validate_json(row[columns.index("record")])
        _check_rows("label_images", [row], [label_row(label, row[5], image_name(i))])
        _check_rows("label_class_names", classes, class_name_rows(label, image_name(i)))
        collections = [int(v) for k, v in pairs if k == "omero.collection_id"]
        expected = label_image_to_pairs(label, ref_omero_image_id=i + 1,
                                        collection_omero_ids=collections)  # fmt: skip
        assert expected == pairs, (expected, pairs)
