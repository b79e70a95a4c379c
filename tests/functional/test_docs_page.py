"""The /docs page works without Internet access: every asset it loads is served here."""

from __future__ import annotations

import re


def test_docs_page_loads_only_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert assets, page.text
    for url in assets:
        assert url.startswith("/"), f"/docs loads {url} from elsewhere"
        assert client.get(url).status_code == 200, url
    assert "/openapi.json" in page.text


def test_authenticated_operations_declare_bearer_security(client):
    doc = client.get("/openapi.json").json()
    publish = doc["paths"]["/v0.1/publish"]["post"]
    assert publish["security"] == [{"bearerAuth": []}]
    assert all(p["name"].lower() != "authorization" for p in publish.get("parameters", []))
    assert "security" not in doc["paths"]["/v0.1/servers"]["get"]


def test_the_root_is_the_browsing_ui_and_links_to_the_docs(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in r.text
