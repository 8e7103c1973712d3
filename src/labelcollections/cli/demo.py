"""``labelcollections demo``: a demo repository built from a real image."""

from __future__ import annotations

from pathlib import Path

import click

from labelcollections.cli.output import RichProgress, console

__all__ = ["demo"]


@click.command()
@click.argument(
    "directory", required=False, default="demo-output", type=click.Path(file_okay=False)
)
def demo(directory: str) -> None:
    """Build a demo repository from a real microscopy image with competing segmentations."""
    from labelcollections.demo import run_demo

    run_demo(Path(directory), RichProgress(), console)
