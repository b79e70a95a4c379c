"""Readers of the registries a mirror follows (issue #7): a Registrum instance through its
change feed, any registry speaking the official API, or a file/URL dump."""
