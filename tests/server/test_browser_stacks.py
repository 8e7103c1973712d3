"""The viewer on a time series of z stacks, in Debian's headless Chromium: the z and t sliders
pick the plane that the image and the label overlay show."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page
from tests.server.conftest import serving
from tests.server.test_browser import close_to, on_page, page, screenshot, set_opacity, wait_loaded

from labelcollections.model.provenance import Provenance
from labelcollections.repository import Repository

__all__ = ["page"]  # the browser fixture, on the server below
SHAPE = (2, 4, 96, 128)
SQUARE = (slice(30, 70), slice(40, 100))


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A repository with one (t, z, y, x) image whose planes differ in brightness, and a label
    image with one object on plane t=1, z=2 only."""
    folder = tmp_path_factory.mktemp("stacks")
    image = np.zeros(SHAPE, dtype=np.uint8)
    for t in range(SHAPE[0]):
        for z in range(SHAPE[1]):
            image[t, z] = 40 + 50 * z + 10 * t
    image[..., :, :8] = 0  # a dark and a bright column in every plane: a real contrast window
    image[..., :, -8:] = 255
    labels = np.zeros(SHAPE, dtype=np.uint16)
    labels[(1, 2, *SQUARE)] = 5
    with Repository.init(folder / "repo") as repository:
        repository.add_image(image, "movie", axes=("t", "z", "y", "x"))
        manual = {"provenance": Provenance(method="manual"), "label_type": "instance"}
        repository.add_labels("movie", labels, collection="cells", name="cells", **manual)
    with serving(folder / "repo", folder / "serve.log") as url:
        yield url


def move_slider(page: Page, axis: str, value: int) -> None:
    slider = page.locator("#plane-controls label", has_text=axis).locator("input")
    slider.evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(value)
    )


def test_z_and_t_sliders_choose_the_plane(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/#/")
    page.click('#image-list li[data-image="movie"] a')
    wait_loaded(page, layers=1)
    labels = page.locator("#plane-controls label").all_inner_texts()
    assert [text.strip()[0] for text in labels] == ["z", "t"]
    set_opacity(page, 1)
    page.check('.overlay[data-key="cells@v1"] input')
    wait_loaded(page, layers=2)
    x, y = on_page(page, 70, 50)
    colour = httpx.get(
        f"{server_url}/api/labels/cells@v1/at", params={"x": 70, "y": 50, "z": 2, "t": 1}
    ).json()["color"]

    shown = {}
    for t, z in ((0, 0), (0, 3), (1, 2)):
        move_slider(page, "t", t)
        move_slider(page, "z", z)
        wait_loaded(page, layers=2)
        page.wait_for_timeout(300)
        wait_loaded(page, layers=2)
        shown[t, z] = screenshot(page, f"stack-t{t}-z{z}.png")[y, x]
    assert shown[0, 0].max() < shown[0, 3].min()  # plane z=3 is brighter than z=0
    assert not close_to(shown[0, 3], colour)
    assert close_to(shown[1, 2], colour)  # the object is on t=1, z=2 only
    assert page.inner_text("#plane-controls").split() == ["z", "2", "t", "1"]


def test_the_repository_behind_the_page_holds_the_stack(server_url: str) -> None:
    image = httpx.get(f"{server_url}/api/images/movie").json()
    assert image["planes"] == {"z": 4, "t": 2}
