"""A corpus of named bad HTTP requests: each answers a 4xx status with a JSON error that names
the parameter (or echoes the value) at fault, as the command line refuses the same input; and
every query parameter of every route is either in the corpus or free text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

BIG = "1" + "0" * 30
INT64_PAST = str(2**63)
PAIR = {"a": "nuclei@v1", "b": "nuclei@v2"}


@dataclass(frozen=True)
class BadRequest:
    name: str
    route: str
    """The route as the OpenAPI schema names it; the request path fills in its placeholders."""
    params: dict[str, str]
    status: int
    parameter: str
    """The query (or path) parameter the error is about."""

    @property
    def path(self) -> str:
        filled = {"image": "ihc", "label": "nuclei@v1", "collection": "nuclei", "fmt": "png"}
        filled |= {"level": "0", "x": "0", "y": "0"}
        filled |= {key: value for key, value in self.params.items() if f"{{{key}}}" in self.route}
        return self.route.format(**filled)

    @property
    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.params.items() if f"{{{k}}}" not in self.route}


FIND = "/api/find"
AT = "/api/labels/{label}/at"
COMPARE = "/api/compare"
IMAGE_TILE = "/api/images/{image}/tiles/{level}/{x}/{y}.{fmt}"
THUMBNAIL = "/api/images/{image}/thumbnail.{fmt}"
LABEL_TILE = "/api/labels/{label}/tiles/{level}/{x}/{y}.{fmt}"
COMPARE_TILE = "/api/compare/tiles/{level}/{x}/{y}.{fmt}"


def bad(name: str, route: str, status: int, parameter: str, **params: str) -> BadRequest:
    return BadRequest(name, route, params, status, parameter)


CASES = [
    # -- find: vocabularies and numbers, as `labelcollections find` checks them -----------------
    bad("find unknown type", FIND, 422, "type", type="bogus"),
    bad("find type in capitals", FIND, 422, "type", type="INSTANCE"),
    bad("find unknown method", FIND, 422, "method", method="bogus"),
    bad("find min_instances 1e23", FIND, 422, "min_instances", min_instances="1e23"),
    bad("find min_instances of 31 digits", FIND, 422, "min_instances", min_instances=BIG),
    bad("find min_instances past int64", FIND, 422, "min_instances", min_instances=INT64_PAST),
    bad("find negative max_instances", FIND, 422, "max_instances", max_instances="-1"),
    bad("find max_instances past int64", FIND, 422, "max_instances", max_instances=INT64_PAST),
    bad("find fractional min_instances", FIND, 422, "min_instances", min_instances="1.5"),
    bad("find infinite min_mean_area", FIND, 422, "min_mean_area", min_mean_area="inf"),
    bad("find negative min_mean_area", FIND, 422, "min_mean_area", min_mean_area="-1"),
    bad("find NaN max_mean_area", FIND, 422, "max_mean_area", max_mean_area="nan"),
    bad("find max_mean_area 1e400", FIND, 422, "max_mean_area", max_mean_area="1e400"),
    bad("find limit 0", FIND, 422, "limit", limit="0"),
    bad("find negative limit", FIND, 422, "limit", limit="-5"),
    bad("find limit past int64", FIND, 422, "limit", limit=INT64_PAST),
    bad("find garbage cursor", FIND, 422, "cursor", cursor="garbage"),
    bad("find empty cursor", FIND, 422, "cursor", cursor=""),
    bad("find malformed well", FIND, 422, "well", well="bogus"),
    bad("find derived_from nothing", FIND, 404, "derived_from", derived_from="nope@v9"),
    bad("find exact_total not a boolean", FIND, 422, "exact_total", exact_total="maybe"),
    # -- the instance under a pixel ---------------------------------------------------------------
    bad("at negative x", AT, 422, "x", x="-1", y="1"),
    bad("at x beyond the image", AT, 422, "x", x="5000", y="1"),
    bad("at x of 31 digits", AT, 422, "x", x=BIG, y="1"),
    bad("at y not a number", AT, 422, "y", x="1", y="a"),
    bad("at y missing", AT, 422, "y", x="1"),
    bad("at negative z", AT, 422, "z", x="1", y="1", z="-1"),
    bad("at z beyond the stack", AT, 422, "z", x="1", y="1", z=BIG),
    bad("at t beyond the series", AT, 422, "t", x="1", y="1", t="5"),
    # -- compare ----------------------------------------------------------------------------------
    bad("compare iou 0", COMPARE, 422, "iou", **PAIR, iou="0"),
    bad("compare iou above 1", COMPARE, 422, "iou", **PAIR, iou="1.5"),
    bad("compare NaN iou", COMPARE, 422, "iou", **PAIR, iou="nan"),
    bad("compare without b", COMPARE, 422, "b", a="nuclei@v1"),
    bad("compare unknown a", COMPARE, 404, "a", a="nope@v1", b="nuclei@v2"),
    # -- tiles ------------------------------------------------------------------------------------
    bad("image tile negative level", IMAGE_TILE, 422, "level", level="-1"),
    bad("image tile level of 31 digits", IMAGE_TILE, 422, "level", level=BIG),
    bad("image tile negative x", IMAGE_TILE, 404, "x", x="-1"),
    bad("image tile y of 31 digits", IMAGE_TILE, 404, "y", y=BIG),
    bad("image tile as bmp", IMAGE_TILE, 422, "fmt", fmt="bmp"),
    bad("image tile negative z", IMAGE_TILE, 422, "z", z="-1"),
    bad("image tile t of 31 digits", IMAGE_TILE, 422, "t", t=BIG),
    bad("image tile size 8", IMAGE_TILE, 422, "size", size="8"),
    bad("image tile size of 31 digits", IMAGE_TILE, 422, "size", size=BIG),
    bad("image tile channels not numbers", IMAGE_TILE, 422, "channels", channels="a"),
    bad("image tile negative channel", IMAGE_TILE, 422, "channels", channels="-1"),
    bad("image tile channel 99", IMAGE_TILE, 422, "channels", channels="0,99"),
    bad("thumbnail size 0", THUMBNAIL, 422, "size", size="0"),
    bad("thumbnail size 5000", THUMBNAIL, 422, "size", size="5000"),
    bad("label tile unknown mode", LABEL_TILE, 422, "mode", mode="bogus"),
    bad("label tile z beyond the stack", LABEL_TILE, 422, "z", z="1"),
    bad("label tile negative t", LABEL_TILE, 422, "t", t="-1"),
    bad("label tile size 4097", LABEL_TILE, 422, "size", size="4097"),
    bad("compare tile NaN iou", COMPARE_TILE, 422, "iou", **PAIR, iou="nan"),
    bad("compare tile without a", COMPARE_TILE, 422, "a", b="nuclei@v2"),
    bad("compare tile unknown b", COMPARE_TILE, 404, "b", a="nuclei@v1", b="nope@v1"),
    bad("compare tile negative z", COMPARE_TILE, 422, "z", **PAIR, z="-1"),
    bad("compare tile t beyond the series", COMPARE_TILE, 422, "t", **PAIR, t="1"),
    bad("compare tile size 0", COMPARE_TILE, 422, "size", **PAIR, size="0"),
    # -- listings by image ------------------------------------------------------------------------
    bad("collections of no image", "/api/collections", 404, "image", image="nope"),
    bad("collection in no image", "/api/collections/{collection}", 404, "image", image="nope"),
    bad("labels of no image", "/api/labels", 404, "image", image="nope"),
]

FREE_TEXT = {
    (FIND, name)
    for name in (
        "software",
        "author",
        "version",
        "class",
        "image",
        "plate",
        "collection",
        "name",
        "model_sha256",
    )
}
"""Filters of free text: any value is a question, answered by the label images that match
(none, for a value no label image has)."""


def test_the_corpus_names_are_unique() -> None:
    assert len({case.name for case in CASES}) == len(CASES)


def test_every_query_parameter_of_every_route_is_tried(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    parameters = {
        (route, parameter["name"])
        for route, operations in schema["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    tried = {(case.route, case.parameter) for case in CASES}
    assert sorted(parameters - tried - FREE_TEXT) == []
    assert parameters >= FREE_TEXT  # the list holds no parameter that is gone


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_request_is_a_json_error_naming_the_parameter(
    client: TestClient, case: BadRequest
) -> None:
    response = client.get(case.path, params=case.query)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    detail = body["detail"]
    if isinstance(detail, list):  # the request's shape: FastAPI's check of declared types
        assert any(error["loc"][-1] == case.parameter for error in detail), detail
    else:  # our own check of the value: the one-line message the command line prints
        given = case.params.get(case.parameter, "")
        assert case.parameter in (body["field"], body["source"]) or given in body["source"], body
    assert "Traceback" not in response.text and "internal" not in response.text
