"""Which program starts a package, by registry type and runtime hint.

- npm: `npx -y name@version` (hints npx, node, npm or none; `--registry URL` from the base
  URL), `bunx name@version` (bun, bunx; NPM_CONFIG_REGISTRY=URL), `pnpm dlx` (`--registry
  URL`) or `yarn dlx` (Yarn 2 and later, which read YARN_NPM_REGISTRY_SERVER=URL);
- pypi: `uvx name@version` (uvx, uv, python or none), `pipx run name==version` (pipx); the
  base URL is the registry's root, as the pypi verifier reads it (its JSON API is under
  it), so the index installers read is `--index-url URL/simple` (a base URL already ending
  in `/simple` is used as given);
- oci (or docker): `docker run -i --rm ... image:tag` (docker or none; podman), the base URL's
  host put before an image that names none, each environment variable passed with `-e NAME`
  (right after `run` when the publisher spelled out `run ... image` themselves, since
  anything after the image is the container's own command line);
- nuget: `dnx name@version --yes` (`--source URL`), `--` before the package's arguments.

The runtime arguments go between the launcher and the package, the package arguments after
it. A runtime hint Registrum does not know falls back to the type's usual launcher, with a
note. MCPB bundles and crates have no launcher that runs them without an install step, so
they are said, not guessed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from registrum.core.install.inputs import text_of


@dataclass(frozen=True, slots=True)
class Launcher:
    """How to start one package: ``command``, then ``before`` (the launcher's own options),
    the runtime arguments, for each environment variable ``env_flag NAME`` (containers), then
    ``package`` (the package and the launcher's options about it), ``separator`` and the
    package arguments. ``env`` is added to the process's environment."""

    command: str
    before: tuple[str, ...] = ()
    package: tuple[str, ...] = ()
    separator: tuple[str, ...] = ()
    env_flag: str | None = None
    env_passed: frozenset[str] = frozenset()  # variables the runtime arguments pass already
    env_after: int | None = None  # how many runtime arguments go before them (None: all)
    env: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


_NPM_HINTS: Final = {"npx": "npx", "node": "npx", "npm": "npx", "bun": "bunx", "bunx": "bunx"}
_PYPI_HINTS: Final = {"uvx": "uvx", "uv": "uvx", "python": "uvx", "python3": "uvx"}
_OCI_HINTS: Final = {"docker": "docker", "podman": "podman"}
_DOCKER_HUB: Final = frozenset({"docker.io", "registry-1.docker.io", "index.docker.io"})


def launcher(package: Mapping[str, Any], runtime_words: Sequence[str]) -> Launcher | str:
    """The launcher for ``package``, or the reason there is none. ``runtime_words`` are the
    runtime arguments, one per word, with each hole written as NUL (so a hole never passes
    for an option), so that options a publisher already gives are not doubled."""
    kind = (text_of(package.get("registryType")) or "").lower()
    identifier = text_of(package.get("identifier")) or ""
    version = text_of(package.get("version"))
    hint = text_of(package.get("runtimeHint"))
    base = text_of(package.get("registryBaseUrl"))
    if not identifier:
        return "the package has no identifier"
    if kind == "npm":
        return _npm(identifier, version, hint, base, runtime_words)
    if kind == "pypi":
        return _pypi(identifier, version, hint, base)
    if kind in ("oci", "docker"):
        return _oci(identifier, version, hint, base, runtime_words)
    if kind == "nuget":
        return _nuget(identifier, version, hint, base)
    if kind == "mcpb":
        digest = text_of(package.get("fileSha256"))
        check = f" and check its SHA-256 is {digest}" if digest else ""
        return (
            "an MCPB bundle is installed by a client's bundle installer, not started from a "
            f"command line: download {identifier}{check}, then open it with a client that "
            "installs .mcpb bundles (Claude Desktop does)"
        )
    if kind == "cargo":
        pinned = f" --version {version}" if version else ""
        return (
            "a crate has no launcher that runs it without installing it first: install it "
            f"with `cargo install {identifier}{pinned}`, then configure its program by hand"
        )
    return f"packages of registry type {kind or '(none)'!r} have no launcher Registrum knows"


def _unknown_hint(hint: str, used: str) -> tuple[str, ...]:
    return (f"runtime hint {hint!r} is not a launcher Registrum knows; {used} is used instead",)


def _npm(
    identifier: str,
    version: str | None,
    hint: str | None,
    base: str | None,
    runtime_words: Sequence[str],
) -> Launcher:
    spec = f"{identifier}@{version}" if version else identifier
    notes: tuple[str, ...] = ()
    if hint in ("pnpm", "yarn"):
        registry = ("--registry", base) if base and hint == "pnpm" else ()
        # `yarn dlx` exists from Yarn 2 on, whose settings are YARN_* variables: it ignores
        # NPM_CONFIG_REGISTRY (npmRegistryServer -> YARN_NPM_REGISTRY_SERVER).
        env = (("YARN_NPM_REGISTRY_SERVER", base),) if base and hint == "yarn" else ()
        return Launcher(hint, before=("dlx", *registry), package=(spec,), env=env)
    command = _NPM_HINTS.get(hint or "npx")
    if command is None:
        command, notes = "npx", _unknown_hint(hint or "", "npx")
    if command == "bunx":
        env = (("NPM_CONFIG_REGISTRY", base),) if base else ()
        return Launcher("bunx", package=(spec,), env=env, notes=notes)
    # `-y` answers npx's "Need to install the following packages" question, which a client
    # starting the server has no terminal to answer.
    yes = () if {"-y", "--yes"} & set(runtime_words) else ("-y",)
    registry = ("--registry", base) if base else ()
    return Launcher("npx", before=yes, package=(*registry, spec), notes=notes)


def _simple_index(base: str) -> str:
    """The PEP 503 index under a registry's base URL: the registry's root (``https://host``,
    where the JSON API the pypi verifier asks lives at ``/pypi/...``) is not an index, and
    an installer pointed at it finds nothing."""
    if base.rstrip("/").endswith("/simple"):
        return base
    return base.rstrip("/") + "/simple"


def _pypi(identifier: str, version: str | None, hint: str | None, base: str | None) -> Launcher:
    index = ("--index-url", _simple_index(base)) if base else ()
    if hint == "pipx":
        spec = f"{identifier}=={version}" if version else identifier
        return Launcher("pipx", before=("run",), package=(*index, spec))
    notes: tuple[str, ...] = ()
    if hint is not None and hint not in _PYPI_HINTS:
        notes = _unknown_hint(hint, "uvx")
    spec = f"{identifier}@{version}" if version else identifier
    return Launcher("uvx", package=(*index, spec), notes=notes)


def _oci(
    identifier: str,
    version: str | None,
    hint: str | None,
    base: str | None,
    runtime_words: Sequence[str],
) -> Launcher:
    notes: tuple[str, ...] = ()
    command = _OCI_HINTS.get(hint or "docker")
    if command is None:
        command, notes = "docker", _unknown_hint(hint or "", "docker")
    image = identifier
    first = image.split("/", 1)[0]
    names_host = "/" in image and ("." in first or ":" in first or first == "localhost")
    host = urlsplit(base).netloc if base else ""
    if host and host not in _DOCKER_HUB and not names_host:
        image = f"{host}/{image}"
    last = image.rsplit("/", 1)[-1]
    if version and ":" not in last and "@" not in last:
        image = f"{image}:{version}"
    words = set(runtime_words)
    passed = frozenset(
        word.split("=", 1)[0]
        for flag_word, word in itertools.pairwise(runtime_words)
        if flag_word in ("-e", "--env")
    )
    if runtime_words and runtime_words[0] == "run":
        # The publisher spelled out the whole `run ...` themselves, often with the image.
        before: tuple[str, ...] = ()
        if image in words or identifier in words:
            # Flags after the image would be the container's arguments: `-e NAME` goes
            # right after `run`.
            return Launcher(command, env_flag="-e", env_passed=passed, env_after=1, notes=notes)
    else:
        interactive = () if words & {"-i", "--interactive", "-it", "-ti"} else ("-i",)
        remove = () if "--rm" in words else ("--rm",)
        before = ("run", *interactive, *remove)
    return Launcher(
        command, before=before, package=(image,), env_flag="-e", env_passed=passed, notes=notes
    )


def _nuget(identifier: str, version: str | None, hint: str | None, base: str | None) -> Launcher:
    notes = _unknown_hint(hint, "dnx") if hint not in (None, "dnx", "dotnet") else ()
    spec = f"{identifier}@{version}" if version else identifier
    source = ("--source", base) if base else ()
    return Launcher("dnx", package=(spec, "--yes", *source), separator=("--",), notes=notes)
