"""Overlay tiles of a uint32 label image: rendering and serving them vs reading the raw chunk.

A synthetic ``size``×``size`` uint32 instance label image goes into a fresh repository (1024×1024
chunks, Blosc lz4, as every label image). For 512×512 tiles of level 0 and of a coarse level:

* peer: reading the tile's region with zarr alone (``array[rows, columns]``, which decodes the
  chunk holding it);
* ours in process: the server's own tile function (read through a chunk cache that is switched
  off, so every tile decodes its chunk; colour lookup table; PNG);
* ours over HTTP: ``GET /api/labels/<id>/tiles/<level>/<x>/<y>.png`` on a uvicorn server on
  127.0.0.1 whose chunk cache is also off, one request at a time.

Peer and HTTP requests alternate tile by tile, so both see the same machine, after one untimed
pass over the tiles. Then a bounded load
(a fixed number of requests from a pool of threads, each with its own httpx client, under a time
cap) runs against the server as ``labelcollections serve`` starts it, with fill and outline
tiles of every level in PNG and WebP; any error fails the run. The last line is
``RATIO name=tiles value=<peer p50 / HTTP tile p50> peer=zarr raw chunk read target=0.5``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository
from labelcollections.server.context import ServerContext
from labelcollections.server.encoding import TileFormat
from labelcollections.server.planes import Plane, Tile
from labelcollections.server.tile_api import render_label_tile
from labelcollections.server.tiles import Mode
from synthetic import make_labels
from write_labels import reference_image

TILE = 512
TARGET = 0.5
SERVER = """
import sys, uvicorn
from labelcollections.server import create_app
uvicorn.run(create_app(sys.argv[1], chunk_cache_bytes=int(sys.argv[3])), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(repo: Path, cache_bytes: int | None) -> Iterator[str]:
    """uvicorn on 127.0.0.1 (chunk cache of ``cache_bytes``, or as ``serve`` starts it)."""
    port = free_port()
    if cache_bytes is None:
        command = [str(Path(sys.executable).parent / "labelcollections"), "serve", str(repo)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [sys.executable, "-c", SERVER, str(repo), str(port), str(cache_bytes)]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/api/images", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    raise RuntimeError(f"server did not start: {errors.read().decode()}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def files_per_level(arrays: list[Any]) -> list[int]:
    """How many chunk or shard files each level's array holds."""
    counts = []
    for array in arrays:
        folder = Path(array.store_path.store.root) / array.store_path.path / "c"
        counts.append(sum(1 for path in folder.rglob("*") if path.is_file()))
    return counts


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def tiles_of(shape: tuple[int, ...], level: int, count: int, seed: int) -> list[Tile]:
    """Up to ``count`` full 512×512 tiles of a level, spread over it (fixed seed)."""
    rows, columns = shape[-2] // TILE, shape[-1] // TILE
    every = [Tile(level, x, y, TILE) for y in range(rows) for x in range(columns)]
    if len(every) <= count:
        return every
    chosen = np.random.default_rng(seed).choice(len(every), count, replace=False)
    return [every[i] for i in sorted(chosen)]


def raw_read(array: Any, tile: Tile) -> np.ndarray:
    y, x = tile.y * TILE, tile.x * TILE
    return np.asarray(array[..., y : y + TILE, x : x + TILE])


def measure_latency(
    repo: Path, label_id: str, arrays: list[Any], tiles: list[Tile], rounds: int
) -> dict[str, list[float]]:
    """Seconds per tile: raw zarr read, in-process render and HTTP request, interleaved."""
    times: dict[str, list[float]] = {"raw": [], "render": [], "http": []}
    with Repository.open(repo) as repository:
        context = ServerContext(repository, chunk_cache_bytes=0)
        label = context.label(label_id)
        with server(repo, cache_bytes=0) as url, httpx.Client(base_url=url) as client:
            # One untimed pass first: imports, lookups and the page cache warm up for both.
            for round_index in range(rounds + 1):
                for tile in tiles:
                    start = time.perf_counter()
                    raw_read(arrays[tile.level], tile)
                    times["raw"].append(time.perf_counter() - start)
                    start = time.perf_counter()
                    render_label_tile(context, label, tile, Plane(), Mode.FILL, TileFormat.PNG)
                    times["render"].append(time.perf_counter() - start)
                    path = f"/api/labels/{label_id}/tiles/{tile.level}/{tile.x}/{tile.y}.png"
                    start = time.perf_counter()
                    response = client.get(path)
                    times["http"].append(time.perf_counter() - start)
                    if response.status_code != 200 or not response.content.startswith(b"\x89PNG"):
                        raise RuntimeError(f"{path}: {response.status_code}")
                if round_index == 0:
                    times = {key: [] for key in times}
    return times


def load(
    url: str, paths: list[str], requests: int, workers: int, time_cap: float
) -> tuple[list[float], int, int, float]:
    """A bounded load: ``requests`` GETs from ``workers`` threads, stopping at ``time_cap``.

    Returns the latencies, the number of errors, the number of requests sent and the seconds.
    """
    rng = np.random.default_rng(11)
    order = [paths[i] for i in rng.integers(0, len(paths), requests)]
    per_worker = [order[i::workers] for i in range(workers)]
    deadline = time.monotonic() + time_cap

    def worker(mine: list[str]) -> tuple[list[float], int, int]:
        latencies, errors, sent = [], 0, 0
        with httpx.Client(base_url=url, timeout=30) as client:
            for path in mine:
                if time.monotonic() > deadline:
                    break
                sent += 1
                start = time.perf_counter()
                try:
                    response = client.get(path)
                    if response.status_code != 200 or not response.content:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - start)
        return latencies, errors, sent

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(worker, per_worker))
    elapsed = time.perf_counter() - start
    latencies = [value for result in results for value in result[0]]
    return latencies, sum(r[1] for r in results), sum(r[2] for r in results), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="height and width (default 8192)")
    parser.add_argument("--tiles", type=int, default=48, help="level-0 tiles timed (default 48)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the tiles")
    parser.add_argument("--requests", type=int, default=800, help="requests of the load")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients of the load")
    parser.add_argument("--time-cap", type=float, default=60.0, help="seconds the load may run")
    parser.add_argument(
        "--shards", type=int, default=0, help="shard edge of the label image (default: none)"
    )
    args = parser.parse_args(argv)
    if args.size < 2 * TILE or min(args.tiles, args.rounds, args.requests, args.workers) < 1:
        parser.error(f"--size must be at least {2 * TILE}; counts at least 1")

    start = time.perf_counter()
    labels, instances = make_labels(args.size)
    print(
        f"label image {args.size}×{args.size} uint32, {instances} instances"
        f" (built in {time.perf_counter() - start:.1f} s)"
    )
    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="bench-tiles-") as tmp:
        warnings.simplefilter("ignore")
        repo = Path(tmp) / "repo"
        with Repository.init(repo) as repository:
            repository.add_image(reference_image(labels), "reference", axes=("y", "x"))
            label = repository.add_labels(
                "reference",
                labels,
                collection="cells",
                name="cells",
                label_type="instance",
                provenance=Provenance(method="algorithm", software="tiles benchmark"),
                shards=args.shards,
            )
            arrays = repository.label_levels(label)
        del labels
        shapes = [level.shape for level in label.levels]
        # The coarsest level with several tiles (or else with one): shrunk, yet tiled.
        tiled = [i for i, shape in enumerate(shapes) if i > 0 and min(shape[-2:]) >= TILE]
        several = [i for i in tiled if min(shapes[i][-2:]) >= 2 * TILE]
        coarse = max(several or tiled)
        timed = tiles_of(shapes[0], 0, args.tiles, 1) + tiles_of(shapes[coarse], coarse, 16, 2)
        print(
            f"levels: {len(shapes)}; timed: {sum(t.level == 0 for t in timed)} tiles of level 0"
            f" {shapes[0]} and {sum(t.level == coarse for t in timed)} of level {coarse}"
            f" {shapes[coarse]}, {args.rounds} rounds; chunks {arrays[0].chunks},"
            f" shards {arrays[0].shards}; files per level: {files_per_level(arrays)}"
        )
        times = measure_latency(repo, label.id, arrays, timed, args.rounds)

        paths = [
            f"/api/labels/{label.id}/tiles/{level}/{x}/{y}.{fmt}?mode={mode}"
            for level, shape in enumerate(shapes)
            for y in range(-(-shape[-2] // TILE))
            for x in range(-(-shape[-1] // TILE))
            for mode in ("fill", "outline")
            for fmt in ("png", "webp")
        ]
        with server(repo, cache_bytes=None) as url:
            latencies, errors, sent, elapsed = load(
                url, paths, args.requests, args.workers, args.time_cap
            )

    rounds_per_level = len(timed) * args.rounds
    print(f"{'512×512 tile, p50 ms':<44}{'all':>8}{'level 0':>9}{'coarse':>9}")
    for name, key in (
        ("zarr raw chunk read (peer)", "raw"),
        ("render in process (no chunk cache)", "render"),
        ("HTTP GET .png (no chunk cache)", "http"),
    ):
        values = times[key]
        level0 = [v for i, v in enumerate(values) if timed[i % len(timed)].level == 0]
        rest = [v for i, v in enumerate(values) if timed[i % len(timed)].level != 0]
        print(
            f"{name:<44}{percentile(values, 50):>8.2f}"
            f"{percentile(level0, 50):>9.2f}{percentile(rest, 50):>9.2f}"
        )
    assert len(times["raw"]) == rounds_per_level
    print(
        f"load: {sent} of {args.requests} requests from {args.workers} clients in {elapsed:.1f} s"
        f" ({sent / elapsed:.0f}/s), p50 {percentile(latencies, 50):.1f} ms,"
        f" p95 {percentile(latencies, 95):.1f} ms, errors {errors}"
    )
    if errors or sent == 0:
        print("errors under load; no ratio", file=sys.stderr)
        return 1
    ratio = statistics.median(times["raw"]) / statistics.median(times["http"])
    print(f"RATIO name=tiles value={ratio:.2f} peer=zarr raw chunk read target={TARGET}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
