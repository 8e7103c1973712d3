"""A provenance file merged with single options: options win, gaps are one-line errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.model.provenance import Provenance, merge_provenance, split_label_type
from labelcollections.model.vocabulary import Method


def test_the_label_type_comes_from_the_option_else_from_the_document() -> None:
    document = {"label_type": "semantic", "method": "manual"}
    assert split_label_type(document, "prov.json", None) == ("semantic", {"method": "manual"})
    assert split_label_type({"method": "manual"}, "prov.json", "instance") == (
        "instance",
        {"method": "manual"},
    )
    assert "label_type" in document  # the caller's document is left as it was


@pytest.mark.parametrize(
    ("document", "label_type", "error"),
    [
        ([1], "instance", ("prov.json", "<root>", "a JSON object of provenance fields")),
        ({"method": "manual"}, None, ("--type", "type", "one of semantic, instance, panoptic")),
    ],
)
def test_a_document_that_is_no_object_or_a_missing_type_is_refused(
    document: object, label_type: str | None, error: tuple[str, str, str]
) -> None:
    with pytest.raises(InputError) as raised:
        split_label_type(document, "prov.json", label_type)
    assert (raised.value.source, raised.value.field, raised.value.expected) == error


def test_the_document_alone_gives_the_provenance() -> None:
    document = {"method": "manual", "author": "A. Person", "parameters": {"brush": [1, 2]}}
    provenance = merge_provenance(document, "prov.json", {"method": None, "author": None})
    assert provenance.method is Method.MANUAL
    assert provenance.author == "A. Person"
    assert provenance.parameters == {"brush": [1, 2]}


def test_options_override_the_document_and_unset_options_do_not() -> None:
    document = {"method": "manual", "author": "A. Person", "model_name": "cyto3"}
    options = {"method": "machine-learning", "author": None, "model_name": "cyto2",
               "parameters": {"diameter": 30}}  # fmt: skip
    provenance = merge_provenance(document, "prov.json", options)
    assert provenance.method is Method.MACHINE_LEARNING
    assert provenance.author == "A. Person"
    assert provenance.model_name == "cyto2"
    assert provenance.parameters == {"diameter": 30}


@pytest.mark.parametrize(
    ("software", "name", "version"),
    [("cellpose==3.1.0", "cellpose", "3.1.0"), ("ilastik", "ilastik", None), ("", "doc", None)],
)
def test_the_software_option_splits_name_and_version(
    software: str, name: str, version: str | None
) -> None:
    document = {"method": "algorithm", "software": "doc"}
    provenance = merge_provenance(document, "prov.json", {"software": software})
    assert (provenance.software, provenance.software_version) == (name, version)


@pytest.mark.parametrize(
    ("document", "options", "error"),
    [
        ({}, {"author": "me"}, ("--method", "method", "one of manual, algorithm")),
        ({"method": "magic"}, {}, ("prov.json", "method", "Input should be")),
        ({"method": "manual", "colour": 1}, {}, ("prov.json", "colour", "Extra inputs")),
    ],
)
def test_a_missing_method_or_a_bad_field_is_a_one_line_error_naming_the_input(
    document: dict[str, Any], options: dict[str, Any], error: tuple[str, str, str]
) -> None:
    with pytest.raises(InputError) as raised:
        merge_provenance(document, "prov.json", options)
    source, field, expected = error
    assert (raised.value.source, raised.value.field) == (source, field)
    assert raised.value.expected.startswith(expected)


def test_bad_options_without_a_document_are_named_provenance_options() -> None:
    with pytest.raises(InputError) as raised:
        merge_provenance({}, None, {"method": "manual", "model_sha256": 5})
    assert (raised.value.source, raised.value.field) == ("provenance options", "model_sha256")


optional_text = st.none() | st.text(min_size=1, max_size=8)


@given(
    document_author=optional_text,
    option_author=optional_text,
    document_model=optional_text,
    option_model=optional_text,
)
def test_each_field_comes_from_the_option_when_given_else_from_the_document(
    document_author: str | None,
    option_author: str | None,
    document_model: str | None,
    option_model: str | None,
) -> None:
    document: dict[str, Any] = {"method": "manual"}
    if document_author is not None:
        document["author"] = document_author
    if document_model is not None:
        document["model_name"] = document_model
    options = {"author": option_author, "model_name": option_model}
    provenance = merge_provenance(document, "prov.json", options)
    expected = Provenance(
        method=Method.MANUAL,
        author=option_author if option_author is not None else document_author,
        model_name=option_model if option_model is not None else document_model,
        created=provenance.created,
    )
    assert provenance == expected
