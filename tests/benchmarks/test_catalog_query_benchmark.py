"""The catalog benchmark runs end to end at a small size: the three sides agree on every query,
it times resolving each form of reference, and it prints its P95 lines and a well-formed
ratio."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

RATIO_LINE = re.compile(
    r"RATIO name=catalog_query value=\d+\.\d peer=omero-map-annotations target=20"
)


@pytest.mark.postgresql
def test_benchmark_agrees_with_the_peer_and_ends_with_the_ratio_line(
    run_benchmark: Callable[..., list[str]],
) -> None:
    lines = run_benchmark("catalog_query.py", "--images", "40", "--rounds", "1")
    assert RATIO_LINE.fullmatch(lines[-1]), lines[-1]
    names = [line.split()[1] for line in lines if line.startswith("P95 ")]
    assert names == [
        "name=find_postgresql", "name=find_sqlite", "name=find_omero_map_annotations"
    ]  # fmt: skip
    assert lines[0].split() == ["query", "matches"]
    assert sum(1 for line in lines if line.startswith("image=")) == 2 * 3
    start = next(n for n, line in enumerate(lines) if line.startswith("median ms to resolve"))
    resolved = lines[start + 1 : start + 7]
    assert [line.split(":")[0] for line in resolved] == [
        "label image <id>", "label image <name>@<version>", "label image <image>/<name>@<version>",
        "collection <id>", "collection <name>", "collection <image>/<name>",
    ]  # fmt: skip
    assert "nuclei@v1 (40 matching)" in resolved[1] and "segmentation (40 matching)" in resolved[4]
    assert lines[start + 7].startswith("P95 ")
