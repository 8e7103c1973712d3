"""Arguments and options that several commands share, each written once.

A shared set of options is one decorator, as in datasette's
``add_common_publish_arguments_and_options``, so every command that takes it spells, checks and
documents it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from labelcollections.cli.output import RichProgress
from labelcollections.model.vocabulary import LARGEST_COUNT, LabelType, Method
from labelcollections.repository import Repository
from labelcollections.storage.sharding import parse_shards

__all__ = [
    "AREA",
    "COUNT",
    "LABEL_TYPES",
    "METHODS",
    "PAGE_SIZE",
    "FiniteFloatRange",
    "axes_option",
    "json_option",
    "label_filter_options",
    "omero_image_argument",
    "open_repo",
    "plate_options",
    "provenance_options",
    "repository_argument",
    "scheduler_option",
    "shards_option",
    "table_output_option",
]

F = TypeVar("F", bound=Callable[..., Any])


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses NaN and infinities (which compare as inside any range)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


COUNT = click.IntRange(0, LARGEST_COUNT)
"""A count the catalog can compare with (its integers are 64-bit)."""
PAGE_SIZE = click.IntRange(1, LARGEST_COUNT)
"""How many rows a page of results holds at most."""
OMERO_ID = click.IntRange(1, LARGEST_COUNT)
"""The id of an OMERO object (OMERO numbers them from 1, in 64-bit columns)."""
AREA = FiniteFloatRange(0)
"""A non-negative, finite size in pixels."""
LABEL_TYPES = click.Choice([t.value for t in LabelType])
METHODS = click.Choice([m.value for m in Method])


def stacked(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """Several decorators as one; they apply as if written above a function in this order."""

    def decorate(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


repository_argument = click.argument("repo", type=click.Path(file_okay=False))
json_option = click.option("--json", "as_json", is_flag=True)
omero_image_argument = click.argument("omero_image", type=OMERO_ID)
table_output_option = click.option(
    "--output", type=click.Path(dir_okay=False), help="Write to .csv or .parquet."
)

scheduler_option = click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Address of a running Dask scheduler to run on.",
)
axes_option = click.option(
    "--axes",
    callback=lambda _context, _parameter, value: list(value) if value else None,
    help="Axis names of the source in its order, e.g. 'zyx' (names or renames a TIFF's axes).",
)
shards_option = click.option(
    "--shards",
    callback=lambda _context, _parameter, value: None if value is None else parse_shards(value),
    help="Shard edge in pixels along each spatial axis (8192), or one per axis (1,4096,4096);"
    " 0: no shards. Default: shard levels that would hold over 1,000 chunk files.",
)

plate_options = stacked(
    click.option("--plate", help="Only the fields of this HCS plate."),
    click.option("--well", help="Only the fields of this well (B3 or B/3)."),
)
label_filter_options = stacked(
    click.option("--method", type=METHODS),
    click.option("--software", help="name or name==version"),
    click.option("--author"),
    click.option("--type", "label_type", type=LABEL_TYPES),
    click.option("--version"),
)
"""Conditions on label images that ``find`` and ``omero find`` share."""

provenance_options = stacked(
    click.option(
        "--method",
        type=METHODS,
        help="How the labels were made. [required, here or as method in --provenance]",
    ),
    click.option("--software", help="name or name==version of the software that made the labels."),
    click.option("--author"),
    click.option("--model-name"),
    click.option("--model-version"),
    click.option("--model-sha256"),
    click.option("--training-data", help="What the model was trained on."),
    click.option("--parameters", type=click.Path(dir_okay=False), help="JSON file of parameters."),
    click.option(
        "--derived-from",
        help="Label image this one is a new version of: <id>, <name>@<version> or"
        " <image>/<name>@<version>.",
    ),
)
"""The provenance of a new label image, field by field (``add-labels``)."""


def open_repo(path: str) -> Repository:
    """The repository given by the repository argument, showing progress bars."""
    return Repository.open(path, RichProgress())
