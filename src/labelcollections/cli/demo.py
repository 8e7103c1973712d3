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
    """Build a demo repository from a real microscopy image with competing segmentations,
    push it to an in-memory OMERO and pull it back."""
    from labelcollections.demo import run_demo

    repository = run_demo(Path(directory), RichProgress(), console)
    try:
        from labelcollections.cli.omero_demo import run_omero_demo
    except ImportError:
        console.print("(omero-py is not installed: the OMERO part of the demo is skipped)")
        return
    run_omero_demo(repository, Path(directory) / "pulled-from-omero", console).close()
