"""The README marker check shared by the types whose registries publish a README with each
version (pypi, nuget, cargo): ``mcp-name: <server name>`` with the boundary rule of
:func:`registrum.core.ownership.find_readme_marker`, and a message for each way it fails."""

from __future__ import annotations

from registrum.core.ownership import Marker, find_readme_marker, readme_marker
from registrum.verifiers.fields import refuse


def require_readme_marker(
    readme: str, *, label: str, ident: str, version: str, server_name: str, where: str
) -> None:
    """Refuse unless ``readme`` carries the marker. ``label`` names the package ("PyPI
    package"), ``where`` says where the line goes ("your README (the package's long
    description)")."""
    match = find_readme_marker(readme, server_name)
    if match.state is Marker.FOUND:
        return
    line = readme_marker(server_name)
    failed = f"{label} '{ident}' version '{version}' ownership validation failed."
    if match.state is Marker.GLUED:
        message = (
            f"{failed} Its README has '{readme_marker(match.found or '')}', which names a "
            f"longer name than '{server_name}': end the name with a space or line break "
            f"({line}) and publish a new version"
        )
    elif match.state is Marker.OTHER and match.found == server_name:
        # Right name, wrong spacing: 'mcp-name:' must be followed by exactly one space.
        message = (
            f"{failed} Its README names '{server_name}' but not as '{line}' (exactly one "
            "space after the colon): fix the line and publish a new version"
        )
    elif match.state is Marker.OTHER:
        message = (
            f"{failed} Its README names '{match.found}', not '{server_name}': change the line "
            f"to {line} and publish a new version"
        )
    else:
        message = (
            f"{failed} The server name '{server_name}' must appear as '{line}' in the package "
            f"README. Add this line to {where}: {line}, and publish a new version"
        )
    raise refuse("identifier", message, ident)
