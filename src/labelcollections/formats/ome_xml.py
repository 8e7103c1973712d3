"""OME-XML, as OME-TIFF files carry it and bioformats2raw stores keep it in
``OME/METADATA.ome.xml``: the physical pixel sizes and channels of the first image, and the
metadata-only form that a Zarr store may hold (pixels live in Zarr, not in TIFF pages).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from labelcollections.errors import InputError
from labelcollections.model.images import Channel

UNITS = {"µm": "micrometer", "um": "micrometer", "nm": "nanometer", "mm": "millimeter"}
"""OME's unit symbols as NGFF (UDUNITS-2) names."""
PIXEL_DATA = ("TiffData", "BinData", "MetadataOnly")
METADATA_FILE = "METADATA.ome.xml"
OME_GROUP = "OME"


def _parse(document: str, source: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise InputError(source, "OME-XML", f"well-formed XML ({error})") from None


def _namespace(root: ElementTree.Element) -> str:
    return root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""


def _first_pixels(root: ElementTree.Element) -> ElementTree.Element | None:
    ns = _namespace(root)
    return root.find(f"{ns}Image/{ns}Pixels")


def physical_sizes(document: str, source: str) -> tuple[dict[str, float], dict[str, str]]:
    """Pixel sizes (by NGFF axis name) and their units from the first image's ``Pixels``."""
    pixels = _first_pixels(_parse(document, source))
    sizes: dict[str, float] = {}
    units: dict[str, str] = {}
    if pixels is None:
        return sizes, units
    for axis in ("x", "y", "z"):
        value = pixels.get(f"PhysicalSize{axis.upper()}")
        if value is None:
            continue
        try:
            sizes[axis] = float(value)
        except ValueError:
            raise InputError(
                source, f"Pixels.PhysicalSize{axis.upper()}", f"a number (got {value!r})"
            ) from None
        unit = pixels.get(f"PhysicalSize{axis.upper()}Unit", "µm")
        units[axis] = UNITS.get(unit, unit)
    return sizes, units


def channels(document: str, source: str) -> tuple[Channel, ...]:
    """Names and colours (OME's signed RGBA integer as ``RRGGBB``) of the first image's
    channels; none when no channel has a name or a colour (nothing worth keeping)."""
    pixels = _first_pixels(root := _parse(document, source))
    if pixels is None:
        return ()
    found = []
    for channel in pixels.findall(f"{_namespace(root)}Channel"):
        colour = channel.get("Color")
        try:
            hex_colour = f"{(int(colour) & 0xFFFFFFFF) >> 8:06X}" if colour else None
        except ValueError:
            raise InputError(source, "Channel.Color", f"an integer (got {colour!r})") from None
        found.append(Channel(name=channel.get("Name"), color=hex_colour))
    if all(channel.name is None and channel.color is None for channel in found):
        return ()
    return tuple(found)


def metadata_only(document: str, source: str) -> str:
    """The document with every image's pixel data references (``TiffData``, ``BinData``)
    replaced by ``MetadataOnly``, as bioformats2raw's ``METADATA.ome.xml`` must be."""
    root = _parse(document, source)
    ns = _namespace(root)
    if ns:
        ElementTree.register_namespace("", ns[1:-1])
    for pixels in root.iter(f"{ns}Pixels"):
        children = list(pixels)
        data = [i for i, c in enumerate(children) if c.tag.removeprefix(ns) in PIXEL_DATA]
        channel = [i + 1 for i, c in enumerate(children) if c.tag == f"{ns}Channel"]
        position = data[0] if data else max(channel, default=0)
        for index in reversed(data):
            pixels.remove(children[index])
        # The schema's order: Channel*, then the pixel data (here MetadataOnly), then Plane*.
        pixels.insert(position, ElementTree.Element(f"{ns}MetadataOnly"))
    text: str = ElementTree.tostring(root, encoding="unicode", xml_declaration=True)
    return text
