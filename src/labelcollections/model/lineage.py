"""Versions of label images: each names the one it was derived from, and the chain of versions
must end. A cycle (a label image derived from itself, or two from each other) is refused
wherever records come in, so lineage queries always terminate."""

from __future__ import annotations

from collections.abc import Mapping

from labelcollections.errors import InputError


def check_lineage(parents: Mapping[str, str | None], source: str) -> None:
    """Refuse a cycle in ``parents`` (label image id → the id it was derived from)."""
    finished: set[str] = set()
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in finished:
            if node in on_path:
                cycle = " → ".join([*path[path.index(node) :], node])
                raise InputError(
                    source, "provenance.derived_from", f"versions without a cycle ({cycle})"
                )
            path.append(node)
            on_path.add(node)
            node = parents.get(node)
        finished.update(path)
