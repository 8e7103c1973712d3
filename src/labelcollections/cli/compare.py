"""``labelcollections compare``: two label images of the same image, object by object."""

from __future__ import annotations

import click

from labelcollections.cli.options import (
    FiniteFloatRange,
    json_option,
    open_repo,
    repository_argument,
)
from labelcollections.cli.output import print_json, print_rows

__all__ = ["compare"]


@click.command()
@repository_argument
@click.argument("a")
@click.argument("b")
@click.option(
    "--iou",
    default=0.5,
    show_default=True,
    type=FiniteFloatRange(0, 1, min_open=True),
    help="IoU at which two objects match.",
)
@json_option
def compare(repo: str, a: str, b: str, iou: float, as_json: bool) -> None:
    """Compare label image B with A (the reference) of the same image."""
    with open_repo(repo) as repository:
        result = repository.compare(a, b, iou)
    summary = result.to_dict()
    if as_json:
        print_json(summary)
        return
    if "metrics" in summary:
        metrics = summary["metrics"]
        rows = [
            {"metric": key, "value": value if not isinstance(value, float) else f"{value:.4f}"}
            for key, value in metrics.items()
            if key != "precision_at"
        ]
        rows.append({"metric": "splits (objects of A)", "value": len(summary["splits"])})
        rows.append({"metric": "merges (objects of B)", "value": len(summary["merges"])})
        print_rows(rows, f"{b} against {a} at IoU {iou:g}")
    if "classes" in summary:
        print_rows(
            [
                {
                    "value": c["value"],
                    "class": c["name"] or "",
                    "pixels A": c["pixels_a"],
                    "pixels B": c["pixels_b"],
                    "dice": f"{c['dice']:.4f}",
                    "iou": f"{c['iou']:.4f}",
                }
                for c in summary["classes"]
            ],
            f"{b} against {a}, per class",
        )
