"""A real ``registrum serve`` seeded with ``seed.py``, and Debian's Chromium driven by
Playwright (which downloads no browser here: it starts /usr/bin/chromium)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from tests.browser import seed
from tests.browser.support import AXE, CHROMIUM, CHROMIUM_ARGS
from tests.processes import run_cli, serving

# Whatever the environment running the tests holds, this registry uses its own folder's
# SQLite database, and asks no package registry about the made-up packages.
ENV = {
    "MCP_REGISTRY_DATABASE_URL": "",
    "MCP_REGISTRY_DATA_DIR": "registrum-data",
    "MCP_REGISTRY_JWT_PRIVATE_KEY": "",
    "MCP_REGISTRY_POLICY_FILE": "",
    "MCP_REGISTRY_SEED_FROM": "",
    "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
}


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-registry")
    dump = folder / "seed.json"
    dump.write_text(json.dumps(seed.items()))
    imported = run_cli("import", str(dump), cwd=folder, env=ENV)
    assert imported.returncode == 0, imported.stderr
    assert "rejected 0" in imported.stderr.replace("0 rejected", "rejected 0"), imported.stderr
    with serving(folder, ENV) as (url, _log):
        yield url


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is started, and every other test of the worker that calls asyncio.run()
# after the browser tests would fail; leaving the package stops it.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists() or not AXE.exists():  # the package's skip mark says why
        pytest.skip("no chromium or axe-core")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _png(size: int = 48) -> bytes:
    """A small opaque PNG (a blue square): what the icons' address answers."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x2b\x6c\xb0" * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


ICON_PNG = _png()


@dataclass
class Watched:
    """A page and everything it complained about: console errors, uncaught exceptions and
    requests to anywhere but the registry under test (and the icons' address)."""

    page: Page
    base: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def goto(self, path: str, status: int | None = 200) -> Page:
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None
        if status is not None:
            assert response.status == status, f"{path}: HTTP {response.status}"
        return self.page

    def problems(self, allowed: Callable[[str], bool] = lambda _text: False) -> list[str]:
        errors = [text for text in self.console_errors if not allowed(text)]
        return (
            [f"console error: {e}" for e in errors]
            + [f"uncaught exception: {e}" for e in self.page_errors]
            + [f"request outside the registry: {u}" for u in self.outside_requests]
        )


NewPage = Callable[..., Watched]


@pytest.fixture
def new_page(browser: Browser, base_url: str) -> Iterator[NewPage]:
    """Makes a page in a context of its own: ``new_page(viewport=..., color_scheme=...,
    bypass_csp=..., clipboard=True)``."""
    contexts: list[BrowserContext] = []

    def make(*, clipboard: bool = False, **options: Any) -> Watched:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=base_url, **options)
        contexts.append(context)
        context.set_default_timeout(10_000)
        if clipboard:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        page = context.new_page()
        watched = Watched(page, base_url)

        def route(route: Route) -> None:
            url = route.request.url
            if url.startswith(base_url + "/"):
                route.continue_()
            elif url == seed.ICON:
                route.fulfill(status=200, content_type="image/png", body=ICON_PNG)
            else:
                watched.outside_requests.append(url)
                route.abort()

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                watched.console_errors.append(f"{message.text} ({where})")

        context.route("**/*", route)
        page.on("console", console)
        page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
        return watched

    yield make
    for context in contexts:
        context.close()
