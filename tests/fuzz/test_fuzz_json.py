"""Fuzzing the strict JSON reader (``parse_json``, behind every JSON file a user hands us):
any text or bytes parse or raise one :class:`InputError`; JSON that follows the rules (unique
keys, finite numbers, 64-bit integers, nesting within the cap) reads back equal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.model.parsing import MAX_JSON_DEPTH, parse_json

SOURCE = "fuzz.json"
JSON_ALPHABET = st.sampled_from(list('{}[],:"\\ -+.0123456789eEtrufalsnNIi\n\tx'))
json_like_text = st.text(JSON_ALPHABET, max_size=80)
"""Text made of JSON's own characters, so more of it gets past the first character."""

valid_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=25,
)


def parse_or_refuse(text: str | bytes) -> Any:
    try:
        return parse_json(text, SOURCE)
    except InputError as error:
        assert error.source == SOURCE and "\n" not in str(error)
        return None


@settings(max_examples=150)
@given(st.text() | json_like_text | st.binary(max_size=80))
def test_any_text_or_bytes_parse_or_refuse(text: str | bytes) -> None:
    parse_or_refuse(text)


@settings(max_examples=100)
@given(valid_values, st.sampled_from([None, 2]), st.booleans())
def test_valid_json_reads_back_equal(value: Any, indent: int | None, ascii_only: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    assert parse_json(text, SOURCE) == value
    assert parse_json(text.encode(), SOURCE) == value


def nesting(value: Any) -> int:
    """How many arrays and objects deep ``value`` goes (0 for a scalar)."""
    if isinstance(value, dict | list):
        inner = value.values() if isinstance(value, dict) else value
        return 1 + max((nesting(item) for item in inner), default=0)
    return 0


@settings(max_examples=60)
@given(valid_values, st.integers(-6, 4), st.sampled_from(["[", '{"k":']))
def test_nesting_is_read_up_to_the_cap(value: Any, offset: int, opening: str) -> None:
    depth = max(0, MAX_JSON_DEPTH + offset - nesting(value))
    closing = "]" if opening == "[" else "}"
    text = opening * depth + json.dumps(value) + closing * depth
    if depth + nesting(value) <= MAX_JSON_DEPTH:
        assert parse_json(text, SOURCE) is not None or depth == 0
    else:
        with pytest.raises(InputError, match="nested"):
            parse_json(text, SOURCE)


@settings(max_examples=60)
@given(valid_values, st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", str(2**64)]))
def test_numbers_no_reader_holds_are_refused_anywhere(value: Any, number: str) -> None:
    text = "[" + json.dumps(value) + ', {"deep": [' + number + "]}]"
    with pytest.raises(InputError):
        parse_json(text, SOURCE)


@settings(max_examples=60)
@given(st.dictionaries(st.text(), valid_values, min_size=1, max_size=4), st.data())
def test_a_repeated_key_is_refused(mapping: dict[str, Any], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(mapping)))
    members = [json.dumps(k) + ":" + json.dumps(v) for k, v in mapping.items()]
    members.append(json.dumps(key) + ": null")
    with pytest.raises(InputError, match="once"):
        parse_json("{" + ",".join(members) + "}", SOURCE)
