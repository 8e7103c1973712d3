"""OMERO: label collections stored, linked and queried on an OMERO server.

``gateway`` is the port the use cases talk to, ``blitz`` its implementation on omero-py,
``tables`` the OMERO.tables columns of arrow tables, ``masks`` label images ↔ Mask shapes,
``polygons`` label images ↔ Polygon shapes and ``testing`` an OMERO server in memory at the Ice
service boundary, for tests and demos. Only ``gateway``, ``masks`` and ``polygons`` work without
omero-py; import the others by their module.
"""

__all__: list[str] = []
