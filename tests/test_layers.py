"""Layers import downward only (DESIGN.md): a module may import its own layer and those below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "labelcollections"

LAYERS: dict[str, int] = {
    "errors": 0,
    "progress": 0,
    "model": 1,
    "formats": 2,
    "storage": 3,
    "catalog": 3,
    "instances": 3,
    "omero": 3,
    "polygons": 3,
    "repository": 4,
    "omero_sync": 5,
    "ingest": 5,
    "geojson_exchange": 5,
    "demo": 5,
    "cli": 6,
    "server": 6,
}
"""The rank of each top-level module or package: higher layers build on lower ones."""


def top_level(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "labelcollections" and len(parts) > 1 else None


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__")


def test_every_top_level_module_has_a_layer() -> None:
    names = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in MODULES}
    assert names <= set(LAYERS), sorted(names - set(LAYERS))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downward(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    upward = sorted(
        module
        for module in imported_modules(path)
        if (target := top_level(module)) is not None and LAYERS[target] > LAYERS[own]
    )
    assert not upward, f"{own} (layer {LAYERS[own]}) imports a higher layer: {upward}"
