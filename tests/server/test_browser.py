"""The viewer page in Debian's headless Chromium, against ``labelcollections serve`` on the demo.

Each test asserts on what the page shows: text in the DOM and colours of screenshot pixels.
Screenshots go to test-artifacts/viewer/; with LABELCOLLECTIONS_UPDATE_DOC_IMAGES=1 those used by
docs/viewer.md are also copied to docs/images/ (the docs' pictures change only when asked).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from scipy import ndimage

from labelcollections.repository import Repository
from labelcollections.server.tiles import STATUS_COLOURS, Status

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "viewer"
DOC_IMAGES = REPO_ROOT / "docs" / "images"
UPDATE_DOC_IMAGES = os.environ.get("LABELCOLLECTIONS_UPDATE_DOC_IMAGES") == "1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 860}
LOADED = "window.labelViewer.fullyLoaded()"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, server_url: str) -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium (make test installs it)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            device_scale_factor=1,
        )
        errors: list[str] = []
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.goto(server_url)
        yield opened
        context.close()
        assert errors == []


def screenshot(page: Page, name: str, docs: bool = False) -> np.ndarray:
    """Save a screenshot as an artefact (and for the docs); return its RGB pixels."""
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    pixels = Image.open(io.BytesIO(path.read_bytes())).convert("RGB")
    if docs and UPDATE_DOC_IMAGES:
        # The docs keep a 256-colour copy: a third of the size, the same picture to a reader.
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        small = pixels.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(DOC_IMAGES / name, optimize=True)
    return np.asarray(pixels)


def wait_loaded(page: Page, layers: int, viewers: int = 1) -> None:
    page.wait_for_function(
        f"""window.labelViewer.viewers().length === {viewers} && {LOADED} &&
        window.labelViewer.viewers().every(v => v.world.getItemCount() === {layers})"""
    )


def set_opacity(page: Page, value: float) -> None:
    page.eval_on_selector(
        "#opacity",
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
        value,
    )


def inner_point(labels: np.ndarray, value: int) -> tuple[int, int]:
    """The pixel of object ``value`` farthest from its edge."""
    distance = ndimage.distance_transform_edt(labels == value)
    y, x = np.unravel_index(int(np.argmax(distance)), labels.shape)
    return int(x), int(y)


def on_page(page: Page, x: int, y: int, viewer: int = 0) -> tuple[int, int]:
    point: dict[str, float] = page.evaluate(
        "([x, y, i]) => window.labelViewer.imageToPage(x, y, i)", [x + 0.5, y + 0.5, viewer]
    )
    return int(point["x"]), int(point["y"])


def close_to(pixel: np.ndarray, colour: Any) -> bool:
    return bool(np.abs(pixel.astype(int) - np.array(colour[:3])).max() <= 3)


@pytest.fixture(scope="module")
def demo(repository: Repository) -> dict[str, np.ndarray]:
    return {
        key: np.asarray(repository.label_levels(repository.label_image(key))[0][...])[0]
        for key in ("nuclei@v1", "nuclei@v2")
    }


def biggest(labels: np.ndarray) -> int:
    return int(np.argmax(np.bincount(labels.ravel())[1:]) + 1)


def test_image_list(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/#/")
    card = page.wait_for_selector('#image-list li[data-image="ihc"]')
    assert card is not None
    text = card.inner_text()
    assert "ihc" in text
    assert "3 × 512 × 512 (cyx), uint8" in text
    assert "3 collections, 3 label images" in text
    page.wait_for_function("document.querySelector('#image-list img').naturalWidth > 0")
    screenshot(page, "image-list.png", docs=True)


def test_overlays_hover_and_provenance(
    page: Page, server_url: str, demo: dict[str, np.ndarray]
) -> None:
    page.goto(f"{server_url}/#/")
    page.click('#image-list li[data-image="ihc"] a')
    wait_loaded(page, layers=1)
    groups = page.locator("fieldset.collection legend").all_inner_texts()
    assert groups == ["nuclei", "reviewed", "tissue_classes"]

    set_opacity(page, 1)
    page.check('fieldset[data-collection="nuclei"] .overlay[data-key="nuclei@v1"] input')
    wait_loaded(page, layers=2)
    labels = demo["nuclei@v1"]
    value = biggest(labels)
    x, y = inner_point(labels, value)
    page.mouse.move(*on_page(page, x, y))
    hit = page.wait_for_selector(f'.hit[data-value="{value}"]')
    assert hit is not None
    at = httpx.get(f"{server_url}/api/labels/nuclei@v1/at", params={"x": x, "y": y}).json()
    text = hit.inner_text()
    assert at["instance_id"] in text
    assert f"area\t{int((labels == value).sum())}" in text
    pixels = screenshot(page, "hover.png")
    px, py = on_page(page, x, y)
    assert close_to(pixels[py, px], at["color"])
    assert page.inner_text('#provenance-body dd[data-field="label image"]') == "nuclei@v1"

    # Both segmentations at once, as outlines, and the provenance of the second one.
    page.check('fieldset[data-collection="nuclei"] .overlay[data-key="nuclei@v2"] input')
    assert page.is_checked('fieldset[data-collection="reviewed"] .overlay input')
    wait_loaded(page, layers=3)
    page.mouse.move(*on_page(page, x + 1, y))
    page.wait_for_function("document.querySelectorAll('.hit').length === 2")
    keys = page.locator(".hit .title").all_inner_texts()
    assert [key.strip() for key in keys] == ["nuclei@v1", "nuclei@v2"]
    page.check('input[name=mode][value="outline"]')
    wait_loaded(page, layers=3)
    set_opacity(page, 0.9)
    screenshot(page, "overlays-outline.png", docs=True)
    page.check('input[name=mode][value="fill"]')
    set_opacity(page, 0.6)
    wait_loaded(page, layers=3)
    page.wait_for_function(
        "document.querySelector('#provenance-body dd[data-field=\"derived from\"]')"
    )
    provenance = page.inner_text("#provenance-body")
    assert "nuclei@v1" in page.inner_text('#provenance-body dd[data-field="derived from"]')
    assert "scikit-image" in provenance
    assert "labelcollections demo" in provenance
    assert page.locator(".lineage li").all_inner_texts()[1].startswith("nuclei@v2")
    screenshot(page, "overlays.png", docs=True)


def test_compare_difference_and_side_by_side(
    page: Page, server_url: str, demo: dict[str, np.ndarray]
) -> None:
    page.goto(f"{server_url}/#/")
    page.click('#image-list li[data-image="ihc"] a')
    wait_loaded(page, layers=1)
    set_opacity(page, 1)
    page.select_option("#compare-a", label="nuclei@v1")
    page.select_option("#compare-b", label="nuclei@v2")
    page.click("#compare-open")
    page.wait_for_selector("#metrics-table")
    wait_loaded(page, layers=2)
    result = httpx.get(
        f"{server_url}/api/compare", params={"a": "nuclei@v1", "b": "nuclei@v2"}
    ).json()
    metrics = result["metrics"]
    for name in ("matched", "missed", "extra"):
        shown = page.inner_text(f'#metrics-table tr[data-metric="{name}"] td')
        assert shown == str(metrics[name])
    assert page.inner_text('#metrics-table tr[data-metric="F1"] td') == f"{metrics['f1']:.3f}"
    page.mouse.move(5, 5)
    pixels = screenshot(page, "compare-difference.png", docs=True)
    a = demo["nuclei@v1"]
    matched = max(result["matches"], key=lambda pair: (a == pair["a"]).sum())["a"]
    missed = max(result["missed"], key=lambda value: (a == value).sum())
    for value, status in ((matched, Status.MATCHED), (missed, Status.MISSED)):
        px, py = on_page(page, *inner_point(a, value))
        assert close_to(pixels[py, px], STATUS_COLOURS[status]), status

    page.check('input[name="compare-mode"][value="side-by-side"]')
    wait_loaded(page, layers=2, viewers=2)
    assert page.inner_text("#title-a") == "A: nuclei@v1"
    assert page.inner_text("#title-b") == "B: nuclei@v2"
    page.mouse.move(5, 5)
    pixels = screenshot(page, "compare-side-by-side.png", docs=True)
    b = demo["nuclei@v2"]
    value = biggest(b)
    x, y = inner_point(b, value)
    colour = httpx.get(f"{server_url}/api/labels/nuclei@v2/at", params={"x": x, "y": y}).json()
    px, py = on_page(page, x, y, viewer=1)
    assert close_to(pixels[py, px], colour["color"])

    page.click("#compare-close")
    wait_loaded(page, layers=1)
    assert page.is_hidden("#metrics")
