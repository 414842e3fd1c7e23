"""The browser check itself can fail: a broken image, a console error, a dead link, a request
that leaves the machine and a blank page are each caught in a real Chromium."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from tests.browser.harness import Browser


def _png_uri(colour: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _page(folder: Path, name: str, body: str) -> Path:
    page = folder / name
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return page


def test_a_sound_page_passes(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    _page(tmp_path / "inputs", "0.html", "<p>input</p>")
    page = _page(
        tmp_path,
        "index.html",
        f"<h1>Report</h1><img src='{_png_uri((200, 30, 30))}'><a href='inputs/0.html'>0</a>"
        "<a href='#top'>top</a>",
    )
    check = browser.check(page)
    assert check.title == "index.html"
    assert check.console_errors == []
    assert check.image_count == 1 and check.broken_images == []
    assert check.dead_links == [] and len(check.links) == 1
    assert check.external_requests == []
    assert not check.screenshot_is_blank()


def test_each_fault_is_caught(browser: Browser, tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "bad.html",
        f"<img src='{_png_uri((0, 90, 200))}'><img src='missing.png'>"
        "<a href='inputs/nowhere.html'>gone</a>"
        "<img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom')</script>",
    )
    check = browser.check(page)
    assert check.image_count == 3
    assert check.broken_images == ["missing.png", "http://127.0.0.1:9/x.png"]
    assert check.dead_links == ["inputs/nowhere.html"]
    assert check.external_requests == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in message for message in check.console_errors)
    assert any("missing.png" in message for message in check.console_errors)


def test_a_blank_page_is_blank(browser: Browser, tmp_path: Path) -> None:
    check = browser.check(_page(tmp_path, "blank.html", ""))
    assert check.screenshot_is_blank()
