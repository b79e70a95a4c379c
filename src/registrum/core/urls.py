"""The key a remote URL is compared by, for the one-live-server-per-remote-URL rule.

Two spellings of one address must not go to two servers: ``https://VICTIM.example.com/mcp/``
reaches the same endpoint as ``https://victim.example.com/mcp``, and comparing the raw text
let a second server claim it. The document keeps the URL as published; only this key is
normalised, by these rules (RFC 3986 section 6.2.2 and 6.2.3, plus two of ours):

- scheme and host in lower case; an internationalised host in its ASCII (IDNA 2008, UTS 46)
  form, so ``Bücher.example`` and ``xn--bcher-kva.example`` are one host;
- the scheme's default port dropped (``:443`` for https, ``:80`` for http);
- percent-escapes of unreserved characters (letters, digits, ``-._~``) decoded, every other
  escape in upper-case hex, and non-ASCII characters percent-encoded as UTF-8;
- ``.`` and ``..`` path segments removed;
- ours: a trailing ``/`` of the path dropped (``/mcp/`` is ``/mcp``, and ``https://h/`` is
  ``https://h``): servers answer both, and a second server should not get the other;
- ours: the fragment dropped (never sent to the server); an empty query (a bare ``?``)
  dropped; any other query kept as it is, escapes normalised (``?a=1&b=2`` and ``?b=2&a=1``
  stay different: the order of parameters can matter to the server).

urllib's splitting is used (the standard library's, as httpx uses it too) and the ``idna``
package for hosts: ``rfc3986``'s normaliser covers the case rules, the escapes' hex case and dot
segments only (no default ports, no decoding of unreserved escapes, no IDNA), so the
rest would be written here anyway.
"""

from __future__ import annotations

import contextlib
import re
import string
from typing import Final
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_ESCAPE_OR_NON_ASCII: Final = re.compile(r"%([0-9A-Fa-f]{2})|[^\x00-\x7f]")
_UNRESERVED: Final = frozenset((string.ascii_letters + string.digits + "-._~").encode())


def _escape(match: re.Match[str]) -> str:
    hex_digits = match.group(1)
    if hex_digits is None:
        return "".join(f"%{b:02X}" for b in match.group(0).encode("utf-8", "surrogatepass"))
    byte = int(hex_digits, 16)
    return chr(byte) if byte in _UNRESERVED else f"%{byte:02X}"


def _percent(text: str) -> str:
    return _ESCAPE_OR_NON_ASCII.sub(_escape, text)


def _host(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal
        return host.lower()
    if not host.isascii():
        # Not a valid internationalised name: no DNS lookup reaches it, so its escaped,
        # lower-case form serves as the key (the URL itself is checked elsewhere).
        with contextlib.suppress(idna.IDNAError):
            host = idna.encode(host, uts46=True).decode("ascii")
    # Host names are case-insensitive, escapes included: one case for all of the key.
    return _percent(host).lower()


def _without_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif segment == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/".join(out)


def _authority(parts: SplitResult, scheme: str) -> str:
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end != -1:
            host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    elif port.isdigit():
        port = str(int(port))
    key = _host(host) + (f":{port}" if port else "")
    return f"{_percent(userinfo)}@{key}" if at else key


def remote_url_key(url: str) -> str:
    """``url`` in the form remote URLs are compared by (see the module's rules)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        # Unparseable (an unclosed IPv6 bracket): only its exact text can match.
        return url
    scheme = parts.scheme.lower()
    path = _without_dot_segments(_percent(parts.path)).rstrip("/")
    query = _percent(parts.query)
    return urlunsplit((scheme, _authority(parts, scheme), path, query, ""))
