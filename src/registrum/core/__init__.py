"""The pure domain: server.json model, names, versions, statuses, permissions, validation.

Nothing here imports a web framework, a database library or an HTTP client.
"""
