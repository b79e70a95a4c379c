"""Which group of limits each request is counted in."""

from __future__ import annotations

import pytest

from registrum.api.rate_limits import request_group


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/v0.1/auth/none", "auth"),
        ("POST", "/v0/auth/github-oidc", "auth"),
        ("POST", "/v0.1/publish", "publish"),
        ("POST", "/v0/publish", "publish"),
        ("PUT", "/v0.1/servers/io.github.alice/weather/versions/1.0.0", "edit"),
        ("DELETE", "/v0/servers/io.github.alice%2Fweather/versions/1.0.0", "edit"),
        ("PATCH", "/v0.1/servers/io.github.alice%2Fweather/status", "edit"),
        ("POST", "/v0.1/x/io.registrum/servers/io.github.alice%2Fweather/rename", "edit"),
        ("POST", "/v0.1/x/io.registrum/transfers/abc/accept", "edit"),
        ("GET", "/v0.1/servers", "read"),
        ("HEAD", "/v0/servers/x/versions", "read"),
        ("GET", "/v0.1/x/io.registrum/changes", "read"),
        ("GET", "/v0.1/health", None),
        ("POST", "/v0.1/validate", None),
        ("GET", "/docs", None),
        ("POST", "/auth/none", None),
        ("OPTIONS", "/v0.1/servers", None),
    ],
)
def test_groups(method: str, path: str, group: str | None) -> None:
    assert request_group(method, path) == group
