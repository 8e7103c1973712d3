"""Kill writers with SIGKILL at random instants and check that nothing is half-visible.

Each trial copies a small repository, starts one command (``add-labels``, ``import``,
``export``, ``add-table`` or ``collection add``, in turn) and kills it at an instant drawn
uniformly over that command's whole run (measured beforehand, so start-up, pixel writing and
publishing are all hit). Then it checks the invariant through the next use of the repository:
the change is visible everywhere (store, collection document, catalog) or nowhere, ``verify``
finds nothing wrong, and no store holds a label group or table the catalog does not know.
Finally it runs the command again, which must finish the job (or find it done).

Usage: ``python tools/crash_trials.py --trials 200 [--seed 1] [--workdir DIR]``. The last line
reads ``RESULT trials=N inconsistent=I retry_failed=R``; the exit code is 1 if I or R is not 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skimage.measure import label as connected_components

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

CLI = str(Path(sys.executable).parent / "labelcollections")
SIZE = 1536
"""Edge of the trial image: big enough that writing pixels takes about as long as start-up."""


@dataclass(frozen=True)
class Verb:
    """A command under trial: its arguments and the state it changes, seen from outside."""

    name: str
    arguments: Callable[[Path], list[str]]
    state: Callable[[Path], set[str]]
    """Where the change is visible: a subset of {"store", "document", "catalog"} (all or
    none is consistent), or {"partial"} for a visible half-written destination."""


def blobs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = rng.random((SIZE // 16, SIZE // 16)) > 0.6
    grown = np.kron(mask, np.ones((16, 16), dtype=bool))
    return connected_components(grown).astype(np.uint32)


def make_template(folder: Path) -> Path:
    """The repository every trial starts from, with the inputs its commands read."""
    rng = np.random.default_rng(0)
    repo = folder / "repo"
    with Repository.init(repo) as template:
        template.add_image(rng.integers(0, 255, size=(SIZE, SIZE), dtype=np.uint8), "img")
        template.add_labels(
            "img",
            blobs(1),
            collection="first",
            name="seg",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
    with Repository.init(folder / "elsewhere") as elsewhere:
        elsewhere.add_image(rng.integers(0, 255, size=(SIZE, SIZE), dtype=np.uint8), "other")
        elsewhere.add_labels(
            "other",
            blobs(3),
            collection="theirs",
            name="cells",
            label_type="instance",
            provenance=Provenance(method="manual"),
        )
        elsewhere.export("other", folder / "export-source.ome.zarr")
    shutil.rmtree(folder / "elsewhere")
    np.save(folder / "new.npy", blobs(2))
    labels = blobs(1)
    values = np.unique(labels[labels > 0])
    table = "label,size\n" + "".join(f"{v},{v * 2}\n" for v in values.tolist())
    (folder / "features.csv").write_text(table)
    return repo


def catalog_keys(repo: Path) -> tuple[Repository, set[str]]:
    opened = Repository.open(repo)  # the next use of the repository: it rolls back dead writers
    keys = {f"{opened.image(label.image_id).name}/{label.key}" for label in opened.label_images()}
    return opened, keys


def labels_state(repo: Path) -> set[str]:
    opened, keys = catalog_keys(repo)
    with opened:
        seen = set()
        store = opened.store_location(opened.image("img"))
        listed = json.loads((store / "labels" / "zarr.json").read_text())["attributes"]["ome"]
        if "new_v1" in listed["labels"] and (store / "labels" / "new_v1").is_dir():
            seen.add("store")
        documents = [json.loads(p.read_text()) for p in (store / "collections").glob("*.json")]
        names = [node["name"] for doc in documents for node in doc["ome"]["nodes"]]
        if "new@v1" in names:
            seen.add("document")
        if "img/new@v1" in keys:
            seen.add("catalog")
        _check_clean(opened, store)
        return seen


def import_state(repo: Path) -> set[str]:
    opened, _ = catalog_keys(repo)
    with opened:
        seen = set()
        if (repo / "images" / "copy.ome.zarr").is_dir():
            seen.add("store")
        if any(image.name == "copy" for image in opened.images()):
            seen.update({"catalog", "document"})
        for image in opened.images():
            _check_clean(opened, opened.store_location(image))
        return seen


def export_state(repo: Path) -> set[str]:
    target = repo.parent / "out.ome.zarr"
    if not target.exists():
        return set()
    labels = json.loads((target / "labels" / "zarr.json").read_text())["attributes"]["ome"]
    complete = (target / "zarr.json").is_file() and labels["labels"] == ["seg_v1"]
    return {"store", "document", "catalog"} if complete else {"partial"}


def table_state(repo: Path) -> set[str]:
    opened, _ = catalog_keys(repo)
    with opened:
        store = opened.store_location(opened.image("img"))
        listed = json.loads((store / "tables" / "zarr.json").read_text())["attributes"]
        seen = {"store", "document"} if "seg_v1.features" in listed["tables"] else set()
        if any(t.name == "seg_v1.features" for t in opened.tables("seg@v1")):
            seen.add("catalog")
        _check_clean(opened, store)
        return seen


def membership_state(repo: Path) -> set[str]:
    opened, _ = catalog_keys(repo)
    with opened:
        store = opened.store_location(opened.image("img"))
        seen = set()
        document = store / "collections" / "second.json"
        if document.is_file():
            nodes = json.loads(document.read_text())["ome"]["nodes"]
            if any(node["name"] == "seg@v1" for node in nodes):
                seen.update({"store", "document"})
        if any(c.name == "second" for c in opened.collections()):
            seen.add("catalog")
        _check_clean(opened, store)
        return seen


def _check_clean(opened: Repository, store: Path) -> None:
    """No problem for ``verify``; nothing in the store the catalog does not know."""
    if opened.verify():
        raise AssertionError("verify finds problems")
    known = {path for _, path in opened.catalog.label_images(None)}
    groups = {p.name for p in (store / "labels").iterdir() if p.is_dir() and p.name[0] != "."}
    if not groups <= known:
        raise AssertionError(f"label groups the catalog does not know: {groups - known}")


VERBS = (
    Verb(
        "add-labels",
        lambda data: [
            "add-labels",
            str(data / "repo"),
            "img",
            str(data / "new.npy"),
            "--collection",
            "second",
            "--name",
            "new",
            "--type",
            "instance",
            "--method",
            "manual",
        ],
        labels_state,
    ),
    Verb(
        "import",
        lambda data: [
            "import",
            str(data / "repo"),
            str(data / "export-source.ome.zarr"),
            "--name",
            "copy",
        ],
        import_state,
    ),
    Verb(
        "export",
        lambda data: ["export", str(data / "repo"), "img", str(data / "out.ome.zarr")],
        export_state,
    ),
    Verb(
        "add-table",
        lambda data: ["add-table", str(data / "repo"), "seg@v1", str(data / "features.csv")],
        table_state,
    ),
    Verb(
        "collection add",
        lambda data: ["collection", "add", str(data / "repo"), "second", "seg@v1"],
        membership_state,
    ),
)


def run(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *arguments], capture_output=True, text=True, check=False)


def duration(verb: Verb, template: Path, scratch: Path) -> float:
    """How long the command takes, uninterrupted."""
    data = fresh(template, scratch / f"measure-{verb.name}")
    started = time.monotonic()
    result = run(verb.arguments(data))
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{verb.name} fails without a kill: {result.stderr.strip()}")
    return elapsed


def fresh(template: Path, folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(template, folder, symlinks=True)
    return folder


def trial(verb: Verb, template: Path, folder: Path, instant: float) -> tuple[bool, bool]:
    """(consistent after the kill, the retry finished the job)."""
    data = fresh(template, folder)
    process = subprocess.Popen(
        [CLI, *verb.arguments(data)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(instant)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    try:
        seen = verb.state(data / "repo")
        consistent = seen in (set(), {"store", "document", "catalog"})
    except Exception as error:  # a broken state is an inconsistency, reported as such
        print(f"  {verb.name} at {instant:.2f}s: {type(error).__name__}: {error}")
        consistent, seen = False, set()
    retried = run(verb.arguments(data))
    done_before = retried.returncode == 2 and seen == {"store", "document", "catalog"}
    try:
        finished = verb.state(data / "repo") == {"store", "document", "catalog"}
    except Exception:
        finished = False
    return consistent, (retried.returncode == 0 or done_before) and finished


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    scratch = arguments.workdir or Path(tempfile.mkdtemp(prefix="crash-trials-"))
    scratch.mkdir(parents=True, exist_ok=True)
    template = scratch / "template"
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir()
    make_template(template)
    durations = {verb.name: duration(verb, template, scratch) for verb in VERBS}
    print("uninterrupted run:", ", ".join(f"{k} {v:.2f}s" for k, v in durations.items()),
          flush=True)  # fmt: skip
    inconsistent: Counter[str] = Counter()
    retry_failed: Counter[str] = Counter()
    for number in range(arguments.trials):
        verb = VERBS[number % len(VERBS)]
        instant = rng.uniform(0.0, durations[verb.name])
        consistent, retried = trial(verb, template, scratch / "trial", instant)
        inconsistent[verb.name] += not consistent
        retry_failed[verb.name] += not retried
        if not consistent or not retried:
            print(f"  trial {number}: {verb.name} killed at {instant:.2f}s:"
                  f" consistent={consistent} retry={retried}")  # fmt: skip
        if (number + 1) % 25 == 0:
            print(f"after {number + 1} trials: inconsistent={sum(inconsistent.values())}"
                  f" retry_failed={sum(retry_failed.values())}", flush=True)  # fmt: skip
    shutil.rmtree(scratch / "trial", ignore_errors=True)
    for verb in VERBS:
        print(f"{verb.name}: inconsistent={inconsistent[verb.name]}"
              f" retry_failed={retry_failed[verb.name]}")  # fmt: skip
    total_inconsistent = sum(inconsistent.values())
    total_failed = sum(retry_failed.values())
    print(f"RESULT trials={arguments.trials} inconsistent={total_inconsistent}"
          f" retry_failed={total_failed}")  # fmt: skip
    return 1 if total_inconsistent or total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
