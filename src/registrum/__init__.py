"""Registrum: an MCP server registry, wire-compatible with the official MCP Registry API."""

__version__ = "0.1.0"
