"""The discovery path a person takes, in a real Chromium: search, filter by a facet, open a
server, switch install tabs, copy a snippet; then the same path with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import seed
from tests.browser.conftest import NewPage, Watched
from tests.browser.support import (
    assert_focus_visible,
    browser_test,
    focused,
    path_of,
    press_until,
    result_names,
    server_path,
)

pytestmark = browser_test

CLIENTS = ("vscode", "claude-desktop", "claude-code", "cursor", "generic")


def _pypi_servers() -> set[str]:
    """Every listed (not deleted) server with a pypi package: what the pypi facet shows."""
    return {
        item["server"]["name"]
        for item in seed.items()
        if item["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"]
        and item["_meta"]["io.modelcontextprotocol.registry/official"]["status"] != "deleted"
        and any(p["registryType"] == "pypi" for p in item["server"].get("packages", []))
    }


def _no_problems(watched: Watched) -> None:
    assert watched.problems() == []


def test_home_lists_the_recently_updated_newest_first(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto("/")
    names = result_names(page)
    assert names, "the home page lists no servers"
    assert names[0] == seed.NEWEST, names
    assert seed.DELETED not in names
    _no_problems(watched)


def test_more_results_on_the_next_page(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto("/?transport=stdio")
    stdio = page.locator('a.facet[data-facet="transport"][data-value="stdio"] .count')
    total = int(stdio.inner_text().strip())
    first = result_names(page)
    assert len(first) < total, "the test wants more results than fit on one page"
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r"[?&]cursor="))
    second = result_names(page)
    assert second
    assert not set(first) & set(second)
    assert len(first) + len(second) == total
    _no_problems(watched)


def test_search_by_submitting_the_form(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto("/")
    page.fill("#q", seed.SEARCH)
    page.locator("form[role=search] button[type=submit], form[role=search] button").first.click()
    page.wait_for_url(re.compile(rf"[?&]q={seed.SEARCH}\b"))
    expect(page.locator("#results li.result").first).to_be_visible()
    names = result_names(page)
    assert names[0] == seed.EXACT_HIT, names
    # Every result is about the query; a server with it only in its description is still in.
    assert "com.example/weather-alerts" in names
    assert "io.github.bob/forecast-charts" in names
    assert len(names) == 3, names
    expect(page.locator("#result-count")).to_contain_text("3")
    # The search box keeps what was searched for.
    expect(page.locator("#q")).to_have_value(seed.SEARCH)
    _no_problems(watched)


def test_search_as_you_type_updates_results_without_submitting(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto("/")
    page.evaluate("() => { window.__samePage = true; }")  # gone if the page were reloaded
    page.locator("#q").press_sequentially("calendar", delay=40)
    expect(page.locator("#results li.result a.result-link").first).to_have_attribute(
        "href", re.compile(r"/servers/io\.github\.alice(/|%2F)calendar$")
    )
    assert result_names(page) == ["io.github.alice/calendar"]
    assert page.evaluate("() => window.__samePage === true"), "the page was reloaded"
    _no_problems(watched)


def test_filter_by_a_facet(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto("/")
    facet = page.locator('nav[aria-label="Filters"] a.facet[data-facet="registryType"]')
    pypi = facet.and_(page.locator('[data-value="pypi"]'))
    expect(pypi).to_have_count(1)
    shown = int(pypi.locator(".count").inner_text().strip())
    pypi.click()
    page.wait_for_url(re.compile(r"[?&]registryType=pypi\b"))
    chosen = page.locator(
        'nav[aria-label="Filters"] a.facet[data-facet="registryType"][data-value="pypi"]'
    )
    expect(chosen).to_have_attribute("aria-current", "true")
    # No other value of the facet is marked as the current one.
    others = page.locator(
        'nav[aria-label="Filters"] a.facet[aria-current="true"][data-facet="registryType"]'
    )
    expect(others).to_have_count(1)
    names = result_names(page)
    assert set(names) == _pypi_servers()
    assert shown == len(names)
    expect(page.locator("#result-count")).to_contain_text(str(len(names)))
    _no_problems(watched)


def test_open_a_server_from_the_results(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto(f"/?q={seed.SEARCH}")
    page.locator("#results li.result a.result-link").first.click()
    page.wait_for_url(re.compile(r"/servers/io\.github\.alice(/|%2F)weather$"))
    assert path_of(page.url) == server_path(seed.EXACT_HIT)
    expect(page.locator("main h1")).to_have_text("Weather")
    expect(page.locator("p.server-name")).to_have_text(seed.EXACT_HIT)
    versions = page.locator("table#versions")
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        expect(versions).to_contain_text(version)
    expect(page.locator("#status-banner")).to_have_count(0)
    expect(page).to_have_title(re.compile("Weather"))
    _no_problems(watched)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (seed.DEPRECATED, ["deprecated", seed.DEPRECATION_MESSAGE]),
        (seed.DELETED, ["deleted"]),
    ],
    ids=["deprecated", "deleted"],
)
def test_a_status_banner_says_what_became_of_a_server(
    new_page: NewPage, name: str, words: list[str]
) -> None:
    watched = new_page()
    page = watched.goto(server_path(name), status=None)
    banner = page.locator("#status-banner")
    expect(banner).to_be_visible()
    for word in words:
        expect(banner).to_contain_text(word, ignore_case=True)
    _no_problems(watched)


def _tab(page: Page, client: str):
    return page.locator(f'#install [role="tablist"] [role="tab"]#tab-{client}')


def _only_panel_shown(page: Page, client: str) -> None:
    expect(_tab(page, client)).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#panel-{client}")).to_be_visible()
    expect(page.locator(f"#snippet-{client}")).to_be_visible()
    for other in CLIENTS:
        if other != client:
            expect(_tab(page, other)).to_have_attribute("aria-selected", "false")
            expect(page.locator(f"#panel-{other}")).to_be_hidden()
    # Roving tabindex: only the selected tab is in the tab order.
    expect(_tab(page, client)).not_to_have_attribute("tabindex", "-1")
    for other in CLIENTS:
        if other != client:
            expect(_tab(page, other)).to_have_attribute("tabindex", "-1")


def _activate_focused_tab(page: Page) -> None:
    """WAI-ARIA tabs may select on focus (automatic) or on Enter/Space (manual)."""
    if page.evaluate("() => document.activeElement.getAttribute('aria-selected')") != "true":
        page.keyboard.press("Enter")


def test_install_tabs_by_click_and_by_arrow_keys(new_page: NewPage) -> None:
    watched = new_page()
    page = watched.goto(server_path(seed.MULTI))
    tablist = page.locator('#install [role="tablist"]')
    ids = tablist.locator('[role="tab"]').evaluate_all("tabs => tabs.map(t => t.id)")
    assert ids == [f"tab-{c}" for c in CLIENTS]
    for client in CLIENTS:
        expect(_tab(page, client)).to_have_attribute("aria-controls", f"panel-{client}")
    # By click, each tab in turn.
    for client in (*CLIENTS[1:], CLIENTS[0]):
        _tab(page, client).click()
        _only_panel_shown(page, client)
    # By arrow keys: right moves on, left moves back, both wrap round.
    _tab(page, "vscode").focus()
    page.keyboard.press("ArrowRight")
    expect(_tab(page, "claude-desktop")).to_be_focused()
    _activate_focused_tab(page)
    _only_panel_shown(page, "claude-desktop")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(_tab(page, "generic")).to_be_focused()
    _activate_focused_tab(page)
    _only_panel_shown(page, "generic")
    page.keyboard.press("ArrowRight")
    expect(_tab(page, "vscode")).to_be_focused()
    _activate_focused_tab(page)
    _only_panel_shown(page, "vscode")
    # The VS Code and Cursor panels offer a one-click install link.
    expect(page.locator("#panel-vscode a.install-link").first).to_be_visible()
    _tab(page, "cursor").click()
    expect(page.locator("#panel-cursor a.install-link").first).to_be_visible()
    _no_problems(watched)


def test_copy_a_snippet(new_page: NewPage) -> None:
    watched = new_page(clipboard=True)
    page = watched.goto(server_path(seed.EXACT_HIT))
    for client in ("vscode", "claude-code"):
        _tab(page, client).click()
        page.locator(f'#panel-{client} button.copy[data-copy="snippet-{client}"]').click()
        expect(page.locator("[aria-live]").filter(has_text="Copied")).to_have_count(1)
        expected = page.locator(f"#snippet-{client}").text_content()
        assert expected
        assert page.evaluate("() => navigator.clipboard.readText()") == expected
    # The secret is asked for, never filled in.
    assert "WEATHER_API_KEY" in (page.locator("#snippet-vscode").text_content() or "")
    _no_problems(watched)


def test_keyboard_only_through_the_same_path(new_page: NewPage) -> None:
    watched = new_page(clipboard=True)
    page = watched.goto("/")
    keys = page.keyboard

    # The first Tab reaches the skip link, shown when focused; Enter jumps to the content.
    keys.press("Tab")
    now = assert_focus_visible(page)
    assert now["tag"] == "a"
    assert "skip-link" in now["cls"], now
    expect(page.locator("a.skip-link")).to_be_in_viewport()
    keys.press("Enter")
    assert page.url.endswith("#main")
    keys.press("Tab")
    assert_focus_visible(page)
    assert page.evaluate("() => !!document.activeElement.closest('main')"), focused(page)

    # Back up to the search box, type and search.
    press_until(page, "Shift+Tab", "#q")
    keys.type(seed.SEARCH)
    keys.press("Enter")
    page.wait_for_url(re.compile(rf"[?&]q={seed.SEARCH}\b"))
    expect(page.locator("#results li.result").first).to_be_visible()

    # A facet: npm narrows "weather" to the one npm server.
    press_until(page, "Tab", 'a.facet[data-facet="registryType"][data-value="npm"]')
    keys.press("Enter")
    page.wait_for_url(re.compile(r"[?&]registryType=npm\b"))
    assert result_names(page) == [seed.EXACT_HIT]

    # Open the result.
    press_until(page, "Tab", "#results a.result-link")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/servers/io\.github\.alice(/|%2F)weather$"))

    # Into the install tabs: one Tab stop for the tab list, arrows within it.
    press_until(page, "Tab", '#install [role="tab"]')
    expect(_tab(page, "vscode")).to_be_focused()
    keys.press("ArrowRight")
    expect(_tab(page, "claude-desktop")).to_be_focused()
    assert_focus_visible(page)
    _activate_focused_tab(page)
    _only_panel_shown(page, "claude-desktop")

    # On to that panel's copy button, and copy.
    copy = '#panel-claude-desktop button.copy[data-copy="snippet-claude-desktop"]'
    press_until(page, "Tab", copy)
    keys.press("Enter")
    expect(page.locator("[aria-live]").filter(has_text="Copied")).to_have_count(1)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator("#snippet-claude-desktop").text_content()
    _no_problems(watched)
