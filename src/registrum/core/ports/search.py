"""Port of ranked search with facets (the rules: :mod:`registrum.core.search`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from registrum.core.search import SearchPage, SearchQuery


class SearchReads(Protocol):
    """The latest version of every server, searched as :mod:`registrum.core.search` says,
    through indexes kept in step with every write that changes a server's latest version."""

    def search(self, query: SearchQuery, now: datetime) -> SearchPage:
        """One page of matches, best first, with the facet counts (``now``: for freshness)."""
        ...
