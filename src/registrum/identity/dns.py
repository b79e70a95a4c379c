"""``dns``: prove a domain with a key published in its DNS TXT records, as the official
registry's ``POST /auth/dns`` does.

Any ``v=MCPv1; k=<algorithm>; p=<base64 key>`` TXT record of the domain itself may verify the
signed timestamp. The proof covers the domain and its subdomains: ``example.com`` grants
``com.example/*`` and ``com.example.*``.
"""

from __future__ import annotations

import ipaddress
from typing import Final

import dns.exception
import dns.name
import dns.resolver

from registrum.core.identity import KeyRecord, parse_key_record
from registrum.identity.domain_proof import (
    RECORD_EXAMPLE,
    RECORD_PREFIX,
    Clock,
    DomainLogin,
    ProofError,
    describe_malformed,
    utc_now,
)

DEFAULT_LIFETIME: Final = 5.0  # seconds for the whole lookup, retries included


def parse_resolver_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:53"`` or ``"10.0.0.2"`` -> (IP, port)."""
    text = address.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError(f"resolver address '{address}': expected host:port")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ValueError(f"resolver address '{address}': expected host:port")
        port = int(port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"resolver address '{address}': expected an IP address and port, "
            "for example 127.0.0.1:53"
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f"resolver address '{address}': port must be 1 to 65535")
    return host, port


class DnsLogin(DomainLogin):
    method = "dns"
    label = "DNS"
    subdomains = True

    def __init__(
        self,
        resolver_address: str = "",
        *,
        lifetime: float = DEFAULT_LIFETIME,
        clock: Clock = utc_now,
    ) -> None:
        """``resolver_address`` is ``host:port`` of the DNS server to ask; empty = the
        system's resolvers."""
        super().__init__(clock)
        self._server = parse_resolver_address(resolver_address) if resolver_address else None
        self._lifetime = lifetime

    def _resolver(self) -> dns.resolver.Resolver:
        if self._server is None:
            try:
                resolver = dns.resolver.Resolver(configure=True)
            except dns.resolver.NoResolverConfiguration:
                raise ProofError(
                    "the registry has no DNS resolver configured: the operator must set "
                    "MCP_REGISTRY_DNS_RESOLVER",
                    "domain",
                ) from None
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [self._server[0]]
            resolver.port = self._server[1]
        resolver.lifetime = self._lifetime
        resolver.timeout = min(resolver.timeout, self._lifetime)
        return resolver

    def _txt_strings(self, domain: str) -> list[str]:
        resolver = self._resolver()
        try:
            answer = resolver.resolve(
                dns.name.from_text(domain), "TXT", search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            raise ProofError(
                f"{domain} does not exist in DNS (NXDOMAIN): check the domain name, or add a "
                f"TXT record '{RECORD_EXAMPLE}' to it",
                "domain",
                domain,
            ) from None
        except dns.resolver.LifetimeTimeout:
            raise ProofError(
                f"looking up the TXT records of {domain} timed out after "
                f"{self._lifetime:g} seconds: try again later",
                "domain",
                domain,
            ) from None
        except dns.resolver.NoNameservers as exc:
            raise ProofError(
                f"no DNS server answered for the TXT records of {domain} ({exc}): "
                "check that the domain's name servers work, then try again",
                "domain",
                domain,
            ) from None
        except dns.exception.DNSException as exc:
            raise ProofError(
                f"looking up the TXT records of {domain} failed ({exc}): try again later",
                "domain",
                domain,
            ) from None
        texts = []
        for rdata in answer.rrset or ():
            # A TXT record is one or more character strings; together they are one value.
            texts.append(b"".join(rdata.strings).decode("utf-8", errors="replace"))
        return texts

    def key_records(self, domain: str) -> list[KeyRecord]:
        records, malformed = [], []
        for text in self._txt_strings(domain):
            record = parse_key_record(text)
            if record is not None:
                records.append(record)
            elif text.strip().startswith(RECORD_PREFIX):
                malformed.append(text)
        if records:
            return records
        if malformed:
            raise ProofError(
                f"the MCP TXT record of {domain} is malformed: "
                + "; ".join(describe_malformed(text) for text in malformed),
                "domain",
                domain,
            )
        raise ProofError(
            f"no MCP public key found in DNS TXT records of {domain}: add a TXT record "
            f"'{RECORD_EXAMPLE}'",
            "domain",
            domain,
        )
