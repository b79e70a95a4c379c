"""Package ownership verifiers: one module per package registry type, each checking
what the official registry checks.

Each module holds one verifier class, registered under the ``registrum.verifiers`` entry
point group in ``pyproject.toml``; :mod:`registrum.verifiers.catalog` finds them and builds
each with its configured sources (:mod:`~registrum.verifiers.package_sources`) and the shared,
bounded HTTP client (:mod:`~registrum.verifiers.fetching`). Adding a package type is one
module and one line: see ``docs/guides/add-a-package-type.md``.
"""
