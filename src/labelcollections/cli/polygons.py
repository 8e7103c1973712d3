"""``labelcollections polygons``: a label image's objects as GeoJSON for QuPath."""

from __future__ import annotations

import click
from rich.markup import escape

from labelcollections.cli.options import open_repo, repository_argument
from labelcollections.cli.output import console, counted
from labelcollections.geojson_exchange import OBJECT_TYPES, export_polygons

__all__ = ["polygons"]


@click.command()
@repository_argument
@click.argument("label")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="A new .geojson.")
@click.option(
    "--simplify",
    type=click.FloatRange(0, min_open=True),
    help="Simplify outlines by up to this many pixels (smaller files; no longer exact).",
)
@click.option("--measurements", is_flag=True, help="Add the instance-table row (QuPath).")
@click.option(
    "--object-type", type=click.Choice(OBJECT_TYPES), default="annotation", show_default=True
)
def polygons(
    repo: str,
    label: str,
    output: str,
    simplify: float | None,
    measurements: bool,
    object_type: str,
) -> None:
    """LABEL's objects as GeoJSON for QuPath: exact pixel-edge polygons, one file per plane."""
    with open_repo(repo) as repository:
        written = export_polygons(
            repository,
            label,
            output,
            simplify=simplify,
            measurements=measurements,
            object_type=object_type,
        )
    for plane_file in written:
        where = " ".join(f"{axis}={index}" for axis, index in plane_file.plane.items())
        text = f"wrote {counted(plane_file.features, 'feature')} to {plane_file.path} {where}"
        console.print(escape(text.strip()))
    if simplify is not None:
        console.print(f"simplified by {simplify:g} px: the polygons no longer give the pixels back")
