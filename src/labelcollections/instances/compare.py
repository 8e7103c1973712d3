"""Comparing two segmentations of one image: matched, missed and extra objects, and metrics.

``a`` is the reference (e.g. the earlier version or the manual annotation) and ``b`` the
segmentation judged against it: an object of ``a`` without a partner is *missed*, one of ``b``
without a partner is *extra*. Everything derives from one contingency pass over both images.

Definitions (label value 0 is background and never an object):

- IoU of objects ``i`` of a and ``j`` of b: ``|i ∩ j| / |i ∪ j|``.
- Matching: optimal one-to-one at ``IoU >= threshold`` (see :mod:`.matching`).
- precision = matched / objects of b, recall = matched / objects of a, F1 their harmonic mean.
- average precision: the mean over thresholds 0.50, 0.55, …, 0.95 of
  ``matched / (matched + missed + extra)`` (the object-detection AP used for segmentation, as
  in cellpose and StarDist; there are no confidence scores to rank).
- split: an object of a that holds at least two objects of b, each at least half inside it;
  merge: an object of b that holds at least two objects of a, each at least half inside it.
- semantic labels: per class value, Dice ``2|A ∩ B| / (|A| + |B|)`` and IoU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelcollections.instances.blocks import Region
from labelcollections.instances.contingency import Contingency, contingency
from labelcollections.instances.matching import match_pairs
from labelcollections.instances.statistics import BACKGROUND
from labelcollections.model.label_schema import LabelSchema

AP_THRESHOLDS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
INSIDE_FRACTION = 0.5
"""How much of an object must lie inside another to count towards a split or a merge."""


@dataclass(frozen=True)
class InstanceMetrics:
    threshold: float
    objects_a: int
    objects_b: int
    matched: int
    missed: int
    extra: int
    precision: float
    recall: float
    f1: float
    mean_matched_iou: float
    average_precision: float
    precision_at: dict[float, float]


@dataclass(frozen=True)
class ClassMetrics:
    value: int
    name: str | None
    pixels_a: int
    pixels_b: int
    overlap: int
    dice: float
    iou: float


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare_labels`; ``matches`` are ``(a, b, iou)`` columns."""

    kind: str
    threshold: float
    instances: InstanceMetrics | None = None
    matches: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    missed: np.ndarray | None = None
    extra: np.ndarray | None = None
    splits: dict[int, list[int]] = field(default_factory=dict)
    merges: dict[int, list[int]] = field(default_factory=dict)
    classes: tuple[ClassMetrics, ...] = ()

    def matched_pairs(self) -> list[tuple[int, int, float]]:
        if self.matches is None:
            return []
        a, b, iou = self.matches
        return list(zip(a.tolist(), b.tolist(), iou.tolist(), strict=True))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (metrics, matches, unmatched objects, splits and merges)."""
        result: dict[str, Any] = {"kind": self.kind, "iou_threshold": self.threshold}
        if self.instances is not None:
            metrics = self.instances
            result["metrics"] = {
                "objects_a": metrics.objects_a,
                "objects_b": metrics.objects_b,
                "matched": metrics.matched,
                "missed": metrics.missed,
                "extra": metrics.extra,
                "precision": metrics.precision,
                "recall": metrics.recall,
                "f1": metrics.f1,
                "mean_matched_iou": metrics.mean_matched_iou,
                "average_precision": metrics.average_precision,
                "precision_at": {f"{t:.2f}": v for t, v in metrics.precision_at.items()},
            }
            result["matches"] = [{"a": a, "b": b, "iou": iou} for a, b, iou in self.matched_pairs()]
            result["missed"] = [] if self.missed is None else self.missed.tolist()
            result["extra"] = [] if self.extra is None else self.extra.tolist()
            result["splits"] = {str(a): bs for a, bs in self.splits.items()}
            result["merges"] = {str(b): a_s for b, a_s in self.merges.items()}
        if self.classes:
            result["classes"] = [
                {
                    "value": c.value,
                    "name": c.name,
                    "pixels_a": c.pixels_a,
                    "pixels_b": c.pixels_b,
                    "overlap": c.overlap,
                    "dice": c.dice,
                    "iou": c.iou,
                }
                for c in self.classes
            ]
        return result


def compare_labels(
    a: Any,
    b: Any,
    *,
    semantic: bool = False,
    threshold: float = 0.5,
    schema: LabelSchema | None = None,
    regions: Sequence[Region] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare label arrays ``a`` and ``b`` (same shape) as instances or as semantic classes."""
    table = contingency(a, b, regions=regions, advance=advance)
    if semantic:
        return Comparison("semantic", threshold, classes=class_metrics(table, schema))
    return instance_comparison(table, threshold)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def instance_comparison(table: Contingency, threshold: float) -> Comparison:
    a_values, a_sizes = table.sizes("a")
    b_values, b_sizes = table.sizes("b")
    objects_a = a_values[a_values != BACKGROUND]
    objects_b = b_values[b_values != BACKGROUND]
    pairs = (table.a != BACKGROUND) & (table.b != BACKGROUND)
    pair_a, pair_b, overlap = table.a[pairs], table.b[pairs], table.counts[pairs]
    size_a = a_sizes[np.searchsorted(a_values, pair_a)]
    size_b = b_sizes[np.searchsorted(b_values, pair_b)]
    iou = overlap / (size_a + size_b - overlap)

    # One matching per threshold: the requested one and those averaged into AP (which usually
    # include it).
    matchings = {
        level: match_pairs(pair_a, pair_b, iou, level) for level in {threshold, *AP_THRESHOLDS}
    }
    chosen = matchings[threshold]
    matched = int(chosen.size)
    precision = _ratio(matched, objects_b.size)
    recall = _ratio(matched, objects_a.size)
    objects = objects_a.size + objects_b.size
    precision_at = {
        level: _ratio(matchings[level].size, objects - matchings[level].size)
        for level in AP_THRESHOLDS
    }
    metrics = InstanceMetrics(
        threshold=threshold,
        objects_a=int(objects_a.size),
        objects_b=int(objects_b.size),
        matched=matched,
        missed=int(objects_a.size - matched),
        extra=int(objects_b.size - matched),
        precision=precision,
        recall=recall,
        f1=_ratio(2 * precision * recall, precision + recall),
        mean_matched_iou=float(iou[chosen].mean()) if matched else 0.0,
        average_precision=float(np.mean(list(precision_at.values()))),
        precision_at=precision_at,
    )
    return Comparison(
        "instance",
        threshold,
        instances=metrics,
        matches=(pair_a[chosen], pair_b[chosen], iou[chosen]),
        missed=np.setdiff1d(objects_a, pair_a[chosen]),
        extra=np.setdiff1d(objects_b, pair_b[chosen]),
        splits=_holders(pair_a, pair_b, overlap / size_b),
        merges=_holders(pair_b, pair_a, overlap / size_a),
    )


