"""What commands print: tables for people, JSON for programs, progress bars, table files."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from labelcollections import __version__
from labelcollections.errors import InputError
from labelcollections.model.images import LabelImage
from labelcollections.progress import Advance
from labelcollections.repository import Repository

__all__ = [
    "RichProgress",
    "console",
    "counted",
    "errors",
    "label_row",
    "print_json",
    "print_rows",
    "report_error",
    "report_internal",
    "show",
    "write_table_file",
]

console = Console(width=None if sys.stdout.isatty() else 160, emoji=False)
errors = Console(stderr=True, emoji=False)
LOG_DIRECTORY = Path(tempfile.gettempdir()) / "labelcollections"
"""Where the details of internal errors go (the error line names the file)."""


class RichProgress:
    """Progress bars on the terminal (hidden when output is not a terminal)."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Advance]:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
            disable=not errors.is_terminal,
        ) as bar:
            task = bar.add_task(description, total=total)

            def advance(steps: int = 1) -> None:
                bar.advance(task, steps)

            yield advance


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def show(rows: Sequence[dict[str, Any]], title: str, as_json: bool) -> None:
    """Rows as JSON for programs, or as a table for people."""
    if as_json:
        print_json(list(rows))
    else:
        print_rows(rows, title)


def print_rows(rows: Sequence[dict[str, Any]], title: str) -> None:
    """Rows as a table; cells are literal text (names may hold anything, markup included)."""
    if not rows:
        console.print(f"no {title.lower()}", markup=False)
        return
    table = Table(title=Text(title))
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(str(value)) for value in row.values()))
    console.print(table)


def label_row(repository: Repository, label: LabelImage) -> dict[str, Any]:
    """A label image as one table row: its image, key, type and provenance in short."""
    provenance = label.provenance
    software = provenance.software or ""
    if provenance.software_version:
        software += f"=={provenance.software_version}"
    return {
        "id": label.id,
        "image": repository.image(label.image_id).name,
        "label": label.key,
        "type": label.label_type.value,
        "method": provenance.method.value,
        "software": software,
        "author": provenance.author or "",
        "created": provenance.created.isoformat(timespec="seconds"),
        "classes": ", ".join(label.label_schema.class_names()),
    }


def write_table_file(table: pa.Table, output: str | None) -> None:
    """A table as CSV on standard output, or as a .csv / .parquet file (never overwritten)."""
    if output is None:
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink)
        click.echo(sink.getvalue().to_pybytes().decode(), nl=False)
        return
    target = Path(output)
    if target.exists():
        raise InputError(output, "--output", "a file that does not exist yet")
    if target.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(output, "--output", "a .csv or .parquet file name")
    if target.suffix.lower() == ".csv":
        pa_csv.write_csv(table, target)
    else:
        pq.write_table(table, target)
    console.print(f"wrote {table.num_rows} rows to {target}")


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 label image``, ``2 label images``: a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"


def report_error(line: str) -> None:
    """Print an error as one line of literal text on standard error: no markup, no emoji,
    no wrapping, whatever the names and values in it hold."""
    click.echo(" ".join(line.split()), err=True)


def report_internal(error: BaseException) -> int:
    """Report an error that is not the user's: one line naming a log file that holds the
    traceback, for a bug report. Returns the exit code, 1."""
    LOG_DIRECTORY.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log = LOG_DIRECTORY / f"error-{stamp}-{os.getpid()}.log"
    details = "".join(traceback.format_exception(error))
    log.write_text(f"labelcollections {__version__}\n{' '.join(sys.argv)}\n\n{details}")
    what = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    report_error(f"error: internal: {what} (details in {log})")
    return 1
