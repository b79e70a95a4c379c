"""Route templates for metric labels: every path maps to its route's template, never to
itself."""

from __future__ import annotations

from registrum.api.observe import UNMATCHED, RouteTemplates

TEMPLATES = [
    "/v0.1/servers",
    "/v0.1/servers/{serverName}/versions",
    "/v0.1/servers/{serverName}/versions/{version}",
    "/v0.1/servers/{serverName}/versions/{version}/status",
    "/v0/servers/{serverName}/versions/{version}",
    "/docs/assets/{path:path}",
]


def test_paths_resolve_to_their_templates() -> None:
    routes = RouteTemplates(TEMPLATES)
    assert routes.resolve("/v0.1/servers") == "/v0.1/servers"
    assert routes.resolve("/v0.1/servers/io.x%2Fy/versions") == TEMPLATES[1]
    assert routes.resolve("/v0.1/servers/io.x%2Fy/versions/1.0.0") == TEMPLATES[2]
    assert routes.resolve("/v0.1/servers/io.x%2Fy/versions/1.0.0/status") == TEMPLATES[3]
    assert routes.resolve("/v0/servers/a%2Fb/versions/latest") == TEMPLATES[4]
    assert routes.resolve("/docs/assets/deep/file.js") == TEMPLATES[5]


def test_anything_else_is_one_label() -> None:
    routes = RouteTemplates(TEMPLATES)
    for path in ("/", "/v0.1/servers/", "/v0.1/servers/a/b/c/d/e", "/wp-admin.php", "/v0.2/x"):
        assert routes.resolve(path) == UNMATCHED, path


def test_the_memory_of_paths_is_bounded() -> None:
    routes = RouteTemplates(TEMPLATES, remember=8)
    for i in range(100):
        assert routes.resolve(f"/v0.1/servers/n{i}%2Fx/versions") == TEMPLATES[1]
    assert routes.resolve.cache_info().currsize == 8
