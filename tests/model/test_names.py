"""Names become path segments and node names: only safe ones pass, and unsafe ones are mended."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.model.names import (
    ID_PATTERN,
    check_display_name,
    check_name,
    new_id,
    safe_name,
    slugify,
    unique_slug,
)

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*|unnamed")


@pytest.mark.parametrize("name", ["nuclei", "cell_analysis", "v1", "Ab-9.x", "a" * 128])
def test_good_names_pass(name: str) -> None:
    assert check_name(name, "test") == name


@pytest.mark.parametrize(
    "name", ["", ".", "..", "../x", "a/b", "a\n", "-lead", "_lead", "a b", "é", "a" * 129, "a..b"]
)
def test_unsafe_names_are_refused_with_the_field(name: str) -> None:
    with pytest.raises(InputError) as error:
        check_name(name, "images", "name")
    assert (error.value.source, error.value.field) == ("images", "name")


@given(st.text())
def test_any_text_is_mended_into_a_valid_name(text: str) -> None:
    assert check_name(safe_name(text), "test") == safe_name(text)


def test_new_ids_are_rfc8_ids_and_differ() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(ID_PATTERN.fullmatch(identifier) and len(identifier) == 16 for identifier in ids)


@pytest.mark.parametrize(
    "name", ["Ground truth, curated", "nuclei (cellpose 3)", "Zellkerne – geprüft", "a/b@c", "細胞"]
)
def test_display_names_are_free_text(name: str) -> None:
    assert check_display_name(name, "test") == name


@pytest.mark.parametrize("name", ["", " ", " padded", "padded ", "tab\there", "nul\0", "\ud800"])
def test_display_names_refuse_empty_padded_and_control_text(name: str) -> None:
    with pytest.raises(InputError) as error:
        check_display_name(name, "--collection", "name")
    assert (error.value.source, error.value.field) == ("--collection", "name")


@given(st.text())
def test_slugs_are_portable_path_segments_and_their_own_slug(text: str) -> None:
    slug = slugify(text)
    assert SLUG.fullmatch(slug) and ".." not in slug and len(slug) <= 64
    assert slugify(slug) == slug
    assert check_name(slug, "test") == slug


@given(st.lists(st.text(max_size=8), max_size=12))
def test_unique_slugs_never_repeat(texts: list[str]) -> None:
    taken: set[str] = set()
    for text in texts:
        slug = unique_slug(text, taken)
        assert slug not in taken
        taken.add(slug)


def test_slugs_read_like_their_names() -> None:
    assert slugify("Ground truth, curated") == "Ground_truth_curated"
    assert slugify("Zellkerne – geprüft") == "Zellkerne_gepruft"
    assert slugify("細胞") == "unnamed"
