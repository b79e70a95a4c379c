"""The HTTP API: FastAPI routes, the wire format and problem JSON errors."""
