"""The outbound guard (client/guard.py) against real servers on loopback addresses.

127.0.0.2 stands for "a public address" only through the policy's ``public_networks`` (the
setting MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS): the same servers without it show what the
rule does with a loopback address.
"""

from __future__ import annotations

import gzip
import ipaddress

import httpx
import pytest

from registrum.client.guard import (
    AddressRefusedError,
    GuardedTransport,
    OutboundPolicy,
    ResponseTooLargeError,
)
from tests.fakes.hostile import HostileServer, redirect_to, stream
from tests.fakes.loopback import LoopbackServer, Reply

PUBLIC_2 = (ipaddress.ip_network("127.0.0.2/32"),)
MIB = 1024 * 1024


def client(**policy: object) -> httpx.Client:
    return httpx.Client(
        transport=GuardedTransport(OutboundPolicy(**policy)),  # type: ignore[arg-type]
        follow_redirects=True,
        timeout=10,
    )


def ok_server() -> LoopbackServer:
    return LoopbackServer(lambda req: Reply.json({"path": req.path}))


def test_an_operator_configured_loopback_upstream_may_redirect_within_loopback() -> None:
    with ok_server() as target, HostileServer("127.0.0.1", redirect_to(target.url)) as hop:
        with client(trust_first_hop=True) as http:
            r = http.get(f"{hop.url}/v0.1/servers")
        assert r.json() == {"path": "/v0.1/servers"}
        assert len(r.history) == 1


def test_a_redirect_from_a_public_address_to_loopback_is_refused() -> None:
    with ok_server() as target, HostileServer("127.0.0.2", redirect_to(target.url)) as hop:
        with (
            client(trust_first_hop=True, public_networks=PUBLIC_2) as http,
            pytest.raises(AddressRefusedError) as info,
        ):
            http.get(f"{hop.url}/v0.1/servers")
        assert "after a redirect from a public address" in str(info.value)
        assert "127.0.0.1, a loopback address: the address is not allowed" in str(info.value)
        # Control: the same chain where 127.0.0.2 is loopback, as it really is, is followed.
        with client(trust_first_hop=True) as http:
            assert http.get(f"{hop.url}/x").status_code == 200


def test_an_untrusted_first_hop_to_loopback_is_refused_a_trusted_host_is_not() -> None:
    with ok_server() as target:
        with client(allow_private_setting="MCP_REGISTRY_VERIFY_ALLOW_PRIVATE") as http:
            with pytest.raises(AddressRefusedError) as info:
                http.get(f"{target.url}/a")
            assert "set MCP_REGISTRY_VERIFY_ALLOW_PRIVATE=true" in str(info.value)
            # A host name is judged by what it resolves to.
            with pytest.raises(AddressRefusedError):
                http.get(f"http://localhost:{target.port}/a")
        with client(trusted_hosts=frozenset({"127.0.0.1"})) as http:
            assert http.get(f"{target.url}/a").status_code == 200
        with client(allow_private=True) as http:
            assert http.get(f"{target.url}/a").status_code == 200


def test_a_host_name_is_connected_to_at_the_address_that_was_judged() -> None:
    # The resolver answers once; a second resolution (which would find nothing) never runs.
    answers = [[ipaddress.ip_address("127.0.0.1")]]

    def resolve_once(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return answers.pop() if answers else []

    with ok_server() as target:
        policy = OutboundPolicy(trust_first_hop=True, resolver=resolve_once)
        with httpx.Client(transport=GuardedTransport(policy)) as http:
            r = http.get(f"http://registry.example:{target.port}/b")
        assert r.json() == {"path": "/b"}
        assert not answers


def test_a_streamed_answer_is_cut_off_just_past_the_cap() -> None:
    with HostileServer("127.0.0.1", stream(400 * MIB)) as huge:
        with (
            client(trust_first_hop=True, max_bytes=MIB, max_bytes_setting="X_CAP") as http,
            pytest.raises(ResponseTooLargeError) as info,
        ):
            http.get(f"{huge.url}/v0.1/servers")
        assert f"{huge.url}/v0.1/servers is larger than 1,048,576 bytes" in str(info.value)
        assert "(X_CAP)" in str(info.value)
    # What the server managed to write is the cap plus what socket buffers hold, nowhere
    # near the 400 MiB it meant to send.
    assert huge.sent < 64 * MIB


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    big = LoopbackServer(lambda req: Reply(200, b"x" * (2 * MIB)))
    with big, client(trust_first_hop=True, max_bytes=MIB) as http:
        with pytest.raises(ResponseTooLargeError):
            http.get(f"{big.url}/")
        # Under the cap, answers read as usual.
        small = client(trust_first_hop=True, max_bytes=4 * MIB)
        assert len(small.get(f"{big.url}/").content) == 2 * MIB
        small.close()


def test_a_compressed_answer_is_capped_by_its_unpacked_size() -> None:
    bomb = gzip.compress(b" " * (64 * MIB))  # about 64 KiB on the wire
    assert len(bomb) < MIB
    server = LoopbackServer(lambda req: Reply(200, bomb, {"Content-Encoding": "gzip"}))
    with (
        server,
        client(trust_first_hop=True, max_bytes=MIB) as http,
        pytest.raises(ResponseTooLargeError),
    ):
        http.get(f"{server.url}/")
    fine = gzip.compress(b'{"ok": true}')
    server = LoopbackServer(lambda req: Reply(200, fine, {"Content-Encoding": "gzip"}))
    with server, client(trust_first_hop=True, max_bytes=MIB) as http:
        assert http.get(f"{server.url}/").json() == {"ok": True}
