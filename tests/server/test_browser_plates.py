"""A plate in the viewer, in Debian's headless Chromium: the plate is a grid of wells with
thumbnails, and a well opens its field with the field's label images."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page
from tests.repository.test_plates import COLUMNS, ROWS, write_plate
from tests.server.conftest import serving
from tests.server.test_browser import page, screenshot, wait_loaded

from labelcollections.repository import Repository

__all__ = ["page"]  # the browser fixture, on the server below


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A repository holding the 2 × 3-well, 2-field plate ``p1`` (labels ``cells``)."""
    folder = tmp_path_factory.mktemp("plate")
    write_plate(folder / "plate.ome.zarr", "0.5")
    with Repository.init(folder / "repo") as repository:
        repository.import_store(folder / "plate.ome.zarr", name="p1", collection="cells")
    with serving(folder / "repo", folder / "serve.log") as url:
        yield url


def test_the_plate_api(server_url: str) -> None:
    (plate,) = httpx.get(f"{server_url}/api/plates").json()
    assert (plate["name"], plate["well_count"], plate["field_count"]) == ("p1", 6, 12)
    found = httpx.get(f"{server_url}/api/plates/p1").json()
    well = next(w for w in found["wells"] if w["path"] == "B/3")
    assert [f["name"] for f in well["fields"]] == ["p1_B3_0", "p1_B3_1"]
    assert all(f["label_image_count"] == 1 for f in well["fields"])
    assert httpx.get(f"{server_url}/api/plates/nope").status_code == 404
    found = httpx.get(f"{server_url}/api/find", params={"plate": "p1", "well": "A2"}).json()
    assert sorted(label["image"] for label in found) == ["p1_A2_0", "p1_A2_1"]
    thumbnail = httpx.get(f"{server_url}{well['fields'][0]['thumbnail']}")
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG")


def test_a_plate_is_a_grid_of_wells_that_open_their_fields(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/#/")
    page.click('#plate-list li[data-plate="p1"] a')
    page.wait_for_selector("#plate-grid td.well")
    headers = page.locator("#plate-grid tr").first.locator("th").all_inner_texts()
    assert [h.strip() for h in headers] == ["", *COLUMNS]
    rows = page.locator("#plate-grid tr").all()[1:]
    assert [r.locator("th").inner_text().strip() for r in rows] == ROWS
    assert page.locator("#plate-grid td.well").count() == len(ROWS) * len(COLUMNS)
    page.wait_for_function(
        "[...document.querySelectorAll('#plate-grid img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    screenshot(page, "plate-grid.png", docs=True)
    # The image list leaves the fields to their plate.
    page.goto(f"{server_url}/#/")
    page.wait_for_selector("#plate-list li")
    assert page.locator("#image-list li[data-image]").count() == 0
    page.goto(f"{server_url}/#/plate/p1")
    page.click('#plate-grid td[data-well="B/2"] .fields a[data-field="1"]')
    wait_loaded(page, layers=1)
    assert page.inner_text("#image-title") == "p1_B2_1"
    assert "well B2 / field 1" in page.inner_text("#crumb")
    assert page.locator('.overlay[data-key="cells@v1"]').count() == 1
    page.click("#crumb a")
    page.wait_for_selector("#plate-grid td.well")
