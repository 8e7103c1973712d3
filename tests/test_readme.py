"""The README's first-hour walk runs as written, on the demo repository."""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from labelcollections.demo import run_demo
from labelcollections.progress import SilentProgress

README = Path(__file__).resolve().parents[1] / "README.md"
Run = Callable[..., tuple[int, str, str]]


def first_hour_commands() -> list[list[str]]:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Your first hour", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the first-hour section has a console block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("$ ")]
    return [shlex.split(line[2:]) for line in lines]


def test_the_walk_has_the_commands_a_newcomer_needs() -> None:
    verbs = {command[1] for command in first_hour_commands()}
    assert {"collection", "find", "compare", "add-labels", "export", "import", "verify"} <= verbs


@pytest.mark.slow
def test_every_first_hour_command_succeeds(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_demo(Path("demo-output"), SilentProgress(), Console(file=io.StringIO()))
    outputs = {}
    for command in first_hour_commands():
        assert command[0] == "labelcollections"
        code, out, err = run(*command[1:])
        assert code == 0 and out, f"{shlex.join(command)}: {err}"
        outputs[command[1]] = out
    assert "added label image nuclei (reviewed)@v1" in outputs["add-labels"]
    assert "imported image ihc with 4 label images in 4 collections" in outputs["import"]
    assert outputs["verify"].startswith("ok: 5 pixel hashes match")
    assert (tmp_path / "demo-output" / "nuclei.csv").is_file()
    assert (tmp_path / "demo-output" / "ihc.ozx").is_file()
