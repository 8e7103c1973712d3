"""OMERO: label collections stored, linked and queried on an OMERO server.

``masks`` converts label images to and from OMERO Mask shapes; the gateway port hides omero-py
so that everything above it runs against an in-memory server as well as a real one.
"""
