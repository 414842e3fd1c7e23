"""Open a page in a real headless Chromium (Debian's package, driven by Selenium) and report
what a reader would see: console errors, images that failed, links that lead nowhere, and a
screenshot.

Chromium and ChromeDriver come from Debian (``apt-get install chromium chromium-driver``);
``.ci/run`` installs them when missing. Outside CI a machine without them skips the browser
tests with that command as the reason; under CI (``CI`` set) their absence fails the tests, so a
broken install can never pass silently.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import numpy as np
from PIL import Image

INSTALL = "apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    # The machine's network is closed: without these Chromium keeps dialling Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) as installed by Debian, or None."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@dataclass
class PageCheck:
    """What one page load gave."""

    url: str
    title: str
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    image_count: int = 0
    links: list[str] = field(default_factory=list)
    dead_links: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""

    def screenshot_is_blank(self) -> bool:
        """True when the rendered page is one flat colour (nothing drawn)."""
        pixels = np.asarray(Image.open(io.BytesIO(self.screenshot)).convert("L"), dtype=float)
        return float(pixels.std()) < 1.0


def _local_target(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


class Browser:
    """One Chromium session; :meth:`check` loads a page and inspects it."""

    def __init__(self, driver: object) -> None:
        self.driver = driver

    def check(self, page: Path) -> PageCheck:
        driver = self.driver
        url = page.resolve().as_uri()
        driver.get_log("browser")  # drop what earlier pages logged
        driver.get(url)
        images = driver.execute_script(
            "return Array.from(document.images).map("
            "i => [i.getAttribute('src') || '', i.complete && i.naturalWidth > 0])"
        )
        hrefs = driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href]'))"
            ".map(a => a.getAttribute('href'))"
        )
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        result = PageCheck(url=url, title=driver.title)
        result.console_errors = [
            entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
        ]
        result.image_count = len(images)
        result.broken_images = [src[:80] for src, loaded in images if not loaded]
        for href in hrefs:
            if href.startswith("#"):
                continue
            target = urljoin(url, href)
            result.links.append(target)
            local = _local_target(target)
            if local is None or not local.is_file():
                result.dead_links.append(href)
        result.external_requests = [
            name for name in resources if urlparse(name).scheme not in ("file", "data")
        ]
        result.screenshot = driver.get_screenshot_as_png()
        return result
