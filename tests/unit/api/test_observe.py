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


def test_the_access_log_names_the_client_behind_a_trusted_proxy() -> None:
    import asyncio
    import logging

    from registrum.api.client_address import parse_trusted_proxies
    from registrum.api.observe import ObserveMiddleware

    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logging.getLogger("registrum.access").addHandler(handler)
    logging.getLogger("registrum.access").setLevel(logging.INFO)
    middleware = ObserveMiddleware(
        app, list, log_requests=True, trusted_proxies=parse_trusted_proxies("10.0.0.1")
    )

    async def call(peer: str) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/v0.1/ping",
            "raw_path": b"/v0.1/ping",
            "query_string": b"",
            "headers": [(b"x-forwarded-for", b"198.51.100.7")],
            "client": (peer, 5000),
        }

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message) -> None:
            pass

        await middleware(scope, receive, send)

    try:
        asyncio.run(call("10.0.0.1"))  # through the trusted proxy
        asyncio.run(call("192.0.2.5"))  # a client forging the header itself
    finally:
        logging.getLogger("registrum.access").removeHandler(handler)
    clients = [str(r.__dict__) for r in records]
    assert len(records) == 2, clients
    assert "198.51.100.7" in clients[0]
    assert "198.51.100.7" not in clients[1]
    assert "192.0.2.5" in clients[1]
