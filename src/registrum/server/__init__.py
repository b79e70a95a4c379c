"""The composition root: settings, wiring, and the operator commands that run the registry
in-process (``serve``, ``import``, ``export``). Only this package builds adapters."""
