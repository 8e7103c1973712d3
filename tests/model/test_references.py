"""A reference splits one way per form, and an ambiguous one lists the first candidates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError, NotFoundError
from labelcollections.model.images import LabelImage
from labelcollections.model.provenance import Provenance
from labelcollections.model.references import (
    SHOWN_CANDIDATES,
    Matches,
    choose,
    choose_label,
    collection_forms,
    label_forms,
)

display_names = st.text(alphabet="ab/@é ", min_size=1, max_size=6).map(str.strip).filter(bool)
image_names = st.sampled_from(["a", "b", "a-b", "a.b", "ab"])
versions = st.sampled_from(["v1", "v2", "a", "b"])
typed = st.text(alphabet="ab/@v1-.", max_size=8)


def named_by_forms(forms_id: str, key: object, qualified: object, label: tuple[str, ...]) -> bool:
    """Whether the readings of a reference name the label image (id, image, name, version)."""
    identifier, image, name, version = label
    return identifier == forms_id or key == (name, version) or qualified == (image, name, version)


@given(image_names, display_names, versions, st.data())
def test_label_readings_name_exactly_the_label_images_whose_forms_equal_the_reference(
    image: str, name: str, version: str, data: st.DataObject
) -> None:
    forms = (f"id{name}", f"{name}@{version}", f"{image}/{name}@{version}")
    reference = data.draw(st.one_of(st.sampled_from(forms), typed, display_names))
    read = label_forms(reference)
    assert named_by_forms(read.id, read.key, read.qualified, (forms[0], image, name, version)) == (
        reference in forms
    )


@given(image_names, display_names, st.data())
def test_collection_readings_name_exactly_the_collections_whose_forms_equal_the_reference(
    image: str, name: str, data: st.DataObject
) -> None:
    forms = (f"id{name}", name, f"{image}/{name}")
    reference = data.draw(st.one_of(st.sampled_from(forms), typed, display_names))
    read = collection_forms(reference)
    named = read.reference in forms[:2] or read.qualified == (image, name)
    assert named == (reference in forms)


def test_the_last_at_and_the_first_slash_split_a_reference() -> None:
    forms = label_forms("img/a/b@c@v2")
    assert (forms.key, forms.qualified) == (("img/a/b@c", "v2"), ("img", "a/b@c", "v2"))
    assert label_forms("@v1").key is None and label_forms("n@").key is None
    assert label_forms("/n@v1").qualified is None and label_forms("i/@v1").qualified is None
    assert collection_forms("img/a/b").qualified == ("img", "a/b")
    assert collection_forms("img/").qualified is None


def test_choosing_returns_the_only_match_or_says_none_or_which() -> None:
    assert choose("r", Matches(1, ("i/r",), "object"), "thing", "a thing") == "object"
    with pytest.raises(NotFoundError, match=r"^r: thing: a thing$"):
        choose("r", Matches(0, ()), "thing", "a thing")
    with pytest.raises(
        InputError, match=r"^r: thing: a reference to one thing; give one of a/r or b/r$"
    ):
        choose("r", Matches(2, ("a/r", "b/r")), "thing", "a thing")


def test_an_ambiguous_reference_lists_the_first_candidates_and_counts_the_rest() -> None:
    """Comparing every candidate: the first ten in the order of their qualified references."""
    images = ["z", "z-1", *(f"p{number:02d}" for number in range(9)), "a", "a.b"]
    candidates = [
        (
            LabelImage(
                id=f"L{number}",
                name="nuclei",
                version="v1",
                image_id=f"id-{image}",
                label_type="semantic",
                provenance=Provenance(method="manual"),
            ),
            image,
            number,
        )
        for number, image in enumerate(images)
    ]
    with pytest.raises(InputError) as raised:
        choose_label("nuclei@v1", candidates, "a label image")
    first = ["a.b", "a", *(f"p{number:02d}" for number in range(8))]
    listed = " or ".join(f"{image}/nuclei@v1" for image in first)
    assert str(raised.value) == (
        f"nuclei@v1: label image: a reference to one label image; give one of {listed} (and 3 more)"
    )
    assert len(first) == SHOWN_CANDIDATES
    label, extra = choose_label("z-1/nuclei@v1", candidates, "a label image")
    assert (label.id, extra) == ("L1", 1)
