"""Names become path segments and node names: only safe ones pass, and unsafe ones are mended."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.model.names import ID_PATTERN, check_name, new_id, safe_name


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
