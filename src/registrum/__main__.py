"""``python -m registrum`` is the ``registrum`` command."""

from registrum.main import run

run()
