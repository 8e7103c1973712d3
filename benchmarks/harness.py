"""What every benchmark script shares: its command line and best-of-N timing."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def benchmark_parser(
    doc: str, repeats_help: str = "runs per side, best counts"
) -> argparse.ArgumentParser:
    """A parser with ``--size``, ``--repeats`` and ``--seed``, described by the script's first
    docstring line; scripts add their own options."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="height and width (default 8192)")
    parser.add_argument("--repeats", type=int, default=3, help=repeats_help)
    parser.add_argument("--seed", type=int, default=7, help="random seed of the label image")
    return parser


def check_size(parser: argparse.ArgumentParser, args: argparse.Namespace, smallest: int) -> None:
    if args.size < smallest or args.repeats < 1:
        parser.error(f"--size must be at least {smallest} and --repeats at least 1")


def best_time(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest of ``repeats`` runs, and the last run's result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result
