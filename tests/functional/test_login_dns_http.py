"""``POST /auth/dns`` and ``POST /auth/http`` (a domain proved by a signed timestamp) through
the real API, against a real DNS server (dnsmasq) and a real HTTPS server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.server.settings import Settings
from registrum.server.wiring import build
from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, server_json
from tests.fakes.dns import FakeDns
from tests.fakes.dns import fake_dns as fake_dns
from tests.fakes.https import WELL_KNOWN, FakeHttps, Page
from tests.fakes.https import fake_https as fake_https
from tests.signing import DomainKey, timestamp

DOMAIN = "example.com"
NO_PERMISSION = "You do not have permission to publish this server"
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def registry_client(settings: Settings, fake_dns: FakeDns, fake_https: FakeHttps):
    """``registry_client(**settings)``: a registry whose dns and http logins use the fakes."""
    registries = []
    clients = []

    def make(**overrides: Any) -> TestClient:
        update = {
            "dns_resolver": fake_dns.address,
            "http_auth_url_template": fake_https.url_template,
            "http_auth_allow_private": True,
            "http_auth_ca_bundle": str(fake_https.ca_file),
            **overrides,
        }
        reg = build(settings.model_copy(update=update))
        registries.append(reg)
        client = TestClient(create_app(reg.context), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for reg in registries:
        reg.close()


@pytest.fixture
def client(registry_client: ClientFactory) -> TestClient:
    return registry_client()


def publish_key(method: str, dns: FakeDns, site: FakeHttps, *records: str | tuple[str, ...]):
    """Publish ``records`` for example.com the way ``method`` reads them."""
    if method == "dns":
        dns.serve({DOMAIN: list(records)})
    else:
        (record,) = records
        assert isinstance(record, str)
        site.publish(DOMAIN, record + "\n")


def login(client: TestClient, method: str, body: Any, prefix: str = "/v0.1") -> Any:
    return client.post(f"{prefix}/auth/{method}", json=body)


def failure(response: Any, method: str, *fragments: str) -> dict[str, Any]:
    """A 401 problem whose detail is '<METHOD> authentication failed: ...' with fragments."""
    body = assert_problem(response, 401)
    label = method.upper()
    assert body["detail"].startswith(f"{label} authentication failed: "), body
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    assert body["errors"][0]["message"] in body["detail"]
    return body


def publish(client: TestClient, token: str, name: str) -> Any:
    return client.post("/v0.1/publish", json=server_json(name=name), headers=auth(token))


# --- success --------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_signed_timestamp_gets_a_token_for_the_domain(
    client, fake_dns, fake_https, method, algorithm, prefix
):
    key = DomainKey.make(algorithm)
    publish_key(method, fake_dns, fake_https, key.record)

    r = login(client, method, key.login_body(DOMAIN), prefix)

    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"registry_token", "expires_at"}
    claims = jwt.decode(body["registry_token"], options={"verify_signature": False})
    assert claims["auth_method"] == method
    assert claims["auth_method_sub"] == DOMAIN
    expected = [{"action": "publish", "resource": "com.example/*"}]
    if method == "dns":
        expected.append({"action": "publish", "resource": "com.example.*"})
    assert claims["permissions"] == expected

    token = body["registry_token"]
    assert publish(client, token, "com.example/weather").status_code == 200
    sub = publish(client, token, "com.example.sub/weather")
    if method == "dns":
        assert sub.status_code == 200, sub.text
    else:
        assert_problem(sub, 403, NO_PERMISSION)
    assert_problem(publish(client, token, "com.other/weather"), 403, NO_PERMISSION)
    assert_problem(publish(client, token, "com.examplex/weather"), 403, NO_PERMISSION)


@pytest.mark.parametrize("method", ["dns", "http"])
def test_the_domain_is_case_insensitive_and_the_subject_lower_case(
    client, fake_dns, fake_https, method
):
    key = DomainKey.ed25519()
    publish_key(method, fake_dns, fake_https, key.record)
    r = login(client, method, key.login_body("Example.COM"))
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["registry_token"], options={"verify_signature": False})
    assert claims["auth_method_sub"] == DOMAIN


@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_timestamp_a_little_off_is_still_inside_the_window(client, fake_dns, fake_https, method):
    key = DomainKey.ed25519()
    publish_key(method, fake_dns, fake_https, key.record)
    assert login(client, method, key.login_body(DOMAIN, offset=-10)).status_code == 200
    assert login(client, method, key.login_body(DOMAIN, offset=10)).status_code == 200


def test_dns_any_of_several_records_may_verify(client, fake_dns):
    key, other = DomainKey.p384(), DomainKey.ed25519()
    fake_dns.serve(
        {
            DOMAIN: [
                "v=spf1 -all",
                "google-site-verification=abc",
                other.record,
                "v=MCPv1; k=ed25519",  # malformed, ignored when a good record exists
                key.record,
            ]
        }
    )
    assert login(client, "dns", key.login_body(DOMAIN)).status_code == 200
    assert login(client, "dns", other.login_body(DOMAIN)).status_code == 200


def test_dns_a_record_split_into_several_strings_is_one_value(client, fake_dns):
    key = DomainKey.ed25519()
    record = key.record
    fake_dns.serve({DOMAIN: [(record[:20], record[20:])]})
    assert login(client, "dns", key.login_body(DOMAIN)).status_code == 200


def test_http_sends_the_official_headers(client, fake_https):
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, f"\n  {key.record}  \r\n\n")  # trimmed
    assert login(client, "http", key.login_body(DOMAIN)).status_code == 200
    (seen,) = fake_https.requests
    assert seen.path == f"/{DOMAIN}{WELL_KNOWN}"
    assert seen.headers["user-agent"] == "mcp-registry/1.0"
    assert seen.headers["accept"] == "text/plain"


# --- refused: the signature -----------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["ed25519", "ecdsap384"])
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_signature_by_another_key_is_refused_with_the_published_fingerprint(
    client, fake_dns, fake_https, method, algorithm
):
    published, signer = DomainKey.make(algorithm), DomainKey.make(algorithm)
    publish_key(method, fake_dns, fake_https, published.record)
    r = login(client, method, signer.login_body(DOMAIN))
    body = failure(r, method, f"signature does not match the published key {published.fingerprint}")
    assert body["errors"][0]["location"] == "body.signed_timestamp"


def test_dns_a_wrong_key_among_several_names_every_key(client, fake_dns):
    a, b = DomainKey.ed25519(), DomainKey.p384()
    fake_dns.serve({DOMAIN: [a.record, b.record]})
    r = login(client, "dns", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "dns", "none of the 2 published keys", a.fingerprint, b.fingerprint)


@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_signature_of_another_timestamp_is_refused(client, fake_dns, fake_https, method):
    """A captured signature replayed with a fresh timestamp does not verify."""
    key = DomainKey.ed25519()
    publish_key(method, fake_dns, fake_https, key.record)
    body = key.login_body(DOMAIN, offset=-5)
    body["timestamp"] = timestamp()
    failure(login(client, method, body), method, "signature does not match")


@pytest.mark.parametrize("offset", [-60, 60, -3600])
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_timestamp_outside_the_window_is_refused(client, fake_dns, fake_https, method, offset):
    key = DomainKey.ed25519()
    publish_key(method, fake_dns, fake_https, key.record)
    r = login(client, method, key.login_body(DOMAIN, offset=offset))
    body = failure(r, method, "timestamp outside valid window (±15 seconds)", "sync your clock")
    assert body["errors"][0]["location"] == "body.timestamp"
    assert ("ahead of" if offset > 0 else "behind") in body["detail"]


@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_timestamp_that_is_not_rfc3339_is_refused(client, method):
    key = DomainKey.ed25519()
    ts = "1748779200"
    body = {"domain": DOMAIN, "timestamp": ts, "signed_timestamp": key.sign(ts)}
    failure(login(client, method, body), method, "is not an RFC 3339 time")


@pytest.mark.parametrize("signature", ["zz" * 64, "abc", "", "0x" + "00" * 64])
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_signature_that_is_not_hex_is_refused(client, method, signature):
    body = {"domain": DOMAIN, "timestamp": timestamp(), "signed_timestamp": signature}
    r = login(client, method, body)
    failure(r, method, "signed_timestamp is not hex-encoded")


# --- refused: the domain and the request ----------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "says"),
    [
        ("localhost", "not a valid domain name"),
        ("127.0.0.1", "not an IP address"),
        ("-bad-.com", "not a valid domain name"),
        ("example..com", "not a valid domain name"),
        ("example.com.", "not a valid domain name"),
        ("a" * 250 + ".com", "1 to 253 characters"),
        ("", "1 to 253 characters"),
        ("exa mple.com", "not a valid domain name"),
    ],
)
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_bad_domain_is_refused_before_any_lookup(client, fake_https, method, domain, says):
    key = DomainKey.ed25519()
    r = login(client, method, key.login_body(domain))
    body = failure(r, method, says)
    assert body["errors"][0]["location"] == "body.domain"
    assert fake_https.requests == []


@pytest.mark.parametrize(
    ("body", "locations"),
    [
        ({}, {"body.domain", "body.timestamp", "body.signed_timestamp"}),
        ({"domain": DOMAIN, "timestamp": 5, "signed_timestamp": "ab"}, {"body.timestamp"}),
        ([], {"body"}),
    ],
)
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_malformed_request_is_a_400_naming_the_fields(client, method, body, locations):
    problem = assert_problem(login(client, method, body), 400)
    assert {e["location"] for e in problem["errors"]} == locations


# --- refused: what the domain publishes (DNS) -----------------------------------------------


def test_dns_no_key_record_says_which_record_to_add(client, fake_dns):
    fake_dns.serve({DOMAIN: ["v=spf1 -all"]})
    r = login(client, "dns", DomainKey.ed25519().login_body(DOMAIN))
    failure(
        r,
        "dns",
        "no MCP public key found in DNS TXT records of example.com: add a TXT record "
        "'v=MCPv1; k=ed25519; p=<base64 key>'",
    )


def test_dns_a_domain_that_does_not_exist(client, fake_dns):
    fake_dns.serve({"other.example": ["v=spf1 -all"]}, local_domains=["example.com"])
    r = login(client, "dns", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "dns", "example.com does not exist in DNS (NXDOMAIN)")


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ("v=MCPv1; k=ed25519", "malformed"),
        ("v=MCPv1; k=ed25519; p=not base64!", "malformed"),
        ("v=MCPv1 k=ed25519 p=AAAA", "malformed"),
        ("v=MCPv1; k=rsa; p=AAAA", "unsupported algorithm 'rsa'"),
        ("v=MCPv1; k=ed25519; p=AAAA", "3 bytes, but an ed25519 public key is 32 bytes"),
        ("v=MCPv1; k=ed25519; p=AAAAA", "not valid base64"),
    ],
)
@pytest.mark.parametrize("method", ["dns", "http"])
def test_a_malformed_record_is_refused_with_what_is_wrong(
    client, fake_dns, fake_https, method, record, says
):
    publish_key(method, fake_dns, fake_https, record)
    r = login(client, method, DomainKey.ed25519().login_body(DOMAIN))
    failure(r, method, says)


def test_dns_an_unreachable_resolver_is_a_clear_401(registry_client):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = registry_client(dns_resolver=f"127.0.0.1:{port}")
    r = login(client, "dns", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "dns", "TXT records of example.com")
    assert "try again" in r.json()["detail"]


# --- refused: what the domain publishes (HTTP) ----------------------------------------------


def test_http_a_missing_file_is_refused(client, fake_https):
    r = login(client, "http", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "http", "answered 404, not 200", "serve the key record")


def test_http_an_error_status_is_refused_even_with_a_key_in_the_body(client, fake_https):
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, key.record, status=500)
    failure(login(client, "http", key.login_body(DOMAIN)), "http", "answered 500")


def test_http_a_body_over_4096_bytes_is_refused(client, fake_https):
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, key.record + " " * 5000)  # would verify once trimmed
    r = login(client, "http", key.login_body(DOMAIN))
    failure(r, "http", "larger than 4096 bytes")


def test_http_a_body_of_exactly_4096_bytes_is_read(client, fake_https):
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, key.record.ljust(4096))
    assert login(client, "http", key.login_body(DOMAIN)).status_code == 200


def test_http_an_empty_file_is_refused(client, fake_https):
    fake_https.publish(DOMAIN, "  \n")
    failure(login(client, "http", DomainKey.ed25519().login_body(DOMAIN)), "http", "is empty")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_http_redirects_are_not_followed(client, fake_https, status):
    key = DomainKey.ed25519()
    fake_https.publish("elsewhere.example", key.record)
    target = f"{fake_https.url}/elsewhere.example{WELL_KNOWN}"
    fake_https.files[f"/{DOMAIN}{WELL_KNOWN}"] = Page(b"", status, {"Location": target})
    r = login(client, "http", key.login_body(DOMAIN))
    failure(r, "http", f"answered {status}, a redirect", "redirects are not followed")
    assert [s.path for s in fake_https.requests] == [f"/{DOMAIN}{WELL_KNOWN}"]


def test_http_a_certificate_the_registry_does_not_trust_is_refused(registry_client, fake_https):
    client = registry_client(http_auth_ca_bundle="")
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, key.record)
    r = login(client, "http", key.login_body(DOMAIN))
    failure(r, "http", "CERTIFICATE_VERIFY_FAILED", "valid certificate")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_http_the_ssrf_guard_refuses_loopback_addresses(registry_client, fake_https, host):
    template = fake_https.url_template.replace("127.0.0.1", host)
    client = registry_client(http_auth_allow_private=False, http_auth_url_template=template)
    key = DomainKey.ed25519()
    fake_https.publish(DOMAIN, key.record)
    r = login(client, "http", key.login_body(DOMAIN))
    failure(r, "http", "a loopback address", "only fetches key files from public addresses")
    assert fake_https.requests == []  # refused before connecting


def test_http_a_host_that_does_not_resolve_is_refused(registry_client):
    client = registry_client(http_auth_url_template="https://{domain}.invalid/x")
    r = login(client, "http", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "http", "cannot resolve example.com.invalid")


def test_http_a_server_that_refuses_connections_is_refused(registry_client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = registry_client(http_auth_url_template=f"https://127.0.0.1:{port}/{{domain}}")
    r = login(client, "http", DomainKey.ed25519().login_body(DOMAIN))
    failure(r, "http", "could not connect to")


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["dns", "http"])
def test_each_method_can_be_switched_off(registry_client, method):
    client = registry_client(**{f"enable_{method}_auth": False})
    assert client.post(f"/v0.1/auth/{method}", json={}).status_code == 404
    other = "http" if method == "dns" else "dns"
    assert client.post(f"/v0.1/auth/{other}", json={}).status_code == 400
