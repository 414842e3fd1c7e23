"""The campaign's report in a real headless Chromium: index.html and an input page render
(not blank), log no console error, load every image, fetch nothing from elsewhere, and every
link to an input page resolves."""

from __future__ import annotations

from pathlib import Path

from tests.browser.harness import Browser


def _assert_sound(check) -> None:
    assert not check.console_errors, check.console_errors
    assert check.image_count > 0 and not check.broken_images, check.broken_images
    assert not check.dead_links, check.dead_links
    assert not check.external_requests, check.external_requests
    assert not check.screenshot_is_blank()


def test_the_report_and_an_input_page_render_in_chromium(
    browser: Browser, campaign_report: Path
) -> None:
    index = browser.check(campaign_report / "index.html")
    assert index.title == "Repair campaign"
    _assert_sound(index)
    inputs = [link for link in index.links if "/inputs/" in link]
    assert len(inputs) == len(list((campaign_report / "inputs").iterdir())) > 0
    first = sorted((campaign_report / "inputs").iterdir())[0]
    page = browser.check(first)
    _assert_sound(page)
    assert page.image_count == 2  # a Grad-CAM overlay per model
    assert (campaign_report / "index.html").resolve().as_uri() in page.links
