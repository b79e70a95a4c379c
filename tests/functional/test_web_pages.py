"""The browsing UI (issue #16): every page, its parts the browser tests rely on, its headers
and caching, and that publisher data, however hostile, renders as text. On both backends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from registrum.core import wire
from registrum.server.wiring import Registry
from registrum.web.headers import CONTENT_SECURITY_POLICY
from tests.conftest import TokenFactory, auth
from tests.factories import enc, npm_package, remote, server_json

X = "/v0.1/x/io.registrum"
CLIENT_IDS = ("vscode", "claude-desktop", "claude-code", "cursor", "generic")


# --- a small DOM, from the standard library's parser ------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    parts: list[Node | str] = field(default_factory=list)  # children and text, in order
    parent: Node | None = None

    def add(self, child: Node) -> None:
        self.children.append(child)
        self.parts.append(child)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.iter()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def by_id(self, id_: str) -> Node:
        return self.one(id=id_)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def with_class(self, name: str) -> list[Node]:
        return [n for n in self.iter() if name in n.classes()]

    @property
    def content(self) -> str:
        return "".join(p if isinstance(p, str) else p.content for p in self.parts)


VOID = {"meta", "link", "input", "img", "br", "hr", "source", "col", "area", "base", "wbr"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.raw_attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.raw_attrs += attrs
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].add(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.raw_attrs += attrs
        self.stack[-1].add(Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
        raise AssertionError(f"</{tag}> closes nothing")

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert len(builder.stack) == 1, f"unclosed: {[n.tag for n in builder.stack[1:]]}"
    return builder.root


# Every element the templates write; an element of any other kind came from the data.
TEMPLATE_TAGS = {
    "#document", "html", "head", "meta", "title", "link", "script", "body", "a", "span",
    "header", "div", "form", "label", "input", "button", "nav", "ul", "li", "main", "footer",
    "p", "h1", "h2", "h3", "h4", "section", "ol", "img", "bdi", "time", "strong", "code", "pre",
    "article", "dl", "dt", "dd", "aside", "table", "thead", "tbody", "tr", "th", "td",
    "details", "summary",
}  # fmt: skip
SAFE_HREF = ("/", "#", "http://", "https://", "vscode:mcp/install?", "vscode-insiders:mcp/install?",
             "cursor://anysphere.cursor-deeplink/mcp/install?")  # fmt: skip


def check_page(html: str) -> Node:
    """The rules every page keeps: structure, accessibility landmarks, no inline script or
    style (the CSP forbids them), no event handlers, links and sources only of safe kinds."""
    doc = parse(html)
    assert doc.one("html").attrs["lang"] == "en"
    body = doc.one("body")
    first = next(c for c in body.children)
    assert first.tag == "a"
    assert first.classes() == {"skip-link"}
    assert first.attrs["href"] == "#main"
    doc.one("header")
    doc.one("footer")
    doc.one("main", id="main")
    assert len(doc.all("h1")) == 1
    doc.one("a", class_="brand", href="/")
    form = doc.one("form", role="search")
    assert form.attrs["action"] == "/"
    assert form.attrs["method"] == "get"
    doc.one("label", for_="q")
    search = doc.one("input", id="q")
    assert search.attrs["name"] == "q"
    assert search.attrs["type"] == "search"
    assert form.all("button")
    for node in doc.iter():
        assert node.tag in TEMPLATE_TAGS, f"<{node.tag}> is not one the templates write"
        for name, value in node.attrs.items():
            assert not name.startswith("on"), f"event handler {name}={value!r}"
            assert name != "style", f"inline style on <{node.tag}>"
        if node.tag == "script":
            assert node.attrs.get("src", "").startswith("/static/"), "inline or foreign script"
            assert not node.content.strip()
        if node.tag == "a" and "href" in node.attrs:
            href = node.attrs["href"]
            assert href.startswith(SAFE_HREF), f"unsafe href {href!r}"
            if href.startswith(("http://", "https://")):
                assert set(node.attrs.get("rel", "").split()) >= {"noopener", "noreferrer"}
        if node.tag == "img":
            assert node.attrs["src"].startswith("https://"), node.attrs
            assert node.attrs["referrerpolicy"] == "no-referrer"
        if node.tag == "link":
            assert node.attrs["href"].startswith("/static/")
        for control in ("input", "button"):
            if node.tag == control and node.attrs.get("type") not in ("hidden", "submit", "button"):
                assert doc.all("label", for_=node.attrs["id"]), f"unlabelled {control}"
    assert "<style" not in html.lower()
    return doc


def page(client: TestClient, path: str, status: int = 200) -> Node:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return check_page(r.text)


def hrefs(node: Node) -> list[str]:
    return [n.attrs["href"] for n in node.all("a") if "href" in n.attrs]


# --- data ---------------------------------------------------------------------------------


def envelope(doc: dict[str, Any], status: str = "active", message: str | None = None) -> dict:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    meta: dict[str, Any] = {
        "status": status,
        "publishedAt": now,
        "updatedAt": now,
        "statusChangedAt": now,
        "isLatest": True,
    }
    if message is not None:
        meta["statusMessage"] = message
    return {"server": doc, "_meta": {wire.OFFICIAL_META: meta}}


def weather(**members: Any) -> dict[str, Any]:
    return server_json(
        title="Weather",
        packages=[
            npm_package(
                environmentVariables=[
                    {
                        "name": "API_KEY",
                        "description": "Your key",
                        "isSecret": True,
                        "isRequired": True,
                    }
                ]
            )
        ],
        remotes=[remote()],
        repository={"url": "https://github.com/alice/weather", "source": "github"},
        websiteUrl="https://weather.example.com",
        icons=[{"src": "https://weather.example.com/icon.png"}],
        **members,
    )


@pytest.fixture
def servers(client: TestClient, publish: Any) -> None:
    assert publish(weather()).status_code == 200
    assert publish(weather(version="1.1.0")).status_code == 200
    tools = server_json(
        "com.example/tools",
        description="Assorted tools over a remote.",
        remotes=[remote("https://tools.example.com/mcp")],
    )
    assert publish(tools).status_code == 200
    py = server_json(
        "io.github.bob/files",
        description="Files on disk.",
        packages=[npm_package(registryType="pypi", identifier="bob-files")],
    )
    assert publish(py).status_code == 200


# --- the pages ----------------------------------------------------------------------------


def test_home_shows_counts_facets_and_recently_updated(client: TestClient, servers: None) -> None:
    doc = page(client, "/")
    assert "3 servers" in doc.by_id("result-count").content
    results = doc.by_id("results")
    names = [n.content for n in results.with_class("result-name")]
    assert len(results.all("li", class_="result")) == 3
    assert any("io.github.bob/files" in n for n in names)
    links = [a.attrs["href"] for a in results.all("a", class_="result-link")]
    assert "/servers/io.github.alice/weather" in links
    filters = doc.one("nav", aria_label="Filters")
    npm = filters.one("a", class_="facet", data_facet="registryType", data_value="npm")
    assert npm.one("span", class_="count").content == "1"
    assert "aria-current" not in npm.attrs
    assert urlsplit(npm.attrs["href"]).path == "/"
    assert parse_qs(urlsplit(npm.attrs["href"]).query) == {"registryType": ["npm"]}


def test_search_and_facets_narrow_the_results(client: TestClient, servers: None) -> None:
    doc = page(client, "/?q=weather")
    assert [a.attrs["href"] for a in doc.all("a", class_="result-link")] == [
        "/servers/io.github.alice/weather"
    ]
    assert "1 server" in doc.by_id("result-count").content
    doc = page(client, "/?hasRemote=true")
    found = {a.attrs["href"] for a in doc.all("a", class_="result-link")}
    assert found == {"/servers/io.github.alice/weather", "/servers/com.example/tools"}
    pypi = doc.one("a", class_="facet", data_facet="registryType", data_value="npm")
    # Counts ignore their own facet's filter, not the others'.
    assert pypi.one("span", class_="count").content == "1"
    active = doc.one("a", class_="facet", data_facet="hasRemote", data_value="true")
    assert active.attrs["aria-current"] == "true"
    assert active.attrs["href"] == "/", "the active facet's link removes its filter"
    # The search form keeps the filters when the text changes.
    hidden = doc.one("form", role="search").all("input", type="hidden")
    assert [(h.attrs["name"], h.attrs["value"]) for h in hidden] == [("hasRemote", "true")]
    doc = page(client, "/?registryType=pypi")
    assert [a.attrs["href"] for a in doc.all("a", class_="result-link")] == [
        "/servers/io.github.bob/files"
    ]
    doc = page(client, "/?q=nothing-matches-this")
    assert not doc.by_id("results").all("li")
    assert "No servers" in doc.by_id("result-count").content


def test_results_page_with_a_next_link(client: TestClient, registry: Registry) -> None:
    docs = [server_json(f"io.github.pager/s{i:02d}", description="paged") for i in range(25)]
    assert registry.context.importer.import_items(docs).added == 25
    doc = page(client, "/?q=paged")
    assert len(doc.all("li", class_="result")) == 20
    assert "25 servers" in doc.by_id("result-count").content
    nxt = doc.one("a", rel="next").attrs["href"]
    second = page(client, nxt)
    assert len(second.all("li", class_="result")) == 5
    assert not second.all("a", rel="next")
    first = {a.attrs["href"] for a in doc.all("a", class_="result-link")}
    assert first.isdisjoint(a.attrs["href"] for a in second.all("a", class_="result-link"))
    page(client, "/?q=paged&cursor=not-a-cursor", 400)


def test_server_page(client: TestClient, servers: None) -> None:
    doc = page(client, "/servers/io.github.alice/weather")
    assert doc.one("h1").content.strip() == "Weather"
    assert doc.one("p", class_="server-name").content.strip() == "io.github.alice/weather"
    assert not doc.all(id="status-banner")
    icon = doc.one("img", class_="icon icon-large")
    assert icon.attrs["src"] == "https://weather.example.com/icon.png"
    install = doc.one("section", id="install")
    title = install.attrs["aria-labelledby"]
    assert doc.by_id(title).content == "Install"
    tablist = install.one("div", role="tablist")
    tabs = tablist.all("button", role="tab")
    assert [t.attrs["id"] for t in tabs] == [f"tab-{c}" for c in CLIENT_IDS]
    assert [t.attrs["aria-selected"] for t in tabs] == ["true"] + ["false"] * 4
    for client_id in CLIENT_IDS:
        panel = doc.by_id(f"panel-{client_id}")
        assert panel.attrs["role"] == "tabpanel"
        assert panel.attrs["aria-labelledby"] == f"tab-{client_id}"
        assert doc.by_id(f"tab-{client_id}").attrs["aria-controls"] == f"panel-{client_id}"
        snippet = panel.one("code", id=f"snippet-{client_id}")
        assert snippet.parent is not None
        assert snippet.parent.tag == "pre"
        assert snippet.content.strip()
        panel.one("button", class_="copy", data_copy=f"snippet-{client_id}")
    vscode = doc.by_id("panel-vscode")
    links = [a.attrs["href"] for a in vscode.all("a", class_="install-link button")]
    assert links
    assert links[0].startswith("vscode:mcp/install?")
    cursor = doc.by_id("panel-cursor").all("a", class_="install-link button")
    assert cursor[0].attrs["href"].startswith("cursor://")
    # The remote is the first way to run; the package, which needs a key, the second.
    assert "mcp.example.com" in doc.by_id("snippet-vscode").content
    # Two ways to run: a chooser, rendered on the server.
    options = install.one("nav", aria_label="Ways to run")
    assert [a.attrs["href"] for a in options.all("a")] == [
        "/servers/io.github.alice/weather?option=0#install",
        "/servers/io.github.alice/weather?option=1#install",
    ]
    other = page(client, "/servers/io.github.alice/weather?option=1")
    assert "API_KEY" in other.by_id("snippet-vscode").content
    assert "@example/weather-mcp" in other.by_id("snippet-claude-code").content
    # Versions with dates; packages, remotes, links, provenance, ids.
    rows = doc.by_id("versions").one("tbody").all("tr")
    assert [r.all("a")[0].content for r in rows] == ["1.1.0", "1.0.0"]
    assert all(r.all("time")[0].attrs["datetime"].endswith("Z") for r in rows)
    assert "@example/weather-mcp" in doc.by_id("packages").content
    assert "https://mcp.example.com/mcp" in doc.by_id("remotes").content
    link_hrefs = hrefs(doc.by_id("links"))
    assert link_hrefs == ["https://github.com/alice/weather", "https://weather.example.com"]
    for a in doc.by_id("links").all("a"):
        assert set(a.attrs["rel"].split()) == {"noopener", "noreferrer", "nofollow", "ugc"}
    assert "GitHub" in doc.by_id("provenance").content
    ids = doc.by_id("ids").content
    served = client.get(f"/v0.1/servers/{enc('io.github.alice/weather')}/versions/latest").json()
    meta = served["_meta"][wire.REGISTRUM_META]
    assert meta["serverId"] in ids
    assert meta["versionId"] in ids


def test_an_older_version_and_the_encoded_name(client: TestClient, servers: None) -> None:
    doc = page(client, "/servers/io.github.alice/weather?version=1.0.0")
    assert "v1.0.0" in doc.one("p", class_="server-meta").content
    current = doc.by_id("versions").one("tr", aria_current="true")
    assert current.all("a")[0].content == "1.0.0"
    encoded = page(client, "/servers/io.github.alice%2Fweather")
    assert encoded.one("h1").content.strip() == "Weather"
    page(client, "/servers/io.github.alice/weather?version=9.9.9", 404)


def test_unknown_pages_are_real_404_pages(client: TestClient, servers: None) -> None:
    for path in ("/servers/io.github.nobody/nothing", "/namespaces/io.github.nobody"):
        doc = page(client, path, 404)
        assert "Not found" in doc.one("h1").content
    page(client, "/static/registrum.0000.css", 404)
    page(client, "/servers/io.github.alice/weather?option=7", 400)


def test_a_renamed_server_redirects_to_its_new_page(
    client: TestClient, servers: None, token: TokenFactory
) -> None:
    alice = token("publish:io.github.alice/*")
    r = client.post(
        f"{X}/servers/{enc('io.github.alice/weather')}/rename",
        json={"newName": "io.github.alice/forecast"},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    old = client.get("/servers/io.github.alice/weather?version=1.0.0", follow_redirects=False)
    assert old.status_code == 308
    assert old.headers["location"] == "/servers/io.github.alice/forecast?version=1.0.0"
    doc = page(client, "/servers/io.github.alice/forecast")
    assert "io.github.alice/weather" in doc.by_id("previous-names").content
    timeline = page(client, "/changes").by_id("timeline")
    assert "renamed" in [n.content for n in timeline.with_class("kind")]


def test_deprecated_and_deleted_banners(client: TestClient, registry: Registry) -> None:
    items = [
        envelope(server_json("io.github.old/thing"), "deprecated", "Use io.github.new/thing."),
        envelope(server_json("io.github.gone/thing"), "deleted", "Malware, removed."),
    ]
    assert registry.context.importer.import_items(items).added == 2
    banner = page(client, "/servers/io.github.old/thing").by_id("status-banner")
    assert banner.attrs["role"] == "status"
    assert "Deprecated" in banner.content
    assert "Use io.github.new/thing." in banner.content
    banner = page(client, "/servers/io.github.gone/thing").by_id("status-banner")
    assert "Deleted" in banner.content
    assert "Malware, removed." in banner.content
    home = page(client, "/")
    shown = [a.attrs["href"] for a in home.all("a", class_="result-link")]
    assert shown == ["/servers/io.github.old/thing"], "deleted servers are not listed"
    assert home.one("li", class_="result").with_class("status-deprecated")
    deleted = page(client, "/?status=deleted")
    assert [a.attrs["href"] for a in deleted.all("a", class_="result-link")] == [
        "/servers/io.github.gone/thing"
    ]


def test_a_mirrored_server_says_where_it_comes_from(
    client: TestClient, registry: Registry, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps([envelope(server_json("io.github.up/stream"))]))
    registry.context.mirror.add("upstream-a", str(dump), "file")
    registry.context.mirror.sync("upstream-a")
    doc = page(client, "/servers/io.github.up/stream")
    banner = doc.by_id("status-banner")
    assert "read-only copy of upstream-a" in " ".join(banner.content.split())
    assert "upstream-a" in doc.by_id("provenance").content


def test_namespace_page(client: TestClient, servers: None) -> None:
    doc = page(client, "/namespaces/io.github.alice")
    assert doc.one("h1").content.strip() == "io.github.alice"
    assert [a.attrs["href"] for a in doc.by_id("results").all("a", class_="result-link")] == [
        "/servers/io.github.alice/weather"
    ]


def test_changes_timeline(client: TestClient, registry: Registry, servers: None) -> None:
    doc = page(client, "/changes")
    entries = doc.by_id("timeline").with_class("change")
    feed = client.get(f"{X}/changes").json()
    assert len(entries) == feed["metadata"]["count"] >= 4
    newest = entries[0]
    assert newest.one("time").attrs["datetime"].endswith("Z")
    assert "published" in newest.one("span", class_="kind").content
    assert newest.all("a")[0].attrs["href"] == "/servers/io.github.bob/files"
    docs = [server_json(f"io.github.many/s{i:02d}") for i in range(60)]
    registry.context.importer.import_items(docs)
    doc = page(client, "/changes")
    assert len(doc.by_id("timeline").all("li")) == 50
    older = page(client, doc.one("a", rel="next").attrs["href"])
    head = client.get(f"{X}/changes").json()["metadata"]["head"]
    seqs = [int(n.content.lstrip("#")) for n in older.by_id("timeline").with_class("seq")]
    assert seqs == list(range(head - 50, 0, -1))
    assert not older.all("a", rel="next")
    page(client, "/changes?since=abc", 400)


# --- headers, caching, static files -------------------------------------------------------


def test_security_headers_on_every_page(client: TestClient, servers: None) -> None:
    for path in ("/", "/?q=x", "/servers/io.github.alice/weather", "/namespaces/com.example",
                 "/changes", "/servers/nothing/here"):  # fmt: skip
        r = client.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_pages_are_etagged_and_revalidated(client: TestClient, servers: None, publish: Any) -> None:
    for path in ("/", "/?q=weather", "/servers/io.github.alice/weather", "/changes",
                 "/namespaces/io.github.alice"):  # fmt: skip
        first = client.get(path)
        etag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
    before = client.get("/").headers["etag"]
    assert publish(server_json("io.github.carol/new")).status_code == 200
    after = client.get("/", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert "io.github.carol/new" in after.text


def test_static_files_are_served_for_a_year(client: TestClient) -> None:
    doc = page(client, "/")
    css = doc.one("link", rel="stylesheet").attrs["href"]
    js = doc.one("script").attrs["src"]
    for url, kind in ((css, "text/css"), (js, "text/javascript")):
        assert re.fullmatch(r"/static/registrum\.[0-9a-f]{12}\.(css|js)", url)
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(kind)
        assert "immutable" in r.headers["cache-control"]
        assert "max-age=31536000" in r.headers["cache-control"]
        assert r.headers["x-content-type-options"] == "nosniff"
    assert "overflow-wrap: anywhere" in client.get(css).text
    assert ":focus-visible" in client.get(css).text
    assert "prefers-color-scheme: dark" in client.get(css).text


# --- hostile data -------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
HANDLER = "<a href=# onclick=alert(1) onmouseover='alert(2)'>x</a>"
BIDI = "safe\u202etxt.exe\u2066isolate\u2069\u200f"
LONG = "W" * 10_240
HOSTILE = f"{SCRIPT} {BREAKOUT} {HANDLER} {BIDI}"


def hostile_document(name: str) -> dict[str, Any]:
    return {
        "$schema": wire.CURRENT_SCHEMA_URL,
        "name": name,
        "version": f"1.0.0-{SCRIPT}\u202e",
        "title": HOSTILE,
        "description": f"{HOSTILE} {LONG}",
        "websiteUrl": JS_URL,
        "repository": {"url": JS_URL, "source": HOSTILE},
        "icons": [{"src": JS_URL}, {"src": "http://insecure.example.com/i.png"}],
        "packages": [
            {
                "registryType": f"npm{BREAKOUT}",
                "identifier": f"@evil/{SCRIPT}",
                "version": HOSTILE,
                "runtimeHint": f"npx {BREAKOUT}",
                "transport": {"type": "stdio"},
                "runtimeArguments": [
                    {"type": "named", "name": f"--{BREAKOUT}", "value": HOSTILE},
                ],
                "packageArguments": [
                    {"type": "positional", "value": SCRIPT, "description": HOSTILE},
                ],
                "environmentVariables": [
                    {"name": f"KEY{BREAKOUT}", "description": HOSTILE, "isSecret": True},
                    {"name": "LONG", "description": LONG, "default": HANDLER},
                ],
            }
        ],
        "remotes": [
            {
                "type": "streamable-http",
                "url": f"https://evil.example.com/{SCRIPT}?{BREAKOUT}",
                "headers": [{"name": f"X-{BREAKOUT}", "value": HOSTILE, "description": BIDI}],
            },
            {"type": "sse", "url": JS_URL},
        ],
    }


def assert_harmless(html: str) -> Node:
    """Nothing of the data became markup; bidi controls are spelled out, not obeyed."""
    doc = check_page(html)
    for node in doc.iter():
        for name in ("href", "src", "action", "srcset", "formaction"):
            assert "javascript:" not in node.attrs.get(name, "").lower(), (node.tag, name)
    for char in "\u202e\u2066\u2069\u200f":
        assert char not in html, f"U+{ord(char):04X} reached the page"
    assert "alert(1)" not in "".join(n.tag for n in doc.iter())
    return doc


def test_hostile_documents_render_as_text(client: TestClient, registry: Registry) -> None:
    items = [
        envelope(hostile_document("io.github.evil/xss"), "deprecated", HOSTILE),
        hostile_document(f"io.github.evil/{SCRIPT}"),  # stored only if a name may hold it
        hostile_document(f"io.github.evil/x{BIDI}"),
    ]
    result = registry.context.importer.import_items(items)
    assert result.added >= 1, result.rejected
    stored = [
        s["server"]["name"]
        for s in client.get("/v0.1/servers", params={"search": "evil"}).json()["servers"]
    ]
    assert "io.github.evil/xss" in stored
    pages = ["/", "/?q=evil", "/?q=" + SCRIPT, "/namespaces/io.github.evil", "/changes"]
    for name in stored:
        pages += [f"/servers/{enc(name)}", f"/servers/{enc(name)}?option=1"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        doc = assert_harmless(r.text)
        if path.startswith("/servers/io.github.evil%2Fxss"):
            text = doc.one("main").content
            assert SCRIPT in doc.one("h1").content
            assert BREAKOUT in text
            assert HANDLER in text
            assert "[U+202E]" in text, "bidi controls are spelled out"
            assert "W" * 9000 in text, "a long description is all there, the rest in <details>"
            assert JS_URL in doc.by_id("links").content, "shown as text, not linked"
            assert not doc.by_id("links").all("a")
            assert not doc.all("img"), "neither javascript: nor http: icons are loaded"
            assert HOSTILE.split("\u202e")[0] in doc.by_id("status-banner").content
            for client_id in CLIENT_IDS:
                doc.by_id(f"panel-{client_id}")
    # Publisher text sits in elements that isolate its direction.
    doc = parse(client.get(f"/servers/{enc('io.github.evil/xss')}").text)
    assert doc.one("h1").attrs["dir"] == "auto"
    assert doc.one("p", class_="server-name").all("bdi")
    assert all(p.attrs["dir"] == "auto" for p in doc.all("p", class_="description"))


def test_a_hostile_query_is_text(client: TestClient, servers: None) -> None:
    for q in (SCRIPT, BREAKOUT, HANDLER, "\u202eabc"):
        r = client.get("/", params={"q": q, "registryType": BREAKOUT, "namespace": JS_URL})
        assert r.status_code == 200
        doc = assert_harmless(r.text)
        assert doc.one("input", id="q").attrs["value"] == q.replace("\u202e", "[U+202E]")


def test_a_deleted_version_offers_no_install(client: TestClient, registry: Registry) -> None:
    gone = server_json("io.github.gone/tool", packages=[npm_package()])
    assert registry.context.importer.import_items([envelope(gone, "deleted", "Removed.")]).added
    doc = page(client, "/servers/io.github.gone/tool")
    assert "not offered for install" in doc.by_id("install-withheld").content
    assert not doc.all("button", class_="copy")
    assert not doc.all("a", class_="install-link")


def test_secret_values_are_never_shown(client: TestClient, registry: Registry) -> None:
    secret_env = {"name": "API_KEY", "isSecret": True, "default": "sk-live-DEFAULT"}
    secret_arg = {"type": "named", "name": "--token", "isSecret": True, "value": "hunter2-VALUE"}
    header = {
        "name": "Authorization",
        "value": "Bearer {token}",
        "variables": {"token": {"isSecret": True, "default": "tok-VARIABLE"}},
    }
    doc = server_json(
        "io.github.alice/secretive",
        packages=[npm_package(environmentVariables=[secret_env], packageArguments=[secret_arg])],
        remotes=[remote(headers=[header])],
    )
    assert registry.context.importer.import_items([envelope(doc)]).added == 1
    html = client.get("/servers/io.github.alice/secretive").text
    for secret in ("sk-live-DEFAULT", "hunter2-VALUE", "tok-VARIABLE"):
        assert secret not in html


@pytest.mark.parametrize(
    "path",
    [
        "/servers/io.github.alice%2Fweather?option=%C2%B2",
        "/changes?since=%C2%B2",
        "/changes?limit=%C2%B2",
        "/?q=a%00b",
        "/?namespace=%00",
        "/?registryType=" + "x" * 300,
        "/namespaces/a%00",
        "/servers/io.github.alice%2Fw%00",
    ],
)
def test_odd_parameters_are_a_400_page(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")


def test_a_name_with_dot_segments_links_to_itself(client: TestClient, registry: Registry) -> None:
    odd = server_json("io.github.evil/../../changes")
    assert registry.context.importer.import_items([envelope(odd)]).added == 1
    home = page(client, "/")
    (href,) = [a.attrs["href"] for a in home.all("a", class_="result-link")]
    assert href == "/servers/io.github.evil%2F..%2F..%2Fchanges"
    assert client.get(href).status_code == 200


def test_recent_servers_show_their_latest_version(client: TestClient, publish) -> None:
    publish(server_json("io.github.alice/fresh", "1.0.0", description="Old words."))
    publish(server_json("io.github.alice/fresh", "2.0.0", description="New words."))
    home = client.get("/").text
    assert "New words." in home
    assert "Old words." not in home
