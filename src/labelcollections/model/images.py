"""Reference images and label images: the two kinds of pixel data a collection relates."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from labelcollections.model.label_schema import LabelSchema
from labelcollections.model.names import check_display_name, check_name
from labelcollections.model.plates import PlatePosition
from labelcollections.model.provenance import Provenance, Sha256
from labelcollections.model.records import RECORD_CONFIG, JsonObject
from labelcollections.model.vocabulary import LABEL_DTYPES, Downsampling, LabelType


class Axis(BaseModel):
    """One NGFF axis: name, type (space, time, channel) and unit."""

    model_config = RECORD_CONFIG

    name: str
    type: str | None = None
    unit: str | None = None


class Channel(BaseModel):
    """One channel of a reference image: its name and display colour (``RRGGBB``), as OME-XML
    and NGFF's ``omero`` metadata hold them."""

    model_config = RECORD_CONFIG

    name: str | None = None
    color: str | None = Field(default=None, pattern="^[0-9A-F]{6}$")


class Level(BaseModel):
    """One pyramid level: its array path, shape and scale (physical size of a pixel per axis)."""

    model_config = RECORD_CONFIG

    path: str
    shape: tuple[int, ...]
    scale: tuple[float, ...]
    translation: tuple[float, ...] | None = None


class ReferenceImage(BaseModel):
    """The raw image that label images are derived from.

    ``source`` is set for images registered read-only (a path or URL to an existing OME-Zarr);
    otherwise the repository owns the pixels. ``channels`` holds channel names and colours
    when the source had them (OME-XML, NGFF ``omero`` metadata). ``plate`` says where a field
    of an HCS plate sits.
    """

    model_config = RECORD_CONFIG

    id: str
    name: str
    axes: tuple[Axis, ...] = ()
    dtype: str | None = None
    levels: tuple[Level, ...] = ()
    channels: tuple[Channel, ...] | None = None
    source: str | None = None
    content_hash: Sha256 | None = None
    omero_image_id: int | None = None
    plate: PlatePosition | None = None
    attributes: JsonObject = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, "reference image")

    @property
    def shape(self) -> tuple[int, ...]:
        """Level-0 shape."""
        return self.levels[0].shape if self.levels else ()

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(axis.name for axis in self.axes)


class LabelImage(BaseModel):
    """A dense integer segmentation of one reference image, with its meaning and history.

    Versions of the same segmentation are separate label images sharing a ``name``; the newer
    records the older one's id in ``provenance.derived_from``.
    """

    model_config = RECORD_CONFIG

    id: str
    name: str
    version: str = "v1"
    image_id: str
    label_type: LabelType
    label_schema: LabelSchema = Field(default_factory=LabelSchema)
    provenance: Provenance
    axes: tuple[Axis, ...] = ()
    dtype: str | None = None
    levels: tuple[Level, ...] = ()
    omero_image_id: int | None = None
    downsampling: Downsampling = "nearest"
    attributes: JsonObject = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_display_name(name, "label image")

    @field_validator("version")
    @classmethod
    def _valid_version(cls, version: str) -> str:
        return check_name(version, "label image", "version")

    @field_validator("dtype")
    @classmethod
    def _integer_dtype(cls, dtype: str | None) -> str | None:
        if dtype is not None and dtype not in LABEL_DTYPES:
            raise ValueError(f"label pixels must be one of {', '.join(LABEL_DTYPES)}")
        return dtype

    @property
    def key(self) -> str:
        """``name@version``: unique among the label images of one reference image."""
        return f"{self.name}@{self.version}"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.levels[0].shape if self.levels else ()

    def instance_id(self, label_value: int) -> str:
        """The stable id of one object: ``<label-image-id>:<label value>``."""
        return f"{self.id}:{label_value}"
