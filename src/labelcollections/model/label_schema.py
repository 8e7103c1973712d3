"""Label schema: what each label value means (class name, colour, extra properties)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, Field, JsonValue, field_validator

from labelcollections.errors import InputError
from labelcollections.model.parsing import validate_model
from labelcollections.model.records import RECORD_CONFIG, JsonObject

INTEGER_KEY = re.compile(r"-?[0-9]{1,20}")
Channel = Annotated[int, Field(ge=0, le=255, strict=True)]
LABEL_VALUE_RANGE = (-(2**63), 2**64 - 1)
"""Label values any NGFF label type can hold: int64's minimum to uint64's maximum."""
LabelValue = Annotated[int, Field(ge=LABEL_VALUE_RANGE[0], le=LABEL_VALUE_RANGE[1], strict=True)]
Rgba = tuple[Channel, Channel, Channel, Channel]


class LabelClass(BaseModel):
    """One label value and what it stands for."""

    model_config = RECORD_CONFIG

    value: LabelValue
    name: Annotated[str, Field(min_length=1)] | None = None
    color: Rgba | None = None
    properties: JsonObject = Field(default_factory=dict)

    @field_validator("properties")
    @classmethod
    def _no_reserved_keys(cls, properties: dict[str, JsonValue]) -> dict[str, JsonValue]:
        """``class`` and ``label-value`` carry the name and value in NGFF ``properties``."""
        clash = properties and {"class", "label-value"} & properties.keys()
        if clash:
            raise ValueError(f"property {sorted(clash)[0]!r} is reserved (use name / value)")
        return properties


class LabelSchema(BaseModel):
    """The known label values of a label image, ordered by value.

    Values absent from the schema are still valid pixels (instance labels rarely list every
    object); the schema names classes and fixes colours where the user cares.
    """

    model_config = RECORD_CONFIG

    classes: tuple[LabelClass, ...] = ()

    @field_validator("classes")
    @classmethod
    def _unique_sorted(cls, classes: tuple[LabelClass, ...]) -> tuple[LabelClass, ...]:
        values = [c.value for c in classes]
        if len(set(values)) != len(values):
            duplicates = sorted({v for v in values if values.count(v) > 1})
            raise ValueError(f"label values must be unique (repeated: {duplicates})")
        return tuple(sorted(classes, key=lambda c: c.value))

    def class_names(self) -> list[str]:
        """The distinct class names, in value order."""
        names: list[str] = []
        for label_class in self.classes:
            if label_class.name is not None and label_class.name not in names:
                names.append(label_class.name)
        return names

    def get(self, value: int) -> LabelClass | None:
        """The class of ``value``, if the schema lists it."""
        return next((c for c in self.classes if c.value == value), None)


def parse_label_schema(data: Any, source: str) -> LabelSchema:
    """Read a classes file: ``{"1": "nucleus"}``, ``{"1": {"name": …, "color": […]}}`` or a list.

    The list form is ``[{"value": 1, "name": "nucleus", "color": [255, 0, 0, 255]}, …]``.
    """
    entries: list[dict[str, Any]]
    if isinstance(data, Mapping):
        entries = []
        for key, item in data.items():
            if not INTEGER_KEY.fullmatch(str(key)):
                raise InputError(source, f"{key!r}", "an integer label value as key")
            value = int(key)
            if isinstance(item, str):
                entry: dict[str, Any] = {"name": item}
            elif isinstance(item, Mapping):
                entry = dict(item)
            else:
                raise InputError(source, f"{key!r}", "a class name or an object of the class")
            if entry.setdefault("value", value) != value:
                raise InputError(source, f"{key}.value", f"the key's label value {value} or none")
            entries.append(entry)
    elif isinstance(data, list):
        entries = data
    else:
        raise InputError(source, "<root>", "an object {value: name} or a list of classes")
    return validate_model(LabelSchema, {"classes": entries}, source)
