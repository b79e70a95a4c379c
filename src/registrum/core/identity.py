"""Who may publish where: the namespace rules behind each login method, as the
official registry has them.

Pure functions: the login methods in ``registrum.identity`` prove who the caller is, and these
turn that proof into permissions.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from registrum.core.errors import Problem
from registrum.core.permissions import Action, Permission, Principal

GITHUB_LOGIN_RE: Final = re.compile(r"^[a-zA-Z0-9-]+$")
DOMAIN_LABEL_RE: Final = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")
KEY_RECORD_RE: Final = re.compile(
    r"^v=MCPv1;\s*k=(?P<alg>[a-z0-9]+);\s*p=(?P<key>[A-Za-z0-9+/=]+)\s*$"
)
BLOCKED_MESSAGE: Final = "your namespace is blocked: contact the registry operator"


def github_namespace(login: str) -> str:
    return f"io.github.{login}"


def is_github_login(login: str) -> bool:
    return bool(GITHUB_LOGIN_RE.fullmatch(login))


def github_permissions(login: str, organisations: Iterable[str] = ()) -> tuple[Permission, ...]:
    """``publish`` on ``io.github.<login>/*`` and on each organisation's namespace; names that
    are not GitHub names are skipped, never turned into a pattern."""
    owners = [login, *organisations]
    return tuple(
        Permission(Action.PUBLISH, f"{github_namespace(owner)}/*")
        for owner in owners
        if is_github_login(owner)
    )


def domain_problems(domain: str) -> list[Problem]:
    """The official domain rules: 1-253 characters, at least one dot, no IP literal, labels of
    letters, digits and inner hyphens."""
    fix = "give a domain name such as 'example.com'"
    if not 1 <= len(domain) <= 253:
        return [Problem("domain", f"domain must be 1 to 253 characters; {fix}", domain)]
    try:
        ipaddress.ip_address(domain.strip("[]"))
    except ValueError:
        pass
    else:
        return [Problem("domain", f"domain must be a name, not an IP address; {fix}", domain)]
    labels = domain.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL_RE.fullmatch(label) for label in labels):
        return [Problem("domain", f"'{domain}' is not a valid domain name; {fix}", domain)]
    return []


def reverse_domain(domain: str) -> str:
    """``example.com`` -> ``com.example``."""
    return ".".join(reversed(domain.lower().split(".")))


def domain_permissions(domain: str, *, subdomains: bool) -> tuple[Permission, ...]:
    """DNS proof covers the domain and its subdomains; HTTP proof only the domain itself."""
    namespace = reverse_domain(domain)
    grants = [Permission(Action.PUBLISH, f"{namespace}/*")]
    if subdomains:
        grants.append(Permission(Action.PUBLISH, f"{namespace}.*"))
    return tuple(grants)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A published key: ``v=MCPv1; k=<algorithm>; p=<base64 public key>``."""

    algorithm: str
    public_key: str


def parse_key_record(text: str) -> KeyRecord | None:
    match = KEY_RECORD_RE.match(text.strip())
    if match is None:
        return None
    return KeyRecord(match.group("alg"), match.group("key"))


def namespace_of(resource: str) -> str:
    """The namespace a permission pattern is about: ``io.github.alice/*`` -> ``io.github.alice``."""
    return resource.split("/", 1)[0].rstrip("*").rstrip(".")


def blocked_namespaces_hit(principal: Principal, blocked: Iterable[str]) -> list[str]:
    """The blocked namespaces the principal's permissions reach (none for a ``*`` holder)."""
    if any(p.resource == "*" for p in principal.permissions):
        return []
    blocked_set = {b.strip().lower() for b in blocked if b.strip()}
    hits = []
    for p in principal.permissions:
        namespace = namespace_of(p.resource).lower()
        if namespace in blocked_set or any(namespace.startswith(b + ".") for b in blocked_set):
            hits.append(namespace)
    return hits
