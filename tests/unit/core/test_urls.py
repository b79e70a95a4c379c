"""The key remote URLs are compared by."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrum.core.urls import remote_url_key

KEY = "https://victim.example.com/mcp"


@pytest.mark.parametrize(
    "url",
    [
        "https://VICTIM.example.com/mcp/",
        "https://victim.example.com:443/mcp",
        "https://victim.example.com/%6d%63%70",
        "https://victim.example.com/a/./b/../../mcp",
        "https://victim.example.com/mcp#fragment",
        "https://victim.example.com/mcp?",
        KEY,
    ],
)
def test_spellings_of_one_address_share_a_key(url):
    assert remote_url_key(url) == KEY


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Bücher.example/mcp", "https://xn--bcher-kva.example/mcp"),
        ("https://h.example/caf%c3%a9?q=%2f", "https://h.example/caf%C3%A9?q=%2F"),
        ("https://h.example/café", "https://h.example/caf%C3%A9"),
        ("http://h.example:80/", "http://h.example"),
        ("http://h.example:8080/", "http://h.example:8080"),
        ("https://h.example:80/", "https://h.example:80"),
        ("https://[::1]:443/x/", "https://[::1]/x"),
        ("https://h.example/x?b=2&a=1", "https://h.example/x?b=2&a=1"),
        ("https://h.example/MCP", "https://h.example/MCP"),
        ("https://[::1", "https://[::1"),  # unparseable: its own text
    ],
)
def test_the_rules(url, key):
    assert remote_url_key(url) == key


@given(st.text())
def test_a_key_is_its_own_key(url):
    key = remote_url_key(url)
    assert remote_url_key(key) == key
