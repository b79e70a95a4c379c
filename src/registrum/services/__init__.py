"""Use cases: publish, query, status and edit, tokens, import/export. They reach storage and
the outside world only through the ports in :mod:`registrum.core.ports`."""
