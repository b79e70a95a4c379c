"""A client for any registry that speaks the official MCP Registry API.

Grows into the full publisher client (issue #3); today it pages through ``/servers``.
"""

from registrum.client.errors import RegistryError
from registrum.client.reader import iter_server_items

__all__ = ["RegistryError", "iter_server_items"]
