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
    catalog,
    collection,
    compare,
    demo,
    image,
    ingest,
    init,
    instance,
    integrity,
    labels,
    omero,
    plate,
    polygons,
    serve,
    table,
    transfer,
)
from labelcollections.cli.output import report_error, report_internal
from labelcollections.errors import LabelCollectionsError
from labelcollections.storage.remote import remote_failure, remote_timeout

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labelcollections")
def cli() -> None:
    """Label images with provenance, versions and collections, in OME-Zarr and OMERO."""


for command in (
    init.init,
    image.add_image,
    image.image,
    plate.plate,
    labels.add_labels,
    ingest.ingest_command,
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
    catalog.catalog,
    demo.demo,
    serve.serve,
    omero.omero,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI, turning every error into one line and an exit code.

    2 for a mistake of the user's (and nothing written), 1 for a failed check (``verify``) or
    an internal error, whose details go to a log file named in the line, 130 when interrupted.
    """
    try:
        remote_timeout()  # a bad setting is the user's mistake, reported before any work
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort as aborted:
        if isinstance(aborted.__cause__, EOFError):
            sys.exit(report_internal(aborted.__cause__))
        report_error("aborted")
        sys.exit(130)
    except click.ClickException as error:
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        report_error(f"error: {where}{error.format_message()}")
        sys.exit(2)
    except LabelCollectionsError as error:
        report_error(f"error: {error}")
        sys.exit(2)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # the last resort: one line, the details in a log
        if (failure := remote_failure(error, None)) is not None:
            report_error(f"error: {failure}")
            sys.exit(2)
        sys.exit(report_internal(error))
