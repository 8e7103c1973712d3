"""NGFF ``multiscales`` metadata for OME-Zarr 0.4 and 0.5, written strictly and read leniently.

The writer emits what the NGFF schemas and ome-zarr-models accept; the reader takes what other
tools write (including the multiscale-level ``coordinateTransformations`` the model has no field
for, which it folds into every level so the physical geometry is kept).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from labelcollections.errors import InputError
from labelcollections.model.images import Axis, Level

NgffVersion = Literal["0.4", "0.5"]
NGFF_VERSIONS: tuple[NgffVersion, ...] = ("0.4", "0.5")

_NGFF_KEYS = frozenset(
    {"multiscales", "labels", "image-label", "plate", "well", "bioformats2raw.layout", "series"}
)


def multiscales_metadata(
    name: str, axes: Sequence[Axis], levels: Sequence[Level], version: NgffVersion
) -> list[dict[str, Any]]:
    """The ``multiscales`` list for one image: axes, then one dataset per level, finest first.

    NGFF 0.4 carries ``version`` inside the multiscale; 0.5 carries it at ``ome.version``
    (see :func:`labelcollections.formats.ngff.labels.group_attributes`).
    """
    check_ngff_version(version)
    if not levels:
        raise InputError(name, "levels", "at least one pyramid level")
    datasets: list[dict[str, Any]] = []
    for index, level in enumerate(levels):
        if len(level.scale) != len(axes):
            raise InputError(
                name,
                f"levels[{index}].scale",
                f"one scale factor per axis ({len(axes)}, got {len(level.scale)})",
            )
        transforms: list[dict[str, Any]] = [
            {"type": "scale", "scale": [float(value) for value in level.scale]}
        ]
        if level.translation is not None:
            if len(level.translation) != len(axes):
                raise InputError(
                    name,
                    f"levels[{index}].translation",
                    f"one offset per axis ({len(axes)}, got {len(level.translation)})",
                )
            transforms.append(
                {"type": "translation", "translation": [float(v) for v in level.translation]}
            )
        datasets.append({"path": level.path, "coordinateTransformations": transforms})
    multiscale: dict[str, Any] = {
        "name": name,
        "axes": [axis.model_dump(exclude_none=True) for axis in axes],
        "datasets": datasets,
    }
    if version == "0.4":
        multiscale["version"] = "0.4"
    return [multiscale]


def parse_multiscales(
    multiscales: Any,
    source: str,
    shapes: Sequence[tuple[int, ...]] | None = None,
    *,
    prefix: str = "multiscales",
) -> tuple[tuple[Axis, ...], tuple[Level, ...]]:
    """Read the first multiscale of third-party 0.4 or 0.5 metadata.

    Shapes are not part of the metadata: pass ``shapes`` (one per dataset, read from the arrays)
    to fill them in, else every level has ``shape=()``. Multiscale-level transformations are
    composed into each level (``scale = level * global``, ``translation = level * global_scale
    + global_translation``). ``prefix`` is the field path of ``multiscales`` in error messages.
    """
    if not isinstance(multiscales, Sequence) or isinstance(multiscales, str) or not multiscales:
        raise InputError(source, prefix, "a non-empty list of multiscale objects")
    first = multiscales[0]
    where = f"{prefix}[0]"
    if not isinstance(first, Mapping):
        raise InputError(source, where, "a multiscale object")
    axes = _parse_axes(first.get("axes"), source, f"{where}.axes")
    ndim = len(axes)
    global_scale, global_translation = _parse_transforms(
        first.get("coordinateTransformations"),
        ndim,
        source,
        f"{where}.coordinateTransformations",
        required=False,
    )
    datasets = first.get("datasets")
    if not isinstance(datasets, Sequence) or isinstance(datasets, str) or not datasets:
        raise InputError(source, f"{where}.datasets", "a non-empty list of datasets")
    if shapes is not None and len(shapes) != len(datasets):
        raise InputError(
            source,
            f"{where}.datasets",
            f"one dataset per array ({len(shapes)} arrays, got {len(datasets)} datasets)",
        )
    levels: list[Level] = []
    for index, dataset in enumerate(datasets):
        at = f"{where}.datasets[{index}]"
        if not isinstance(dataset, Mapping):
            raise InputError(source, at, "a dataset object with path and coordinateTransformations")
        path = dataset.get("path")
        if not isinstance(path, str) or not path:
            raise InputError(source, f"{at}.path", f"a non-empty string (got {path!r})")
        scale, translation = _parse_transforms(
            dataset.get("coordinateTransformations"),
            ndim,
            source,
            f"{at}.coordinateTransformations",
            required=True,
        )
        shape = tuple(shapes[index]) if shapes is not None else ()
        if shapes is not None and len(shape) != ndim:
            raise InputError(
                source, f"{at}.path", f"an array with {ndim} dimensions (got shape {shape})"
            )
        total_scale = tuple(s * g for s, g in zip(scale, global_scale, strict=True))
        total_translation: tuple[float, ...] | None = None
        if translation is not None or global_translation is not None:
            local = translation or (0.0,) * ndim
            offset = global_translation or (0.0,) * ndim
            total_translation = tuple(
                t * g + o for t, g, o in zip(local, global_scale, offset, strict=True)
            )
        levels.append(
            Level(path=path, shape=shape, scale=total_scale, translation=total_translation)
        )
    return axes, tuple(levels)


def ngff_version_of(attributes: Mapping[str, Any]) -> NgffVersion | None:
    """The NGFF version of a group's attributes, or None if they are not NGFF 0.4/0.5.

    0.5 nests everything under ``ome`` (a labels group written without ``ome.version`` still
    counts as 0.5); 0.4 keeps the keys at the top, versioned inside ``multiscales[0]``,
    ``image-label``, ``plate`` or ``well``. A version-less top-level NGFF key counts as 0.4.
    """
    ome = attributes.get("ome")
    if isinstance(ome, Mapping):
        version = ome.get("version")
        if version == "0.5":
            return "0.5"
        if version is None and _NGFF_KEYS & set(ome):
            return "0.5"
        return None
    versions: list[Any] = []
    multiscales = attributes.get("multiscales")
    if isinstance(multiscales, Sequence) and multiscales and isinstance(multiscales[0], Mapping):
        versions.append(multiscales[0].get("version"))
    for key in ("image-label", "plate", "well"):
        value = attributes.get(key)
        if isinstance(value, Mapping):
            versions.append(value.get("version"))
    stated = [v for v in versions if v is not None]
    if stated:
        return "0.4" if all(v == "0.4" for v in stated) else None
    if _NGFF_KEYS & set(attributes):
        return "0.4"
    return None


def ome_attributes(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object that holds the NGFF keys: ``attributes["ome"]`` (0.5) or ``attributes`` (0.4)."""
    ome = attributes.get("ome")
    if isinstance(ome, Mapping):
        return ome
    return attributes


