"""Every kind of page, in a real Chromium: no console errors or uncaught exceptions under the
page's own Content-Security-Policy, no serious or critical axe-core violations in light and
dark colour schemes, and full-page screenshots at phone and desktop width for a person to
look at (.artifacts/screenshots/{page}-{width}-{scheme}.png)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import NewPage, Watched
from tests.browser.support import (
    AXE,
    PAGES,
    SCHEMES,
    SCREENSHOTS,
    WIDTHS,
    browser_test,
)

pytestmark = browser_test


def _document_status(watched: Watched, status: int) -> Any:
    """Chromium reports a document answered with 4xx/5xx as a console error; on a page meant
    to answer so (the 404 page) that one line is expected, nothing else."""
    prefix = f"Failed to load resource: the server responded with a status of {status}"
    page_url = watched.page.url
    return lambda text: status >= 400 and text.startswith(prefix) and f"({page_url})" in text


def _exercise(watched: Watched) -> None:
    """Run the pages' scripts: type into the search box (search as you type) and go through
    the install tabs, where there are some."""
    page = watched.page
    tabs = page.locator('#install [role="tab"]')
    for index in range(tabs.count()):
        tabs.nth(index).click()
    page.locator("#q").press_sequentially("we", delay=30)
    page.wait_for_timeout(700)  # past the search's debounce: its request has been answered
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("name", PAGES)
def test_no_console_errors_under_the_pages_own_csp(new_page: NewPage, name: str) -> None:
    path, status = PAGES[name]
    watched = new_page()  # no bypass_csp: a blocked inline script or style shows here
    watched.goto(path, status=status).wait_for_load_state("networkidle")
    _exercise(watched)
    assert watched.problems(_document_status(watched, status)) == []


def test_pages_send_a_csp_without_inline_scripts(new_page: NewPage) -> None:
    watched = new_page()
    for path, status in PAGES.values():
        response = watched.page.request.get(watched.base + path)
        assert response.status == status
        policy = response.headers.get("content-security-policy", "")
        assert policy, f"{path}: no Content-Security-Policy"
        directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}
        script = directives.get("script-src", directives.get("default-src", ""))
        assert script, f"{path}: {policy}"
        assert "'unsafe-inline'" not in script, f"{path}: {policy}"
        assert "'unsafe-eval'" not in script, f"{path}: {policy}"


def _axe(watched: Watched) -> list[dict[str, Any]]:
    page = watched.page
    page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, { resultTypes: ['violations'] })"
    )
    return [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} - {v['helpUrl']}")
        for node in v["nodes"][:10]:
            lines.append(f"    {json.dumps(node['target'])}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


_AXE_CASES = [pytest.param(name, scheme) for name in PAGES for scheme in SCHEMES]


@pytest.mark.parametrize(("name", "scheme"), _AXE_CASES)
def test_no_serious_accessibility_violations(new_page: NewPage, name: str, scheme: str) -> None:
    path, status = PAGES[name]
    # axe-core is injected as a script tag, which the page's own CSP forbids.
    watched = new_page(color_scheme=scheme, bypass_csp=True)
    watched.goto(path, status=status)
    violations = _axe(watched)
    print(f"axe {name} {scheme}: {len(violations)} serious or critical")
    assert not violations, "\n" + _describe(violations)


def _overflow(watched: Watched) -> list[str]:
    """Elements that stick out past the right edge of the viewport (a sideways scroll)."""
    result: list[str] = watched.page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1) {
              let parent = el.parentElement, clipped = false;
              while (parent && parent !== document.body) {
                const s = getComputedStyle(parent);
                if (s.overflowX !== 'visible') { clipped = true; break; }
                parent = parent.parentElement;
              }
              if (!clipped) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                + ' right=' + Math.round(r.right));
            }
          }
          return out.slice(0, 10);
        }"""
    )
    return result


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_screenshots(new_page: NewPage, name: str, width: str, scheme: str) -> None:
    path, status = PAGES[name]
    watched = new_page(color_scheme=scheme, **WIDTHS[width])
    page = watched.goto(path, status=status)
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png", full_page=True)
    # Nothing makes the page scroll sideways, at a phone's width either.
    scroll = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert scroll <= 0, f"the page scrolls sideways by {scroll}px: {_overflow(watched)}"
    assert watched.problems(_document_status(watched, status)) == []
