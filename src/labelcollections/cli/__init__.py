"""The ``labelcollections`` command line: parse arguments, call the repository, print results.

Each family of commands has a module named for its commands (``image``, ``labels``,
``collection``, ``omero`` …); shared arguments and options are in ``options``, printing in
``output``. This module joins them under the root group and turns errors into exit codes:
user mistakes print one line (``error: <input>: <field>: <expected>``) and exit with code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from labelcollections import __version__
from labelcollections.cli import (
    collection,
    compare,
    demo,
    image,
    init,
    instance,
    integrity,
    labels,
    omero,
    polygons,
    serve,
    table,
    transfer,
)
from labelcollections.cli.output import errors
from labelcollections.errors import LabelCollectionsError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labelcollections")
def cli() -> None:
    """Label images with provenance, versions and collections, in OME-Zarr and OMERO."""


for command in (
    init.init,
    image.add_image,
    image.image,
    labels.add_labels,
    labels.find,
    labels.lineage,
    collection.collection,
    instance.instance,
    table.add_table,
    table.table_group,
    compare.compare,
    polygons.polygons,
    transfer.validate,
    transfer.export,
    transfer.import_,
    integrity.verify,
    integrity.reindex,
    demo.demo,
    serve.serve,
    omero.omero,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI, turning our errors into one line and exit code 2."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        errors.print("aborted")
        sys.exit(130)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        errors.print(f"error: {where}{error.format_message()}", markup=False, highlight=False)
        sys.exit(2)
    except LabelCollectionsError as error:
        errors.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
