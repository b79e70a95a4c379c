"""A real HTTPS server on 127.0.0.1, for domains' well-known key files.

Its certificate (SAN ``IP:127.0.0.1`` and ``DNS:localhost``) is issued by a throw-away CA made
with ``cryptography``; a registry trusts it through ``MCP_REGISTRY_HTTP_AUTH_CA_BUNDLE`` =
:attr:`FakeHttps.ca_file`.

    with FakeHttps(tmp_path) as site:              # or the ``fake_https`` pytest fixture
        site.files["/example.com/.well-known/mcp-registry-auth"] = Page(b"v=MCPv1; ...")
        template = site.url_template                # https://127.0.0.1:<port>/{domain}/...

Every request is recorded in :attr:`FakeHttps.requests` (path and headers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.fakes.loopback import StopsOnExit

WELL_KNOWN = "/.well-known/mcp-registry-auth"


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # lower-case names


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) as PEM files in ``directory``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Registrum test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server-key.pem",
    )
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: FakeHttps, context: ssl.SSLContext) -> None:
        self.site = site
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the connection's own thread, so a client that never
        # completes it cannot stall the server.
        request.settimeout(5)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        page = site.files.get(self.path, Page(b"not found\n", 404))
        try:
            self.send_response(page.status)
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(page.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(page.body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client stopped reading (as it must past the size cap)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeHttps(StopsOnExit):
    """Serves :attr:`files` ({path: Page}) over HTTPS on ``127.0.0.1:<free port>``."""

    def __init__(self, workdir: Path) -> None:
        self.ca_file, cert_file, key_file = make_certificates(workdir / "fake-https")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.files: dict[str, Page] = {}
        self.requests: list[Seen] = []
        self._server = _Server(self, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def url_template(self) -> str:
        """What ``MCP_REGISTRY_HTTP_AUTH_URL_TEMPLATE`` takes: one folder per domain."""
        return f"{self.url}/{{domain}}{WELL_KNOWN}"

    def publish(self, domain: str, body: bytes | str, status: int = 200) -> None:
        """Serve ``body`` as ``domain``'s well-known key file."""
        data = body.encode() if isinstance(body, str) else body
        self.files[f"/{domain}{WELL_KNOWN}"] = Page(data, status)

    def start(self) -> FakeHttps:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeHttps:
        return self.start()


@pytest.fixture
def fake_https(tmp_path: Path) -> Iterator[FakeHttps]:
    with FakeHttps(tmp_path) as site:
        yield site
