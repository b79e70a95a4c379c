"""The clients Registrum writes configurations for, in the order they are shown.

Adding a client is one module here (``ID``, ``TITLE``, ``FILE`` and ``write(option, key)``,
exposed as ``CLIENT``) and one line below.
"""

from __future__ import annotations

from typing import Final

from registrum.core.install.clients import claude_code, claude_desktop, cursor, generic, vscode
from registrum.core.install.model import ClientFormat

CLIENTS: Final[dict[str, ClientFormat]] = {
    client.id: client
    for client in (
        vscode.CLIENT,
        claude_desktop.CLIENT,
        claude_code.CLIENT,
        cursor.CLIENT,
        generic.CLIENT,
    )
}
