"""``registrum init``: write a first server.json from what the current folder already says.

Read, in this order: ``package.json`` (name, version, description, ``mcpName``),
``pyproject.toml`` (``[project]``), a README's ``mcp-name:`` line, a ``Dockerfile`` (an OCI
image) and the git remote ``origin`` (the repository, and an ``io.github.<owner>/<repo>`` name).
What cannot be found is left for the user, and listed.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from registrum.cli.output import fail, ok, say
from registrum.core import wire

_GITHUB_REMOTE: Final = re.compile(
    r"^(?:https?://|ssh://)?(?:[^@/]+@)?github\.com[:/](?P<owner>[A-Za-z0-9-]+)/"
    r"(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)
_GITLAB_REMOTE: Final = re.compile(
    r"^(?:https?://|ssh://)?(?:[^@/]+@)?gitlab\.com[:/](?P<path>[A-Za-z0-9._/-]+?)(?:\.git)?/?$"
)
_MCP_NAME_LINE: Final = re.compile(r"mcp-name:\s*(?P<name>[A-Za-z0-9.-]+/[A-Za-z0-9._-]+)")
_OCI_LABEL: Final = "io.modelcontextprotocol.server.name"
_NAME_PLACEHOLDER: Final = "io.github.<your-github-login>/{slug}"


@dataclass
class Draft:
    """The document being written, what it was read from, and what the user must still do."""

    document: dict[str, Any]
    found: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip().lstrip("@").replace("/", "-"))
    return slug.strip("-._").lower() or "my-server"


def _read_json(path: Path, draft: Draft) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        draft.todo.append(f"{path.name} could not be read ({exc}); it was skipped")
        return {}
    return data if isinstance(data, dict) else {}


def _read_pyproject(path: Path, draft: Draft) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, ValueError) as exc:
        draft.todo.append(f"{path.name} could not be read ({exc}); it was skipped")
        return {}
    project = data.get("project")
    return project if isinstance(project, dict) else {}


def git_origin(folder: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"],  # noqa: S607 - git from PATH
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    url = result.stdout.strip()
    return url if result.returncode == 0 and url else None


def _readme_name(folder: Path) -> str | None:
    for candidate in ("README.md", "README.rst", "README.txt", "README"):
        path = folder / candidate
        if path.is_file():
            match = _MCP_NAME_LINE.search(path.read_text(errors="replace"))
            if match:
                return match.group("name")
    return None


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def draft_server_json(folder: Path) -> Draft:
    draft = Draft({"$schema": wire.CURRENT_SCHEMA_URL})
    pkg = _read_json(folder / "package.json", draft) if (folder / "package.json").is_file() else {}
    project = (
        _read_pyproject(folder / "pyproject.toml", draft)
        if (folder / "pyproject.toml").is_file()
        else {}
    )
    dockerfile = folder / "Dockerfile"
    origin = git_origin(folder)

    # --- the repository, and the name it implies ----------------------------------------
    repository: dict[str, str] | None = None
    github_owner = github_repo = None
    if origin:
        if match := _GITHUB_REMOTE.match(origin):
            github_owner, github_repo = match.group("owner"), match.group("repo")
            repository = {"url": f"https://github.com/{github_owner}/{github_repo}"}
            repository["source"] = "github"
            draft.found.append("git remote origin (repository)")
        elif match := _GITLAB_REMOTE.match(origin):
            repository = {"url": f"https://gitlab.com/{match.group('path')}", "source": "gitlab"}
            draft.found.append("git remote origin (repository)")
        else:
            draft.todo.append(
                f"repository: the remote origin {origin} is not on GitHub or GitLab; add "
                '"repository": {"url": "...", "source": "..."} if it is public'
            )

    # --- name ------------------------------------------------------------------------------
    base_name = _str(pkg.get("name")) or _str(project.get("name")) or folder.resolve().name
    name = _str(pkg.get("mcpName")) or _readme_name(folder)
    if name:
        draft.found.append(f"the server name {name}")
    elif github_owner and github_repo:
        name = f"io.github.{github_owner}/{github_repo}"
        draft.found.append(f"the server name {name} (from the GitHub remote)")
    else:
        name = _NAME_PLACEHOLDER.format(slug=_slug(base_name))
        draft.todo.append(
            "name: replace <your-github-login> with your GitHub login (or use a reverse-DNS "
            "name of a domain you control, such as com.example/weather)"
        )
    draft.document["name"] = name

    # --- description and version -------------------------------------------------------------
    description = _str(pkg.get("description")) or _str(project.get("description"))
    if description and len(description) > 100:
        draft.todo.append("description: shorten it to at most 100 characters")
    if not description:
        draft.todo.append("description: say in one line (at most 100 characters) what it does")
    draft.document["description"] = description or ""
    if repository:
        draft.document["repository"] = repository
    version = _str(pkg.get("version")) or _str(project.get("version"))
    if not version:
        draft.todo.append("version: set to 1.0.0; change it to the version you are publishing")
    version = version or "1.0.0"
    draft.document["version"] = version

    # --- packages ------------------------------------------------------------------------------
    packages: list[dict[str, Any]] = []
    if pkg:
        npm_name = _str(pkg.get("name"))
        if npm_name:
            packages.append(
                {
                    "registryType": "npm",
                    "identifier": npm_name,
                    "version": _str(pkg.get("version")) or version,
                    "runtimeHint": "npx",
                    "transport": {"type": "stdio"},
                }
            )
            draft.found.append("package.json (npm package)")
            if _str(pkg.get("mcpName")) != name:
                draft.todo.append(
                    f'package.json: add "mcpName": "{name}" (the registry checks it against '
                    "the published npm package)"
                )
        else:
            draft.todo.append("package.json has no name; no npm package was added")
    if project:
        py_name = _str(project.get("name"))
        if py_name:
            packages.append(
                {
                    "registryType": "pypi",
                    "identifier": py_name,
                    "version": _str(project.get("version")) or version,
                    "runtimeHint": "uvx",
                    "transport": {"type": "stdio"},
                }
            )
            draft.found.append("pyproject.toml (pypi package)")
            if _readme_name(folder) != name:
                draft.todo.append(
                    f"README: add the line `mcp-name: {name}` (the registry looks for it in the "
                    "published PyPI package's description)"
                )
            if not _str(project.get("version")):
                draft.todo.append(
                    "packages: the pypi version is dynamic; set it to the released version"
                )
    if dockerfile.is_file():
        if github_owner and github_repo:
            image = f"ghcr.io/{github_owner.lower()}/{github_repo.lower()}:{version}"
        else:
            image = f"docker.io/<your-namespace>/{_slug(base_name)}:{version}"
            draft.todo.append("packages: replace <your-namespace> in the OCI image name")
        packages.append(
            {
                "registryType": "oci",
                "identifier": image,
                "runtimeHint": "docker",
                "transport": {"type": "stdio"},
            }
        )
        draft.found.append("Dockerfile (oci package)")
        if _OCI_LABEL not in dockerfile.read_text(errors="replace"):
            draft.todo.append(
                f'Dockerfile: add LABEL {_OCI_LABEL}="{name}" (the registry checks the image '
                "for it)"
            )
    if packages:
        draft.document["packages"] = packages
    else:
        draft.todo.append(
            'how to run it: add "packages" (npm, pypi, oci, nuget, mcpb, ...) or "remotes" '
            '(for example {"type": "streamable-http", "url": "https://mcp.example.com/mcp"})'
        )
    if packages:
        draft.todo.append(
            "packages: add environmentVariables and arguments the server needs, if any"
        )
    return draft


def init(
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing server.json.")
    ] = False,
) -> None:
    """Write a first ./server.json from this folder, then list what to fill in.

    Reads package.json, pyproject.toml, a README's `mcp-name:` line, a Dockerfile and the git
    remote origin.
    """
    target = Path("server.json")
    if target.exists() and not force:
        fail("server.json already exists here: edit it, or add --force to write a new one")
    draft = draft_server_json(Path.cwd())
    target.write_text(json.dumps(draft.document, indent=2, ensure_ascii=False) + "\n")
    doc = draft.document
    ok(f"wrote server.json for {doc['name']} {doc['version']}")
    if draft.found:
        say(f"  read: {', '.join(draft.found)}")
    if draft.todo:
        say("")
        say("Fill in or check before publishing:")
        for item in draft.todo:
            say(f"  - {item}")
    say("")
    say("Then: `registrum validate`, `registrum login <method>`, `registrum publish`.")
