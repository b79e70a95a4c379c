"""``python -m registrum`` is the ``registrum`` command."""

from registrum.main import run

if __name__ == "__main__":  # not when a child process (upstream/child.py) imports it
    run()
