"""Where ingest runs: a Dask scheduler given by address, or a LocalCluster sized to the machine.

Dask distributed is the engine (every HPC centre and cloud can start one, with dask-jobqueue,
dask-kubernetes or Coiled); nothing here schedules work itself. Workers must see the
repository's folder at the same path (a shared file system) and the files the manifest names;
the OME-Zarr stores may be local to that folder or on object storage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster

from labelcollections.errors import InputError
from labelcollections.storage.split import Runner

__all__ = ["connected", "local_workers", "mapped_on"]

CONNECT_SECONDS = 20


def local_workers() -> int:
    """One worker process per core: pixel work is CPU-bound and mostly holds the GIL."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def connected(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://host:port``), or of a LocalCluster
    of ``workers`` single-threaded worker processes (default: one per core), closed after."""
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError(
                scheduler, "--scheduler", f"the address of a running Dask scheduler ({error})"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    count = workers or local_workers()
    with (
        LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def mapped_on(client: Client) -> Runner:
    """A runner computing ``function(*item)`` for each item as a task of ``client``'s cluster
    (``Repository.verify``'s, and a split write's, ``runner``)."""

    def run(function: Callable[..., Any], items: Sequence[tuple[Any, ...]]) -> list[Any]:
        futures = [client.submit(function, *item, pure=False) for item in items]
        results: list[Any] = client.gather(futures)
        return results

    return run
