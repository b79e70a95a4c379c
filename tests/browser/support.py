"""What the browser tests share: where Chromium and axe-core are, the pages to visit, and
helpers to walk a page with the keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser import seed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by scripts/test
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"  # npm ci by scripts/test
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"

# This machine's network is closed: these flags stop Chromium's own background connections
# (updates, sync, safe browsing), which would otherwise be refused many times a start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_missing = [
    what
    for what, path in (
        ("Debian's chromium (/usr/bin/chromium; scripts/test installs it)", CHROMIUM),
        ("axe-core (tests/browser/node_modules; scripts/test runs npm ci)", AXE),
    )
    if not path.exists()
]
# Every test of the package is slow (a real server and a real browser) and needs both.
browser_test = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_missing), reason="missing: " + "; ".join(_missing)),
]

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}}
WIDTHS = {"390": PHONE, "1440": DESKTOP}
SCHEMES = ("light", "dark")


def server_path(name: str) -> str:
    return f"/servers/{name}"


# Every kind of page, by a short name for reports and screenshot files: (path, HTTP status).
PAGES: dict[str, tuple[str, int]] = {
    "home": ("/", 200),
    "results": (f"/?q={seed.SEARCH}", 200),
    "filtered": ("/?registryType=pypi", 200),
    "server": (server_path(seed.EXACT_HIT), 200),
    "server-options": (server_path(seed.MULTI), 200),
    "server-remote": (server_path(seed.REMOTE), 200),
    "server-deprecated": (server_path(seed.DEPRECATED), 200),
    "server-deleted": (server_path(seed.DELETED), 200),
    "server-long": (server_path(seed.LONG_NAME), 200),
    "namespace": (f"/namespaces/{seed.NAMESPACE}", 200),
    "changes": ("/changes", 200),
    "not-found": ("/servers/com.example/no-such-server", 404),
}


def path_of(href: str) -> str:
    """The decoded path of a link (``%2F`` and ``/`` read the same)."""
    return unquote(urlsplit(href).path)


def result_names(page: Page) -> list[str]:
    """The server names the result links point at, in order."""
    hrefs = page.locator("#results li.result a.result-link").evaluate_all(
        "links => links.map(a => a.href)"
    )
    return [path_of(h).removeprefix("/servers/") for h in hrefs]


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    cls: el.className,
    text: (el.textContent || '').trim().slice(0, 40),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none',
  };
}"""


def focused(page: Page) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(FOCUS_STYLE)
    return result


def assert_focus_visible(page: Page) -> dict[str, Any]:
    """The focused element draws a focus indicator (an outline or a box shadow)."""
    now = focused(page)
    assert now is not None, "nothing has focus"
    assert now["outline"] or now["shadow"], f"focus is not visible on {now}"
    return now


def press_until(page: Page, key: str, selector: str, limit: int = 60) -> None:
    """Press ``key`` (Tab or Shift+Tab) until the focused element matches ``selector``,
    checking at every stop that focus is visible."""
    for _ in range(limit):
        page.keyboard.press(key)
        assert_focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector}")
