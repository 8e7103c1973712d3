"""All or nothing: what a use case has written to OMERO so far, and how to take it back.

A push (or migrate) writes many objects one server call at a time. If any call fails, the
objects written before it are deleted and the annotations changed before it get their old
content back, in reverse order, before the error is raised: ``list``, ``find`` and ``pull``
never see a half-written push, and pushing again starts from the state before (docs/omero.md,
"All or nothing"). Each gateway write is atomic itself (the adapter undoes a compound write
that fails part way), so the steps recorded here are whole objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from labelcollections.omero.gateway import MapAnnotation, OmeroGateway

__all__ = ["Undo", "all_or_nothing"]


class Undo:
    """The steps that take back what was written, newest last."""

    def __init__(self, gateway: OmeroGateway) -> None:
        self._gateway = gateway
        self._steps: list[tuple[str, Callable[[], None]]] = []

    def created(self, kind: str, object_id: int) -> None:
        """An object (with what hangs on it) was created: delete it."""
        self._steps.append(
            (f"delete {kind}:{object_id}", lambda: self._gateway.delete(kind, [object_id]))
        )

    def changed(self, annotation: MapAnnotation) -> None:
        """A map annotation's pairs are about to change: put these back."""
        self._steps.append(
            (
                f"restore MapAnnotation:{annotation.id}",
                lambda: self._restore_pairs(annotation),
            )
        )

    def replaced(self, annotation_id: int, data: bytes) -> None:
        """A file annotation's content is about to change: put ``data`` back."""
        self._steps.append(
            (
                f"restore FileAnnotation:{annotation_id}",
                lambda: self._restore_file(annotation_id, data),
            )
        )

    def run(self) -> list[str]:
        """Take everything back, newest first; the steps that failed, named."""
        failed = []
        for name, step in reversed(self._steps):
            try:
                step()
            except Exception as error:  # each step is tried, whatever the others do
                failed.append(f"{name} ({error})")
        self._steps.clear()
        return failed

    def _restore_pairs(self, annotation: MapAnnotation) -> None:
        self._gateway.update_map_annotation(annotation.id, annotation.pairs)

    def _restore_file(self, annotation_id: int, data: bytes) -> None:
        self._gateway.replace_file_annotation(annotation_id, data)


@contextmanager
def all_or_nothing(gateway: OmeroGateway) -> Iterator[Undo]:
    """Run writes that are taken back if any of them fails."""
    undo = Undo(gateway)
    try:
        yield undo
    except BaseException as error:
        failed = undo.run()
        if failed:
            error.add_note(f"could not take back: {'; '.join(failed)}")
        raise
