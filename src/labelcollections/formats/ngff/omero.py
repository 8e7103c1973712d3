"""NGFF ``omero`` rendering metadata: channel names, colours and display windows.

Written when an image's channels are known (an OME-TIFF's names and colours), so viewers show
the channels as the microscope named them. The window spans the pixel type's range; readers
take names and colours back and ignore the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelcollections.model.images import Channel

DEFAULT_COLOUR = "FFFFFF"


def omero_metadata(channels: Sequence[Channel], dtype: str) -> dict[str, Any]:
    """The ``omero`` object for ``channels`` of pixels of type ``dtype``."""
    kind = np.dtype(dtype)
    low, high = (
        (float(np.iinfo(kind).min), float(np.iinfo(kind).max)) if kind.kind in "ui" else (0.0, 1.0)
    )
    window = {"min": low, "max": high, "start": low, "end": high}
    entries = []
    for channel in channels:
        entry: dict[str, Any] = {"color": channel.color or DEFAULT_COLOUR, "window": dict(window)}
        if channel.name is not None:
            entry["label"] = channel.name
        entries.append({**entry, "active": True})
    return {"channels": entries}


def channels_from_omero(omero: Any) -> tuple[Channel, ...] | None:
    """Channel names and colours of third-party ``omero`` metadata (lenient: a colour that is
    not ``RRGGBB`` is left out), or None when it lists no channels."""
    entries = omero.get("channels") if isinstance(omero, Mapping) else None
    if not isinstance(entries, Sequence) or isinstance(entries, str) or not entries:
        return None
    channels = []
    for entry in entries:
        entry = entry if isinstance(entry, Mapping) else {}
        label = entry.get("label")
        colour = entry.get("color")
        valid = isinstance(colour, str) and len(colour) == 6 and _is_hex(colour)
        channels.append(
            Channel(
                name=label if isinstance(label, str) else None,
                color=colour.upper() if valid and isinstance(colour, str) else None,
            )
        )
    return tuple(channels)


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
