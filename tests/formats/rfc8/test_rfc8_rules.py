"""RFC-8 validation against the shared ngff-zarr conformance cases, plus version handling."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelcollections.errors import InputError
from labelcollections.formats.rfc8 import (
    RULES,
    RuleViolation,
    check_document,
    rules_apply,
    validate_document,
)

CASES_FILE = Path("ngff-zarr-rfc8-cases") / "rfc8_collection_cases.json"


def _case_names() -> list[str]:
    """Case names for parametrisation, read when tests are collected.

    Mirrors the ``conformance_dir`` fixture's lookup; ``test_every_case_is_parametrised`` checks
    against the fixture that nothing was missed.
    """
    configured = os.environ.get("LABELCOLLECTIONS_CONFORMANCE")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[3].parent / "shared" / "conformance"
    )
    try:
        cases = json.loads((root / CASES_FILE).read_text())["cases"]
    except OSError:
        return []
    return [case["name"] for case in cases]


CASE_NAMES = _case_names()


@pytest.fixture(scope="module")
def cases(conformance_dir: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((conformance_dir / CASES_FILE).read_text())
    return {case["name"]: case for case in data["cases"]}


def test_every_case_is_parametrised(cases: dict[str, dict[str, Any]]) -> None:
    assert len(cases) == 82
    assert sorted(CASE_NAMES) == sorted(cases)


def test_rules_cover_exactly_the_case_rule_ids(cases: dict[str, dict[str, Any]]) -> None:
    case_rules = {case["rule"] for case in cases.values() if "rule" in case}
    assert [rule_id for rule_id, _ in RULES] == list(dict.fromkeys(rule_id for rule_id, _ in RULES))
    assert {rule_id for rule_id, _ in RULES} == case_rules
    assert len(RULES) == 19


@pytest.mark.parametrize("name", CASE_NAMES)
def test_conformance_case(name: str, cases: dict[str, dict[str, Any]]) -> None:
    case = cases[name]
    violations = validate_document(case["ome"], case.get("version"))
    if case.get("ok"):
        assert violations == []
        check_document(case["ome"], "case.json", case.get("version"))
        return
    assert violations, "expected a violation"
    first = violations[0]
    assert (first.rule, first.location, first.message) == (
        case["rule"],
        case["location"],
        case["message"],
    )
    with pytest.raises(InputError) as raised:
        check_document(case["ome"], "case.json", case.get("version"))
    assert (raised.value.source, raised.value.field, raised.value.expected) == (
        "case.json",
        case["location"],
        case["message"],
    )
    assert str(raised.value) == f"case.json: {case['location']}: {case['message']}"


@pytest.mark.parametrize(
    ("version", "applies"),
    [
        (None, True),
        ("0.x", True),
        ("not a version", True),
        ("0.4", False),
        ("0.6", False),
        ("0.7dev0", False),
        ("0.8", False),
        ("0.9.dev1", False),
        ("0.9.dev2", False),
        ("0.9.dev3", True),
        ("0.9dev3", True),
        ("0.9.dev4", True),
        ("0.9a1", True),
        ("0.9", True),
        ("0.9.0", True),
        ("1.0dev891342", True),
    ],
)
def test_rules_apply_from_0_9_dev3(version: str | None, applies: bool) -> None:
    assert rules_apply(version) is applies


NAMELESS = {"type": "collection", "nodes": []}


def test_root_version_decides_when_the_caller_gives_none() -> None:
    assert validate_document({**NAMELESS, "version": "0.6"}) == []
    assert [v.rule for v in validate_document({**NAMELESS, "version": "0.9.dev3"})] == [
        "node-name-required"
    ]


def test_unparseable_root_version_is_strict() -> None:
    violations = validate_document({**NAMELESS, "version": "0.x"})
    assert [v.rule for v in violations] == ["node-name-required"]


def test_caller_version_wins_over_the_root_version() -> None:
    assert validate_document({**NAMELESS, "version": "0.9.dev3"}, "0.8") == []
    assert validate_document({**NAMELESS, "version": "0.6"}, "0.9.dev3") != []


def test_all_violations_are_reported_in_rule_order() -> None:
    ome = {
        "version": "0.9.dev3",
        "type": "collection",
        "name": "c",
        "nodes": [
            {"type": "multiscale", "name": "a", "id": "bad id"},
            {"type": "multiscale", "name": "a", "path": {"type": "s3", "path": "x"}},
        ],
    }
    assert [(v.rule, v.location) for v in validate_document(ome)] == [
        ("node-name-unique", "ome.nodes[1]"),
        ("node-id-format", "ome.nodes[0].id"),
        ("node-nodes-xor-path", "ome.nodes[0]"),
        ("path-type-known", "ome.nodes[1].path.type"),
    ]


def test_non_object_nodes_are_reported() -> None:
    ome = {"type": "collection", "name": "c", "nodes": ["raw"]}
    assert validate_document(ome) == [
        RuleViolation(
            "node-type-required",
            "Spec rule [node-type-required] violated: Node must be an object; got 'raw'.",
            "ome.nodes[0]",
        )
    ]


def test_plain_string_paths_of_pre_draft_documents_are_rejected() -> None:
    ome = {
        "version": "0.x",
        "type": "collection",
        "name": "c",
        "nodes": [{"type": "multiscale", "name": "raw", "path": "./raw"}],
    }
    first = validate_document(ome)[0]
    assert (first.rule, first.location) == ("path-type-known", "ome.nodes[0].path")
    assert "got './raw'" in first.message


def test_extension_node_content_is_not_checked() -> None:
    ome = {
        "type": "collection",
        "name": "c",
        "nodes": [{"type": "myorg:thing", "name": "t", "nodes": [{"no": "type"}]}],
    }
    assert validate_document(ome) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "type",
        "name",
        "id",
        "version",
        "nodes",
        "path",
        "attributes",
        "labels",
        "labelAttributes",
        "source",
        "coordinateSystems",
        "coordinateTransformations",
        "input",
        "output",
        "scene",
        "plate",
        "well",
        "acquisition",
        "columns",
        "rows",
        "acquisitions",
    ]
)
DOCUMENTS = st.recursive(
    st.dictionaries(KEYS, JSON, max_size=4),
    lambda children: st.dictionaries(KEYS, children | st.lists(children, max_size=3), max_size=5),
    max_leaves=15,
)


@given(DOCUMENTS)
def test_any_json_object_gets_a_verdict_not_a_crash(ome: dict[str, Any]) -> None:
    violations = validate_document(ome)
    assert all(isinstance(v, RuleViolation) for v in violations)
    assert all(v.message.startswith(f"Spec rule [{v.rule}] violated: ") for v in violations)
    assert all(v.location == "ome" or v.location.startswith("ome.") for v in violations)
