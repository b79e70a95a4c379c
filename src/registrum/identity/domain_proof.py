"""What the ``dns`` and ``http`` login methods share (the official registry's
``POST /auth/dns`` and ``POST /auth/http``).

The caller sends ``{"domain", "timestamp", "signed_timestamp"}``: a fresh RFC 3339 timestamp
signed with a key whose public half the domain publishes (in a DNS TXT record or in a
well-known HTTPS file). :class:`DomainLogin` checks the request, asks its subclass for the
domain's published key records, and grants the domain's namespace when one of them verifies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from registrum.core.errors import AuthenticationError, InvalidInputError, Problem
from registrum.core.identity import KeyRecord, domain_permissions, domain_problems
from registrum.core.permissions import Principal
from registrum.identity import signatures

Clock = Callable[[], datetime]

WINDOW: Final = timedelta(seconds=15)
RECORD_EXAMPLE: Final = "v=MCPv1; k=ed25519; p=<base64 key>"
RECORD_PREFIX: Final = "v=MCPv1"

_RFC3339: Final = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})$"
)
_HEX: Final = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
_FIELDS: Final = ("domain", "timestamp", "signed_timestamp")


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProofError(Exception):
    """The proof does not hold; ``reason`` tells the caller what to do about it."""

    def __init__(self, reason: str, field: str = "", value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.value = value


@dataclass(frozen=True, slots=True)
class DomainRequest:
    domain: str
    timestamp: str
    signed_timestamp: str


def parse_request(body: Any) -> DomainRequest:
    """The request body's three strings; anything else is a malformed request (400)."""
    if not isinstance(body, dict):
        raise InvalidInputError(
            'expected a JSON object {"domain", "timestamp", "signed_timestamp"}',
            [Problem("", "expected a JSON object", None)],
        )
    problems = []
    for field in _FIELDS:
        if field not in body or body[field] is None:
            problems.append(Problem(field, "required"))
        elif not isinstance(body[field], str):
            problems.append(Problem(field, "expected string", body[field]))
    if problems:
        raise InvalidInputError(
            "the login request needs 'domain', 'timestamp' and 'signed_timestamp' strings",
            problems,
        )
    return DomainRequest(body["domain"], body["timestamp"], body["signed_timestamp"])


def parse_timestamp(text: str) -> datetime:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ProofError(
            f"timestamp '{text[:64]}' is not an RFC 3339 time: send the current UTC time, "
            "for example 2025-01-01T12:00:00Z",
            "timestamp",
            text,
        )
    zone = match["zone"].upper().replace("Z", "+00:00")
    # Go clients send up to nine fractional digits; Python reads at most six.
    frac = (match["frac"] or "0")[:6].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{frac}{zone}")
    except ValueError:
        raise ProofError(
            f"timestamp '{text}' is not a valid date and time: send the current UTC time",
            "timestamp",
            text,
        ) from None


def check_window(text: str, now: datetime) -> None:
    when = parse_timestamp(text)
    offset = (when - now).total_seconds()
    if abs(offset) > WINDOW.total_seconds():
        direction = "ahead of" if offset > 0 else "behind"
        raise ProofError(
            f"timestamp outside valid window (±15 seconds): it is {abs(offset):.0f} seconds "
            f"{direction} the registry's clock ({now.strftime('%Y-%m-%dT%H:%M:%SZ')}); sync "
            "your clock and sign a fresh timestamp",
            "timestamp",
            text,
        )


def decode_signature(text: str) -> bytes:
    if not _HEX.fullmatch(text):
        raise ProofError(
            "signed_timestamp is not hex-encoded: sign the exact timestamp string and send "
            "the signature's bytes as hexadecimal",
            "signed_timestamp",
            text[:200],
        )
    return bytes.fromhex(text)


def verify_any(records: Sequence[KeyRecord], message: bytes, signature: bytes) -> KeyRecord:
    """The first record whose key verifies the signature; else a failure naming every key
    tried and why it did not verify."""
    reasons = []
    for record in records:
        try:
            signatures.verify(record, message, signature)
        except (signatures.KeyRecordError, signatures.SignatureMismatchError) as exc:
            reasons.append(str(exc))
        else:
            return record
    if len(reasons) == 1:
        raise ProofError(reasons[0], "signed_timestamp")
    raise ProofError(
        f"signature matches none of the {len(records)} published keys ("
        + "; ".join(reasons)
        + "): sign with the private key of one of them",
        "signed_timestamp",
    )


class DomainLogin:
    """A login method proving control of a domain through a published key.

    Subclasses say where the keys are published (:meth:`key_records`) and how much the proof
    grants (``subdomains``).
    """

    method: str
    label: str  # "DNS" / "HTTP", as the failure messages name the method
    subdomains: bool

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock

    def key_records(self, domain: str) -> list[KeyRecord]:
        """The key records the domain publishes (at least one), or a :class:`ProofError`."""
        raise NotImplementedError

    def exchange(self, body: Any) -> Principal:
        request = parse_request(body)
        domain = request.domain.lower()
        try:
            problems = domain_problems(request.domain)
            if problems:
                raise ProofError(problems[0].message, "domain", request.domain)
            check_window(request.timestamp, self._clock())
            signature = decode_signature(request.signed_timestamp)
            records = self.key_records(domain)
            verify_any(records, request.timestamp.encode(), signature)
        except ProofError as failure:
            raise AuthenticationError(
                f"{self.label} authentication failed: {failure.reason}",
                [Problem(failure.field, failure.reason, failure.value)],
            ) from None
        return Principal(
            self.method, domain, domain_permissions(domain, subdomains=self.subdomains)
        )


def describe_malformed(text: str) -> str:
    shown = text if len(text) <= 120 else text[:117] + "..."
    return (
        f"'{shown}' is not a valid MCP key record: expected '{RECORD_EXAMPLE}' "
        f"(k is one of {', '.join(signatures.ALGORITHMS)})"
    )
