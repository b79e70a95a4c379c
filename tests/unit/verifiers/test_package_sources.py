"""Parsing MCP_REGISTRY_<TYPE>_REGISTRY_URLS and choosing an source for a package."""

from __future__ import annotations

import re

import pytest

from registrum.core.errors import PackageOwnershipError
from registrum.verifiers.package_sources import (
    PackageSource,
    PackageSources,
    parse_entries,
    registry_urls_from_env,
    setting_name,
)


def test_setting_names_follow_the_type() -> None:
    assert setting_name("npm") == "MCP_REGISTRY_NPM_REGISTRY_URLS"
    assert setting_name("my-type") == "MCP_REGISTRY_MY_TYPE_REGISTRY_URLS"


def test_settings_are_found_in_the_environment() -> None:
    env = {
        "MCP_REGISTRY_NPM_REGISTRY_URLS": "https://npm.example.com",
        "MCP_REGISTRY_MY_TYPE_REGISTRY_URLS": "https://x.example",
        "MCP_REGISTRY_DATABASE_URL": "sqlite://",
        "OTHER_NPM_REGISTRY_URLS": "https://no.example",
    }
    assert registry_urls_from_env(env) == {
        "npm": "https://npm.example.com",
        "my-type": "https://x.example",
    }


def test_base_url_entries_normalise_and_may_name_a_mirror() -> None:
    entries = parse_entries(
        "npm", "base-url", " https://NPM.example.com/ , https://b.example/r=http://127.0.0.1:9/m/,"
    )
    assert entries == (
        PackageSource("https://npm.example.com", "https://npm.example.com"),
        PackageSource("https://b.example/r", "http://127.0.0.1:9/m"),
    )


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("base-url", "npm.example.com", "not an http(s) URL"),
        ("base-url", "ftp://npm.example.com", "not an http(s) URL"),
        ("base-url", "https://npm.example.com/?q=1", "query or fragment"),
        ("base-url", "https://a.example=nowhere", "fetch URL"),
        ("host", "https://images.example.com", "not a host name"),
        ("host", "images example", "not a host name"),
        ("host", "*.example.com=https://m.example", "wildcard host"),
    ],
)
def test_bad_entries_say_what_is_wrong(kind, raw, message) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_entries("t", kind, raw)


def test_the_first_base_url_is_the_default_and_others_must_be_listed() -> None:
    ups = PackageSources(
        "npm", "base-url", parse_entries("npm", "base-url", "https://a.example,https://b.example")
    )
    assert ups.by_base_url(None).named == "https://a.example"
    assert ups.by_base_url("https://B.example/").named == "https://b.example"
    with pytest.raises(
        PackageOwnershipError,
        match=re.escape("Expected one of: https://a.example, https://b.example"),
    ):
        ups.by_base_url("https://c.example")


def test_hosts_and_wildcards() -> None:
    ups = PackageSources(
        "oci", "host", parse_entries("oci", "host", "*.pkg.example,img.example=http://127.0.0.1:5")
    )
    assert ups.default_host() == "img.example"
    assert ups.by_host("IMG.example", "identifier", "x")[1] == "http://127.0.0.1:5"
    assert ups.by_host("eu.pkg.example", "identifier", "x")[1] == "https://eu.pkg.example"
    with pytest.raises(PackageOwnershipError, match=re.escape("'pkg.example' is not one of")):
        ups.by_host("pkg.example", "identifier", "x")  # the wildcard covers subdomains only


def test_nothing_configured_names_the_setting_unless_documents_are_trusted() -> None:
    with pytest.raises(PackageOwnershipError, match="MCP_REGISTRY_PYPI_REGISTRY_URLS"):
        PackageSources("pypi", "base-url").by_base_url("https://p.example")
    trusted = PackageSources("pypi", "base-url", trust_documents=True)
    assert trusted.by_base_url("https://p.example/").fetch == "https://p.example"
    with pytest.raises(PackageOwnershipError, match="--package-registry pypi=URL"):
        trusted.by_base_url(None)