def check_ngff_version(version: str) -> NgffVersion:
    """Return ``version`` if this package writes it (0.4 or 0.5), else raise an InputError."""
    for known in NGFF_VERSIONS:
        if version == known:
            return known
    raise InputError("NGFF version", "version", f"one of 0.4, 0.5 (got {version!r})")


def _parse_axes(raw: Any, source: str, field: str) -> tuple[Axis, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise InputError(source, field, "a non-empty list of axes")
    axes: list[Axis] = []
    for index, item in enumerate(raw):
        at = f"{field}[{index}]"
        if isinstance(item, str):  # NGFF 0.3 wrote axes as bare names
            axes.append(Axis(name=item))
            continue
        if not isinstance(item, Mapping):
            raise InputError(source, at, "an axis object with a name")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(source, f"{at}.name", f"a non-empty string (got {name!r})")
        kind = item.get("type")
        unit = item.get("unit")
        if kind is not None and not isinstance(kind, str):
            raise InputError(source, f"{at}.type", f"a string (got {kind!r})")
        if unit is not None and not isinstance(unit, str):
            raise InputError(source, f"{at}.unit", f"a string (got {unit!r})")
        axes.append(Axis(name=name, type=kind, unit=unit))
    names = [axis.name for axis in axes]
    if len(set(names)) != len(names):
        raise InputError(source, field, f"axes with distinct names (got {names})")
    return tuple(axes)


def _parse_transforms(
    raw: Any, ndim: int, source: str, field: str, *, required: bool
) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    """Compose a list of scale/translation/identity transforms into one scale and offset."""
    scale = (1.0,) * ndim
    translation: tuple[float, ...] | None = None
    if raw is None and not required:
        return scale, translation
    if not isinstance(raw, Sequence) or isinstance(raw, str) or (required and not raw):
        raise InputError(source, field, "a list of coordinate transformations with a scale")
    seen_scale = False
    for index, transform in enumerate(raw):
        at = f"{field}[{index}]"
        if not isinstance(transform, Mapping):
            raise InputError(source, at, "a transformation object")
        kind = transform.get("type")
        if kind == "identity":
            continue
        if kind == "scale":
            factors = _vector(transform.get("scale"), ndim, source, f"{at}.scale")
            if any(f <= 0 for f in factors):
                raise InputError(source, f"{at}.scale", f"positive numbers (got {list(factors)})")
            scale = tuple(s * f for s, f in zip(scale, factors, strict=True))
            if translation is not None:
                translation = tuple(t * f for t, f in zip(translation, factors, strict=True))
            seen_scale = True
        elif kind == "translation":
            offsets = _vector(transform.get("translation"), ndim, source, f"{at}.translation")
            base = translation or (0.0,) * ndim
            translation = tuple(t + o for t, o in zip(base, offsets, strict=True))
        else:
            raise InputError(
                source, f"{at}.type", f"'scale', 'translation' or 'identity' (got {kind!r})"
            )
    if required and not seen_scale:
        raise InputError(source, field, "a scale transformation")
    return scale, translation


def _vector(raw: Any, ndim: int, source: str, field: str) -> tuple[float, ...]:
    if (
        not isinstance(raw, Sequence)
        or isinstance(raw, str)
        or not all(_is_number(value) for value in raw)
    ):
        raise InputError(source, field, f"a list of {ndim} finite numbers (got {raw!r})")
    if len(raw) != ndim:
        raise InputError(source, field, f"one number per axis ({ndim}, got {len(raw)})")
    return tuple(float(value) for value in raw)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
