"""What the server keeps between requests: the repository and what it derived from it.

Pixels and metadata are read through the repository facade. Images and label images never
change once written (a new version is a new label image), so what is derived from one of them
(its arrays, colour table, default contrast) is kept for the life of the server, keyed by id.
Lists and searches are answered by the repository each time, so additions show up at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from labelcollections.instances import Comparison
from labelcollections.model.images import LabelImage, ReferenceImage
from labelcollections.repository import Repository
from labelcollections.server.chunks import ChunkCache
from labelcollections.server.tiles import ChannelRendering, LabelPalette, default_rendering
from labelcollections.storage.ome_zarr_store import ZarrArray

T = TypeVar("T")
CHUNK_CACHE_BYTES = 512 * 1024 * 1024


class Memo:
    """Values made once per key, safe to share between request threads: concurrent requests
    for the same key wait for one computation (a comparison runs once, not once per tile)."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                found: T = self._values[key]
                return found
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._values:
                    done: T = self._values[key]
                    return done
            value = make()
            with self._lock:
                self._values[key] = value
                self._making.pop(key, None)
        return value

    def peek(self, key: Hashable) -> Any:
        with self._lock:
            return self._values.get(key)


class InstanceRows:
    """A label image's instance table, indexed by label value for lookups under the pointer."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        values = table.column("label").to_numpy()
        self._order = np.argsort(values, kind="stable")
        self._values = values[self._order]

    def row(self, value: int) -> dict[str, Any] | None:
        position = int(np.searchsorted(self._values, value))
        if position == self._values.size or int(self._values[position]) != value:
            return None
        found: dict[str, Any] = self.table.slice(int(self._order[position]), 1).to_pylist()[0]
        return found


class ServerContext:
    """The open repository with the server's caches."""

    def __init__(self, repository: Repository, chunk_cache_bytes: int = CHUNK_CACHE_BYTES) -> None:
        self.repository = repository
        self.chunks = ChunkCache(chunk_cache_bytes)
        self.memo = Memo()

    def image(self, reference: str) -> ReferenceImage:
        """An image by name or id (ids are answered from memory after the first time)."""
        known = self.memo.peek(("image", reference))
        if isinstance(known, ReferenceImage):
            return known
        image = self.repository.image(reference)
        return self.memo.get(("image", image.id), lambda: image)

    def label(self, reference: str) -> LabelImage:
        """A label image by id, ``name@version`` or ``image/name@version``."""
        known = self.memo.peek(("label", reference))
        if isinstance(known, LabelImage):
            return known
        label = self.repository.label_image(reference)
        return self.memo.get(("label", label.id), lambda: label)

    def image_arrays(self, image: ReferenceImage) -> list[ZarrArray]:
        return self.memo.get(
            ("image-arrays", image.id), lambda: self.repository.image_levels(image)
        )

    def label_arrays(self, label: LabelImage) -> list[ZarrArray]:
        return self.memo.get(
            ("label-arrays", label.id), lambda: self.repository.label_levels(label)
        )

    def palette(self, label: LabelImage) -> LabelPalette:
        return self.memo.get(("palette", label.id), lambda: LabelPalette(label.label_schema))

    def rendering(self, image: ReferenceImage) -> tuple[ChannelRendering, ...]:
        """Default channel rendering, from the smallest pyramid level (first t, middle z)."""

        def make() -> tuple[ChannelRendering, ...]:
            names = image.axis_names
            smallest = self.image_arrays(image)[-1]
            selection: list[int | slice] = []
            for name, size in zip(names, smallest.shape, strict=True):
                selection.append(size // 2 if name == "z" else 0 if name == "t" else slice(0, size))
            overview = self.chunks.read(smallest, tuple(selection))
            if "c" not in names:
                overview = overview[None]
            return default_rendering(overview, image.dtype or str(overview.dtype))

        return self.memo.get(("rendering", image.id), make)

    def instance_rows(self, label: LabelImage) -> InstanceRows:
        return self.memo.get(
            ("rows", label.id),
            lambda: InstanceRows(self.repository.instance_table(label.id, store=False)),
        )

    def comparison(self, a: LabelImage, b: LabelImage, iou: float) -> Comparison:
        return self.memo.get(
            ("compare", a.id, b.id, iou),
            lambda: self.repository.compare(a.id, b.id, iou, record=False),
        )
