"""What the sync and the async client share: where the API is, the token, the defaults."""

from __future__ import annotations

from typing import Final

from registrum import __version__
from registrum.client._calls import DEFAULT_API_VERSION, DEFAULT_REGISTRY, api_root
from registrum.client.cache import ResponseCache

DEFAULT_TIMEOUT: Final = 30.0
USER_AGENT: Final = f"registrum-client/{__version__}"


class ClientBase:
    """Holds the API root, the registry token and the optional cache; sends nothing itself."""

    def __init__(
        self,
        base_url: str = DEFAULT_REGISTRY,
        *,
        token: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        cache: ResponseCache | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.root = api_root(base_url, api_version)
        self.token = token
        """The registry token sent with publish and status changes; a login sets it."""
        self.cache = cache
        """Where GET answers are kept and revalidated with their ETag (None: not at all)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"
