"""Registry tokens kept between commands, one per registry URL.

The file is ``<config folder>/credentials.json``, where the config folder is
``$XDG_CONFIG_HOME/registrum`` when that variable is set, else the platform's folder for
``registrum`` (``~/.config/registrum`` on Linux). It is created with mode 0600 (its folder
0700) and replaced atomically, so a token is never readable by other users, even briefly::

    {"registries": {"https://registry.example.com": {
        "token": "<registry JWT>", "method": "dns", "expires_at": 1767225600,
        "login": "registrum login dns --domain example.com --private-key-file /home/me/key.pem"
    }}}
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import typer

FILE_NAME: Final = "credentials.json"


def config_dir() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "registrum"
    return Path(typer.get_app_dir("registrum"))


def registry_key(url: str) -> str:
    """One key per registry, however its URL is spelled: no trailing slash or API version,
    lower-case scheme and host."""
    base = url.strip().rstrip("/")
    for suffix in ("/v0.1", "/v0"):
        base = base.removesuffix(suffix)
    scheme, sep, rest = base.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


@dataclass(frozen=True, slots=True)
class Credential:
    registry: str
    token: str
    method: str
    expires_at: int
    login: str
    """The command that logs in again (never holds a secret)."""

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at


class CredentialError(Exception):
    """The credentials file cannot be read or written."""


class CredentialStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or config_dir()
        self.path = self.folder / FILE_NAME

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CredentialError(
                f"cannot read {self.path} ({exc}): delete it, or run `registrum logout --all`"
            ) from None
        registries = data.get("registries") if isinstance(data, dict) else None
        return registries if isinstance(registries, dict) else {}

    def _write(self, registries: dict[str, Any]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".credentials-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w") as out:
                    os.fchmod(out.fileno(), 0o600)
                    json.dump({"registries": registries}, out, indent=2)
                    out.write("\n")
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise CredentialError(f"cannot write {self.path}: {exc}") from None

    def get(self, registry: str) -> Credential | None:
        key = registry_key(registry)
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            return Credential(
                key,
                str(entry["token"]),
                str(entry.get("method", "")),
                int(entry.get("expires_at", 0)),
                str(entry.get("login", "")) or "registrum login <method>",
            )
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, credential: Credential) -> None:
        registries = self._read()
        entry = asdict(credential)
        del entry["registry"]
        registries[registry_key(credential.registry)] = entry
        self._write(registries)

    def remove(self, registry: str) -> bool:
        registries = self._read()
        if registries.pop(registry_key(registry), None) is None:
            return False
        if registries:
            self._write(registries)
        else:
            self.path.unlink(missing_ok=True)
        return True

    def clear(self) -> bool:
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        return existed
