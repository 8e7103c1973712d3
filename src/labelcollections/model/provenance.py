"""Provenance: how a label image or a collection was made, by whom, from what."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from labelcollections.errors import InputError
from labelcollections.model.parsing import validate_model
from labelcollections.model.records import RECORD_CONFIG, JsonObject
from labelcollections.model.vocabulary import Method

TIME_EXPECTED = "a time with a UTC offset (ISO 8601, e.g. 2026-01-31T12:00:00Z)"


def _written_time(value: object) -> object:
    """Times come as ISO 8601 text (or as datetimes, from code), never as numbers."""
    if not isinstance(value, str | datetime):
        raise ValueError(TIME_EXPECTED)
    return value


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(TIME_EXPECTED)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{TIME_EXPECTED}, within the years 1 to 9999 in UTC") from None


UtcDateTime = Annotated[datetime, BeforeValidator(_written_time), AfterValidator(_as_utc)]
Sha256 = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
ModelDigest = Annotated[str, Field(pattern=r"^(sha256:)?[0-9a-fA-F]{64}$")]
"""A model file's SHA-256: 64 hex digits, optionally prefixed ``sha256:``."""


def utc_now() -> datetime:
    """The current time in UTC, at whole milliseconds so every home stores it exactly."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Provenance(BaseModel):
    """Who made a label image, how, with what and from which pixels.

    ``content_hash`` and ``reference_hash`` are ``sha256:<hex>`` digests of level-0 pixels (see
    docs/format.md for the byte order), so a copy anywhere can be checked against its origin.
    """

    model_config = RECORD_CONFIG

    method: Method
    software: str | None = None
    software_version: str | None = None
    author: str | None = None
    created: UtcDateTime = Field(default_factory=utc_now)
    parameters: JsonObject = Field(default_factory=dict)
    model_name: str | None = None
    model_version: str | None = None
    model_sha256: ModelDigest | None = None
    training_data: str | None = None
    reference_hash: Sha256 | None = None
    content_hash: Sha256 | None = None
    derived_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON, leaving out fields that are unset (None or empty)."""
        data = self.model_dump(mode="json", exclude_none=True)
        if not self.parameters:
            data.pop("parameters", None)
        return data


def parse_software(spec: str) -> tuple[str, str | None]:
    """Split ``name==version`` (pip style) or ``name`` into its parts."""
    name, _, version = spec.partition("==")
    return name.strip(), (version.strip() or None)


def split_label_type(
    document: object, source: str | None, label_type: str | None
) -> tuple[str, dict[str, Any]]:
    """A new label image's type and the provenance fields of a provenance document.

    ``document`` is the parsed JSON of a provenance file named ``source`` (``{}`` without one);
    besides provenance fields it may carry ``label_type``, used when ``label_type`` is not given.
    A missing type is named by the command-line option that supplies it.
    """
    if not isinstance(document, dict):
        raise InputError(str(source), "<root>", "a JSON object of provenance fields")
    fields: dict[str, Any] = dict(document)
    if label_type is None:
        label_type = fields.pop("label_type", None)
    if label_type is None:
        raise InputError("--type", "type", "one of semantic, instance, panoptic")
    return label_type, fields


def merge_provenance(
    document: Mapping[str, Any], source: str | None, options: Mapping[str, Any]
) -> Provenance:
    """A provenance from the fields of a document (read from ``source``) and single options.

    ``options`` are provenance fields given one by one (None: not given); they override the
    document's. ``software`` may be ``name==version``. A missing method is named by the
    command-line option that supplies it.
    """
    overrides = {key: value for key, value in options.items() if key != "software"}
    software = options.get("software")
    if software:
        overrides["software"], overrides["software_version"] = parse_software(software)
    fields = {**document, **{key: value for key, value in overrides.items() if value is not None}}
    if "method" not in fields:
        raise InputError("--method", "method", f"one of {', '.join(m.value for m in Method)}")
    return validate_model(Provenance, fields, source or "provenance options")
