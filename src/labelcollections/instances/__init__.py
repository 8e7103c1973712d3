"""Objects of label images: per-instance tables and the comparison of two segmentations.

Everything here works block by block over any sliceable array (numpy, Zarr, dask) and merges the
per-block results exactly, so memory stays bounded and the result does not depend on the order in
which blocks are processed.
"""

from labelcollections.instances.compare import Comparison, compare_labels
from labelcollections.instances.table import instance_table

__all__ = ["Comparison", "compare_labels", "instance_table"]
