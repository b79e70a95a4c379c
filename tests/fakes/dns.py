"""A real DNS server on 127.0.0.1: dnsmasq (Debian's package), serving the TXT records a test
needs and nothing else (no upstream servers, no /etc/hosts).

    with FakeDns(tmp_path) as dns:                 # or the ``fake_dns`` pytest fixture
        dns.serve({"example.com": ["v=MCPv1; k=ed25519; p=..."]})
        ...  # point MCP_REGISTRY_DNS_RESOLVER at dns.address

``serve`` writes a fresh configuration and (re)starts dnsmasq on the same port, so the address
a registry was built with stays valid. A record given as a tuple of strings becomes one TXT
record of several character strings.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.fakes.loopback import StopsOnExit

Records = Mapping[str, Sequence[str | tuple[str, ...]]]


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for the fake DNS server")


def _quoted(text: str) -> str:
    if '"' in text or "\\" in text or "\n" in text:
        raise ValueError(f"the fake DNS server cannot serve {text!r}")
    return f'"{text}"'


class FakeDns(StopsOnExit):
    """dnsmasq on ``127.0.0.1:<port>``, answering only the records given to :meth:`serve`."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("dnsmasq") or (
            "/usr/sbin/dnsmasq" if Path("/usr/sbin/dnsmasq").exists() else None
        )
        if binary is None:
            raise RuntimeError(
                "dnsmasq is not installed: the DNS login tests need it "
                "(apt-get install dnsmasq; .ci/run does this)"
            )
        self._binary = binary
        self._dir = workdir / "fake-dns"
        self._dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """What ``MCP_REGISTRY_DNS_RESOLVER`` takes."""
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        path = self._dir / "dnsmasq.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def serve(self, records: Records, *, local_domains: Sequence[str] = ()) -> FakeDns:
        """Serve exactly ``records`` ({name: [txt, ...]}); names under ``local_domains``
        that have no record answer NXDOMAIN. Anything else is REFUSED (no upstream)."""
        lines = [
            f"port={self.port}",
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "pid-file=",
            "log-facility=-",
            "log-queries",
        ]
        for name, texts in records.items():
            for text in texts:
                parts = (text,) if isinstance(text, str) else text
                lines.append(f"txt-record={name}," + ",".join(_quoted(p) for p in parts))
        lines += [f"local=/{domain}/" for domain in local_domains]
        config = self._dir / "dnsmasq.conf"
        config.write_text("\n".join(lines) + "\n")
        self.stop()
        self._start(config)
        return self

    def _start(self, config: Path) -> None:
        with (self._dir / "dnsmasq.log").open("ab") as log:
            self._proc = subprocess.Popen(
                [self._binary, "--no-daemon", f"--conf-file={config}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"dnsmasq exited at start:\n{self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"dnsmasq did not start listening:\n{self.log}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            self._proc = None

    def __enter__(self) -> FakeDns:
        return self


@pytest.fixture
def fake_dns(tmp_path: Path) -> Iterator[FakeDns]:
    """A dnsmasq for this test; call ``fake_dns.serve({...})`` with the records it needs."""
    with FakeDns(tmp_path) as dns:
        yield dns
