"""Label values in the catalog's integer columns, which are signed 64-bit on both catalogs.

Label values range over int64 and uint64 (-2**63 to 2**64-1): 65 bits, one more than any SQL
integer holds. A label image's values are either signed or unsigned, never both, so each is
stored as its 64 bits read as an int64: uint64 values from 2**63 up become negative, every
other value stays as it is, and (label image, value) stays unique. Reading back needs the
label image's dtype to turn those negative values back.
"""

from __future__ import annotations

__all__ = ["label_value", "stored_value"]

_WRAP = 2**64
_FIRST_WRAPPED = 2**63


def stored_value(value: int) -> int:
    """What the catalog stores for the label value ``value``."""
    return value - _WRAP if value >= _FIRST_WRAPPED else value


def label_value(stored: int, dtype: str | None) -> int:
    """The label value a label image of ``dtype`` has where the catalog stores ``stored``."""
    return stored + _WRAP if stored < 0 and dtype == "uint64" else stored
