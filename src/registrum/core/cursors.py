"""List cursors: what ``metadata.nextCursor`` holds, and how a cursor sent back is read.

The official registry's cursor is ``<name>:<version>`` of the page's last row, unescaped.
Versions may carry semver build metadata (``1.0.0+build.1``), and some clients append the
cursor to the URL without encoding it (VS Code's gallery client does): the ``+`` then arrives
as a space, and the next page starts at the wrong row and repeats one. So the cursors this
registry emits are opaque and URL-safe (unpadded base64url of ``name:version``, an alphabet
that needs no escaping anywhere in a URL), while every form a client may hold is still read:

- the opaque form this registry emits;
- the official ``name:version`` form (split at the first ``:``: names cannot hold one,
  versions can), with a space read back as the ``+`` it was (a version holds no space when
  it comes from a client that encoded it);
- a bare name, which the official registry reads as "after every version of this name".
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

_SEPARATOR: Final = ":"


def encode_cursor(name: str, version: str) -> str:
    """The opaque cursor that resumes a listing after (name, version)."""
    raw = f"{name}{_SEPARATOR}{version}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _opaque(text: str) -> str | None:
    """The ``name:version`` an opaque cursor holds, or None when ``text`` is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    # A name always holds a '/' before the separator: this tells a decoded cursor from a
    # string that merely happens to be valid base64.
    name, sep, _ = decoded.partition(_SEPARATOR)
    # Nor does a cursor this registry emitted hold NUL (no stored name or version can, and
    # PostgreSQL would refuse the parameter): such a string is read as sent.
    if "\x00" in decoded:
        return None
    return decoded if sep and "/" in name else None


def decode_cursor(text: str) -> tuple[str, str | None]:
    """(name, version) to resume after; version None means after every version of name."""
    if _SEPARATOR not in text and "/" not in text:
        opaque = _opaque(text)
        if opaque is not None:
            text = opaque
        return _split(text, repaired=False)
    return _split(text, repaired=True)


def _split(text: str, *, repaired: bool) -> tuple[str, str | None]:
    name, sep, version = text.partition(_SEPARATOR)
    if not sep:
        return name, None
    # Sent unencoded, a '+' arrives as a space; names hold neither, versions from an
    # encoding client hold no space.
    return (name.replace(" ", "+"), version.replace(" ", "+")) if repaired else (name, version)
