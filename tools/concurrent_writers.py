"""Rounds of concurrent ``add-labels`` processes on one repository, half into one shared
collection: every label image must end up in the store, its collection documents and the
catalog, and ``verify`` and ``reindex`` must pass.

Usage: ``python tools/concurrent_writers.py [--writers 8] [--rounds 10] [--catalog URL |
--postgresql]`` (default: SQLite in the repository; a ``postgresql://`` URL, or
``--postgresql`` for a throw-away PostgreSQL server started on 127.0.0.1 and removed after).
The last line reads ``RESULT writers=W rounds=R failed=F missing=M``; the exit code is 1 if F
or M is not 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from labelcollections.catalog.local_server import LocalPostgres
from labelcollections.repository import Repository

CLI = str(Path(sys.executable).parent / "labelcollections")
SHAPE = (512, 512)


def label_file(folder: Path, number: int) -> Path:
    rng = np.random.default_rng(number)
    pixels = (rng.random(SHAPE) > 0.995).astype(np.uint16).cumsum().reshape(SHAPE)
    path = folder / f"labels{number}.npy"
    np.save(path, pixels)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--catalog", help="catalog URL (default: SQLite in the repository)")
    parser.add_argument("--postgresql", action="store_true", help="on a throw-away PostgreSQL")
    arguments = parser.parse_args()
    if not arguments.postgresql:
        return trial(arguments.writers, arguments.rounds, arguments.catalog)
    server = LocalPostgres.start()
    try:
        return trial(arguments.writers, arguments.rounds, server.create_database())
    finally:
        server.stop()


def trial(writers: int, rounds: int, catalog: str | None) -> int:
    folder = Path(tempfile.mkdtemp(prefix="concurrent-writers-"))
    root = folder / "repo"
    with Repository.init(root, catalog=catalog) as repository:
        repository.add_image(np.zeros(SHAPE, np.uint8), "img")
    expected: dict[str, str] = {}
    failed = 0
    for round_number in range(rounds):
        processes = []
        for writer in range(writers):
            number = round_number * writers + writer
            collection = "shared" if writer % 2 == 0 else f"own {number}"
            expected[f"cells{number}@v1"] = collection
            command = [CLI, "add-labels", str(root), "img", str(label_file(folder, number)),
                       "--collection", collection, "--name", f"cells{number}",
                       "--type", "instance", "--method", "manual"]  # fmt: skip
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True))  # fmt: skip
        for process in processes:
            _, error = process.communicate()
            if process.returncode != 0:
                failed += 1
                print(f"round {round_number}: exit {process.returncode}: {error.strip()}")
    missing = 0
    with Repository.open(root) as repository:
        labels = {label.key: label for label in repository.label_images()}
        store = repository.store_location(repository.image("img"))
        listed = json.loads((store / "labels" / "zarr.json").read_text())["attributes"]["ome"]
        documents = [json.loads(p.read_text()) for p in (store / "collections").glob("*.json")]
        members = {
            (document["ome"]["name"], node["name"])
            for document in documents
            for node in document["ome"]["nodes"][1:]
        }
        for key, collection in expected.items():
            label = labels.get(key)
            present = (
                label is not None
                and repository.label_path(label) in listed["labels"]
                and (collection, key) in members
                and label.id in repository.collection(f"img/{collection}").members
            )
            missing += not present
        problems = repository.verify()
        before = repository.catalog.dump()
        repository.reindex()
        rebuilt_equal = repository.catalog.dump() == before
    print(f"label images: {len(labels)} of {len(expected)}; verify problems: {len(problems)};"
          f" reindex changes nothing: {rebuilt_equal}")  # fmt: skip
    missing += len(problems) + (not rebuilt_equal)
    print(f"RESULT writers={writers} rounds={rounds} failed={failed}"
          f" missing={missing}")  # fmt: skip
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