def _holders(holder: np.ndarray, held: np.ndarray, inside: np.ndarray) -> dict[int, list[int]]:
    """Objects of ``holder`` that hold two or more objects of ``held`` (each at least
    INSIDE_FRACTION inside), with those objects."""
    keep = inside >= INSIDE_FRACTION
    holder, held = holder[keep], held[keep]
    _, index, counts = np.unique(holder, return_inverse=True, return_counts=True)
    several = counts[index] >= 2
    order = np.lexsort((held[several], holder[several]))
    owners, members = holder[several][order], held[several][order]
    starts = np.flatnonzero(np.diff(owners, prepend=owners[:1] - 1)) if owners.size else owners
    groups = np.split(members, starts[1:]) if owners.size else []
    return {int(o): g.tolist() for o, g in zip(owners[starts].tolist(), groups, strict=True)}


def class_metrics(table: Contingency, schema: LabelSchema | None) -> tuple[ClassMetrics, ...]:
    a_values, a_sizes = table.sizes("a")
    b_values, b_sizes = table.sizes("b")
    values = np.union1d(a_values, b_values)
    values = values[values != BACKGROUND]
    pixels_a = np.zeros(values.size, dtype=np.int64)
    pixels_b = np.zeros(values.size, dtype=np.int64)
    pixels_a[np.searchsorted(values, a_values[a_values != BACKGROUND])] = a_sizes[
        a_values != BACKGROUND
    ]
    pixels_b[np.searchsorted(values, b_values[b_values != BACKGROUND])] = b_sizes[
        b_values != BACKGROUND
    ]
    same = (table.a == table.b) & (table.a != BACKGROUND)
    overlap = np.zeros(values.size, dtype=np.int64)
    overlap[np.searchsorted(values, table.a[same])] = table.counts[same]
    total = pixels_a + pixels_b
    dice = np.divide(2 * overlap, total, out=np.zeros(values.size), where=total > 0)
    union = total - overlap
    iou = np.divide(overlap, union, out=np.zeros(values.size), where=union > 0)
    names = {c.value: c.name for c in (schema.classes if schema else ())}
    return tuple(
        ClassMetrics(v, names.get(v), pa, pb, o, d, i)
        for v, pa, pb, o, d, i in zip(
            values.tolist(),
            pixels_a.tolist(),
            pixels_b.tolist(),
            overlap.tolist(),
            dice.tolist(),
            iou.tolist(),
            strict=True,
        )
    )
