"""Label collections: named groups of label images that refer to the same reference image."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from labelcollections.model.names import check_display_name
from labelcollections.model.provenance import Provenance
from labelcollections.model.records import RECORD_CONFIG, JsonObject


class LabelCollection(BaseModel):
    """A named, ordered group of label images of one reference image.

    A label image may be a member of several collections; membership is by label image id.
    ``attributes`` keeps prefixed attributes of other tools verbatim.
    """

    model_config = RECORD_CONFIG

    id: str
    name: str
    image_id: str
    description: str | None = None
    provenance: Provenance | None = None
    members: tuple[str, ...] = ()
    omero_collection_id: int | None = None
    attributes: JsonObject = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_display_name(name, "collection")

    @field_validator("members")
    @classmethod
    def _unique_members(cls, members: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(members)) != len(members):
            raise ValueError("a label image is listed twice in the collection")
        return members

    def with_member(self, label_image_id: str) -> LabelCollection:
        """A copy with one more member (no change if it is already there)."""
        if label_image_id in self.members:
            return self
        return self.model_copy(update={"members": (*self.members, label_image_id)})
