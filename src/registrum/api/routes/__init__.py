"""Routes per resource; each router is mounted under both ``/v0`` and ``/v0.1``."""
