"""RFC-8 "Collections" (OME-Zarr, v1 draft): document model, rules and path resolution.

Pure code: reading and writing files is left to the caller.
"""

from labelcollections.formats.rfc8.nodes import (
    CollectionNode,
    DocumentError,
    LabelAttribute,
    Labels,
    MultiscaleNode,
    Node,
    OpaqueNode,
    Path,
    Reference,
    SinglescaleNode,
    parse_document,
)
from labelcollections.formats.rfc8.paths import resolve_external, resolve_path
from labelcollections.formats.rfc8.rules import (
    RULES,
    RULES_SINCE,
    RuleViolation,
    check_document,
    rules_apply,
    validate_document,
)

__all__ = [
    "RULES",
    "RULES_SINCE",
    "CollectionNode",
    "DocumentError",
    "LabelAttribute",
    "Labels",
    "MultiscaleNode",
    "Node",
    "OpaqueNode",
    "Path",
    "Reference",
    "RuleViolation",
    "SinglescaleNode",
    "check_document",
    "parse_document",
    "resolve_external",
    "resolve_path",
    "rules_apply",
    "validate_document",
]
