"""Settings from ``MCP_REGISTRY_*`` environment variables, named as the official registry
names the same settings. A bad value stops start-up with a message naming the
variable and what it expects."""

from __future__ import annotations

import ipaddress
import re
import secrets
from pathlib import Path
from typing import Any, Final

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registrum.api.client_address import parse_trusted_proxies
from registrum.api.limiter import MEMORY, check_storage_uri, parse_limits
from registrum.api.rate_limits import RateLimitConfig
from registrum.core.addresses import IPNetwork, parse_networks
from registrum.identity.oidc import parse_claim_rules
from registrum.server import http_limits
from registrum.upstream import readers
from registrum.verifiers import catalog, fetching
from registrum.verifiers.package_sources import registry_urls_from_env

PREFIX = "MCP_REGISTRY_"
DEFAULT_DATA_DIR = "registrum-data"


class SettingsError(Exception):
    """One or more settings are invalid; the message names each variable."""


# An origin as a browser sends it: scheme://host[:port], nothing after (VS Code's own pages
# have origins such as vscode-file://vscode-app, so any scheme is taken).
_ORIGIN: Final = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#\s,*]+$", re.IGNORECASE)


def cors_origin_list(value: str) -> tuple[str, ...]:
    """The origins of MCP_REGISTRY_CORS_ALLOWED_ORIGINS: ("*",), a tuple of origins, or ()
    for none. Raises ValueError, saying what is wrong, for anything else."""
    origins = tuple(o.strip() for o in value.split(",") if o.strip())
    if "*" in origins:
        if len(origins) > 1:
            raise ValueError("'*' allows every origin: give it alone, or list origins without it")
        return origins
    for origin in origins:
        if origin.endswith("/") and _ORIGIN.match(origin.rstrip("/")):
            raise ValueError(f"origin {origin!r} has a trailing '/': an origin has no path")
        if not _ORIGIN.match(origin):
            raise ValueError(
                f"{origin!r} is not an origin: expected scheme://host[:port], for example "
                "https://tools.example.com, separated by commas"
            )
    return origins


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", case_sensitive=False)

    server_address: str = Field(
        default="127.0.0.1:8080", description="host:port to listen on (':8080' = all interfaces)"
    )
    data_dir: Path = Field(default=Path(DEFAULT_DATA_DIR), description="where local state lives")
    database_url: str = Field(default="", description="sqlite:///path or postgresql://...")
    jwt_private_key: str = Field(default="", description="hex Ed25519 seed (64 hex characters)")
    enable_anonymous_auth: bool | None = Field(
        default=None, description="true/false; unset = on when bound to loopback only"
    )
    github_client_id: str = ""
    # --- login methods (issue #3); each is off until its settings are given ---------------
    github_client_secret: str = ""
    enable_github_auth: bool = Field(default=True, description="serve POST /auth/github-at")
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub REST API base URL (github-at)"
    )
    github_oidc_audience: str = Field(
        default="", description="audience GitHub Actions tokens must carry; empty = disabled"
    )
    github_oidc_issuer: str = Field(
        default="https://token.actions.githubusercontent.com",
        description="issuer of GitHub Actions ID tokens",
    )
    github_oidc_jwks_url: str = Field(
        default="",
        description="JWKS URL for GitHub Actions tokens; empty = <issuer>/.well-known/jwks",
    )
    enable_dns_auth: bool = True
    dns_resolver: str = Field(
        default="", description="host:port of the DNS resolver for dns login; empty = system's"
    )
    enable_http_auth: bool = True
    http_auth_url_template: str = Field(
        default="https://{domain}/.well-known/mcp-registry-auth",
        description="where http login fetches a domain's key record",
    )
    http_auth_allow_private: bool = Field(
        default=False, description="let http login reach private/loopback addresses (tests only)"
    )
    http_auth_ca_bundle: str = Field(default="", description="extra CA bundle for http login")
    oidc_enabled: bool = False
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_extra_claims: str = Field(default="", description="JSON array of claim rule objects")
    oidc_publish_permissions: str = ""
    oidc_edit_permissions: str = ""
    blocked_namespaces: str = Field(
        default="", description="comma-separated namespaces no login may publish to"
    )
    # --- package ownership checks (issue #4) --------------------------------------------
    enable_registry_validation: bool = Field(
        default=True, description="check that every package named by a document is its server's"
    )
    # Filled from every MCP_REGISTRY_<TYPE>_REGISTRY_URLS variable by load(): one per
    # installed package type, so a new type needs no setting written here.
    registry_urls: dict[str, str] = Field(default_factory=dict)
    verify_timeout: float = Field(
        default=fetching.DEFAULT_TIMEOUT, gt=0, le=600, description="seconds per upstream request"
    )
    verify_host_timeouts: str = Field(
        default="", description="per-host overrides of VERIFY_TIMEOUT: host=seconds,..."
    )
    verify_max_response_bytes: int = Field(
        default=fetching.DEFAULT_MAX_RESPONSE_BYTES, ge=1024, le=1024**3
    )
    mcpb_max_bytes: int = Field(
        default=fetching.DEFAULT_MAX_DOWNLOAD_BYTES, ge=1024, le=16 * 1024**3
    )
    verify_ca_bundle: str = Field(default="", description="extra CA bundle for package registries")
    # --- limits on what clients and upstreams send --------------------------------------
    verify_allow_private: bool = Field(
        default=False,
        description="let package checks reach private/loopback addresses through any host, "
        "not only through the configured ones (tests, internal-only registries)",
    )
    outbound_public_networks: str = Field(
        default="",
        description="comma-separated addresses/networks the outbound address guard treats as "
        "public (for a network reached as if it were the internet)",
    )
    mirror_max_page_bytes: int = Field(
        default=readers.DEFAULT_MAX_PAGE_BYTES,
        ge=64 * 1024,
        le=4 * 1024**3,
        description="most bytes read of one page of an upstream's list or change feed",
    )
    mirror_max_file_bytes: int = Field(
        default=readers.DEFAULT_MAX_FILE_BYTES,
        ge=64 * 1024,
        le=16 * 1024**3,
        description="most bytes read of an upstream dump file (URL or path)",
    )
    http_max_header_bytes: int = Field(
        default=http_limits.DEFAULT_MAX_HEADER_BYTES,
        ge=1024,
        le=16 * 1024**2,
        description="most bytes of request line and headers a client may send (else 431)",
    )
    http_header_timeout: float = Field(
        default=http_limits.DEFAULT_HEADER_TIMEOUT,
        gt=0,
        le=3600,
        description="seconds a client has to send a request's headers (else 408, closed)",
    )
    http_body_timeout: float = Field(
        default=http_limits.DEFAULT_BODY_TIMEOUT,
        gt=0,
        le=3600,
        description="seconds a client has to send a request's body once its headers are in "
        "(else 408, closed)",
    )
    version: str = "dev"
    git_commit: str = "unknown"
    build_time: str = "unknown"
    seed_from: str = ""
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    workers: int = Field(default=1, ge=1, le=64)
    read_threads: int = Field(
        default=8,
        ge=1,
        le=256,
        description="threads per worker for database reads on PostgreSQL (SQLite reads inline)",
    )
    outbound_threads: int = Field(
        default=16,
        ge=1,
        le=256,
        description="threads per worker for logins, and as many for package checks",
    )
    outbound_per_client: int = Field(
        default=4,
        ge=1,
        le=1024,
        description="logins (and publishes awaiting package checks) one address may have "
        "in flight at once",
    )
    write_threads: int = Field(
        default=8, ge=1, le=256, description="threads per worker that store writes"
    )
    response_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        le=16 * 1024**3,
        description="memory per worker for answers to repeated reads (0 = off)",
    )
    cache_max_age: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="seconds a shared cache may serve a read without revalidating (0: always "
        "revalidate)",
    )
    cors_allowed_origins: str = Field(
        default="*",
        description="origins browsers may read the API from: '*' for any, a comma-separated "
        "list of origins (https://tools.example.com) to restrict it, empty for no CORS headers",
    )
    rename_cool_off: float = Field(
        default=90 * 86_400,
        ge=0,
        description="seconds a renamed-away name stays held for its server (default 90 days)",
    )
    transfer_offer_ttl: float = Field(
        default=7 * 86_400,
        gt=0,
        description="seconds a transfer offer can be accepted (default 7 days)",
    )
    policy_file: str = Field(
        default="",
        description="TOML allow/deny policy for mirrored entries and local publishing "
        "(docs/guides/run-an-enterprise-mirror.md); empty: allow everything",
    )
    mirror_sync: bool = Field(
        default=True, description="run the configured upstreams' syncs on their schedule"
    )
    log_level: str = "info"
    # --- rate limits (api/rate_limits.py): the limits library's notation, empty = none -----
    # Logins are limited by default: each may call out to GitHub, DNS or a web site. A
    # publisher logs in once per publish (a token lasts minutes), so one a second from an
    # address leaves room for a CI farm behind one NAT while a flood is cut short.
    rate_limit_auth: str = Field(
        default="60/minute", description="login requests (POST /auth/*) per client address"
    )
    rate_limit_publish: str = Field(
        default="", description="publish requests per client address and per token"
    )
    rate_limit_edit: str = Field(
        default="",
        description="edits, status changes, renames and transfers per address and per token",
    )
    rate_limit_read: str = Field(default="", description="reads (GET, HEAD) per client address")
    rate_limit_storage: str = Field(
        default=MEMORY, description="memory:// (per process) or redis://host:6379/0 (shared)"
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses/CIDRs of proxies whose X-Forwarded-For/Forwarded name the client",
    )

    @field_validator("rate_limit_auth", "rate_limit_publish", "rate_limit_edit", "rate_limit_read")
    @classmethod
    def _limits(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _limit_storage(cls, value: str) -> str:
        return check_storage_uri(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @property
    def rate_limits(self) -> RateLimitConfig:
        return RateLimitConfig(
            auth=parse_limits(self.rate_limit_auth),
            publish=parse_limits(self.rate_limit_publish),
            edit=parse_limits(self.rate_limit_edit),
            read=parse_limits(self.rate_limit_read),
            storage_uri=self.rate_limit_storage,
            trusted_proxies=parse_trusted_proxies(self.trusted_proxies),
        )

    # --- operations: metrics, logs, health (docs/guides/operations.md) -------------------
    metrics_enabled: bool = Field(
        default=True, description="serve GET /metrics (Prometheus); keep it off the Internet"
    )
    metrics_token: str = Field(
        default="", description="when set, GET /metrics needs 'Authorization: Bearer <token>'"
    )
    log_format: str = Field(
        default="text",
        description="text (uvicorn's access log) or json (one JSON line per request and per "
        "log record, on stderr)",
    )

    @field_validator("server_address")
    @classmethod
    def _address(cls, value: str) -> str:
        _, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, for example 127.0.0.1:8080 or :8080")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("expected text or json")
        return value.lower()

    @field_validator("jwt_private_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if value:
            try:
                seed = bytes.fromhex(value)
            except ValueError as exc:
                raise ValueError("expected 64 hexadecimal characters (a 32-byte seed)") from exc
            if len(seed) != 32:
                raise ValueError("expected 64 hexadecimal characters (a 32-byte seed)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug", "trace"}:
            raise ValueError("expected one of critical, error, warning, info, debug")
        return value.lower()

    @field_validator("oidc_issuer", "oidc_client_id")
    @classmethod
    def _oidc_required(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("oidc_enabled") and not value.strip():
            what = "issuer URL" if info.field_name == "oidc_issuer" else "client id (audience)"
            raise ValueError(f"required when {PREFIX}OIDC_ENABLED=true: the provider's {what}")
        if (
            info.field_name == "oidc_issuer"
            and value
            and not value.startswith(("https://", "http://"))
        ):
            raise ValueError("expected the issuer URL, for example https://accounts.example.com")
        return value

    @field_validator("oidc_extra_claims")
    @classmethod
    def _claim_rules(cls, value: str) -> str:
        parse_claim_rules(value)
        return value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _cors_origins(cls, value: str) -> str:
        cors_origin_list(value)
        return value

    @field_validator("verify_host_timeouts")
    @classmethod
    def _host_timeouts(cls, value: str) -> str:
        catalog.parse_host_timeouts(value)
        return value

    @field_validator("verify_ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: str) -> str:
        if value and not Path(value).is_file():
            raise ValueError("expected the path of a PEM file of CA certificates")
        return value

    @field_validator("outbound_public_networks")
    @classmethod
    def _public_networks(cls, value: str) -> str:
        parse_networks(value, f"{PREFIX}OUTBOUND_PUBLIC_NETWORKS")
        return value

    @property
    def public_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.outbound_public_networks, f"{PREFIX}OUTBOUND_PUBLIC_NETWORKS")

    def mirror_limits(self) -> readers.MirrorLimits:
        return readers.MirrorLimits(
            self.mirror_max_page_bytes, self.mirror_max_file_bytes, self.public_networks
        )

    def inbound_limits(self) -> http_limits.HttpLimits:
        return http_limits.HttpLimits(
            self.http_max_header_bytes, self.http_header_timeout, self.http_body_timeout
        )

    def verification(self, *, trust_documents: bool = False) -> catalog.VerificationConfig:
        return catalog.VerificationConfig(
            registry_urls=self.registry_urls,
            timeout=self.verify_timeout,
            host_timeouts=catalog.parse_host_timeouts(self.verify_host_timeouts),
            max_response_bytes=self.verify_max_response_bytes,
            max_download_bytes=self.mcpb_max_bytes,
            ca_bundle=self.verify_ca_bundle,
            trust_documents=trust_documents,
            allow_private=self.verify_allow_private,
            public_networks=self.public_networks,
        )

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return cors_origin_list(self.cors_allowed_origins)

    @property
    def blocked_namespace_list(self) -> list[str]:
        return [n.strip() for n in self.blocked_namespaces.split(",") if n.strip()]

    @property
    def host(self) -> str:
        host = self.server_address.rpartition(":")[0].strip("[]")
        return host or "0.0.0.0"

    @property
    def port(self) -> int:
        return int(self.server_address.rpartition(":")[2])

    @property
    def loopback_only(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def anonymous_auth(self) -> bool:
        if self.enable_anonymous_auth is not None:
            return self.enable_anonymous_auth
        return self.loopback_only

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'registry.db'}"

    def jwt_seed(self) -> bytes:
        """The token-signing seed: configured, or generated once and kept in the data folder
        so tokens stay valid across restarts and across workers."""
        if self.jwt_private_key:
            return bytes.fromhex(self.jwt_private_key)
        path = self.data_dir / "jwt-private-key"
        if path.exists():
            return bytes.fromhex(path.read_text().strip())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        seed = secrets.token_bytes(32)
        path.touch(mode=0o600)
        path.write_text(seed.hex())
        return seed


def load(**overrides: Any) -> Settings:
    overrides.setdefault("registry_urls", registry_urls_from_env())
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"  {PREFIX}{field.upper()}={err.get('input')!r}: {msg}")
        raise SettingsError("invalid settings:\n" + "\n".join(lines)) from None
    try:
        catalog.package_sources(settings.verification())
    except catalog.ConfigurationError as exc:
        raise SettingsError(f"invalid settings:\n  {exc}") from None
    return settings
