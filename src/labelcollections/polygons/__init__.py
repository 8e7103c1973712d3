"""Label images as polygons and back: exact pixel-edge outlines, traced and filled block by block.

:func:`trace_outlines` finds every object's outline (holes and several pieces included) in one
pass over the pixels; :func:`rasterise` turns polygons back into label pixels. Outlines of a
label image rasterise back to the same pixels, bit for bit.
"""

from labelcollections.polygons.outlines import Outlines
from labelcollections.polygons.tracing import trace_outlines

__all__ = ["Outlines", "trace_outlines"]
