"""One live server per remote URL (the official registry's rule), checked inside the write
that would break it.

The official registry checks on publish, on the admin edit and when a deleted version is
restored. Registrum also releases the URL of a deleted server (deleted versions do not
count), and checks imports.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from registrum.core.errors import Problem, RemoteUrlTakenError
from registrum.core.ports import WriteSession


def stored_remote_urls(body: str) -> tuple[str, ...]:
    """The remote URLs named by a stored document's text."""
    remotes = orjson.loads(body).get("remotes") or []
    return tuple(dict.fromkeys(r["url"] for r in remotes if isinstance(r, dict) and "url" in r))


def require_free(tx: WriteSession, server_id: str, urls: Sequence[str]) -> None:
    """Refuse, naming every conflict, when another live server already uses one of ``urls``."""
    taken = [
        (index, url, owner)
        for index, url in enumerate(urls)
        if (owner := tx.versions.remote_url_owner(url, server_id)) is not None
    ]
    if not taken:
        return
    problems = [
        Problem(
            f"remotes[{index}].url",
            f"remote URL {url} is already used by server {owner}: each remote URL belongs to "
            "one live server; use another URL, or have that server's versions deleted first",
            url,
        )
        for index, url, owner in taken
    ]
    _, url, owner = taken[0]
    raise RemoteUrlTakenError(f"remote URL {url} is already used by server {owner}", problems)
