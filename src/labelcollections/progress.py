"""Progress reporting for long steps, decoupled from how it is shown.

The repository reports through a :class:`Progress`; the command line shows a bar, the Python
API stays silent unless the caller passes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Something that can show a task of ``total`` steps being done."""

    def task(self, description: str, total: int) -> AbstractContextManager[Advance]:
        """A context manager yielding a function that advances the task by n steps."""
        ...


class SilentProgress:
    """Progress that shows nothing: the default of the Python API."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        def advance(steps: int = 1) -> None:
            return None

        yield advance
