"""The domain: reference images, label images, collections, provenance, label schemas, names.

Pure data and rules, no I/O. Everything else in the package is built on these objects.
"""

from labelcollections.model.collection import LabelCollection
from labelcollections.model.images import Axis, LabelImage, Level, ReferenceImage
from labelcollections.model.label_schema import LabelClass, LabelSchema, parse_label_schema
from labelcollections.model.plates import Plate, PlateCollection, PlatePosition, Well
from labelcollections.model.provenance import Provenance, parse_software, utc_now
from labelcollections.model.references import Matches, choose, choose_label
from labelcollections.model.vocabulary import LABEL_DTYPES, Downsampling, LabelType, Method

__all__ = [
    "LABEL_DTYPES",
    "Axis",
    "Downsampling",
    "LabelClass",
    "LabelCollection",
    "LabelImage",
    "LabelSchema",
    "LabelType",
    "Level",
    "Matches",
    "Method",
    "Plate",
    "PlateCollection",
    "PlatePosition",
    "Provenance",
    "ReferenceImage",
    "Well",
    "choose",
    "choose_label",
    "parse_label_schema",
    "parse_software",
    "utc_now",
]
