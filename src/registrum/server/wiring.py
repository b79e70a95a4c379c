"""Build the registry from settings: engine, store, services, app."""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from sqlalchemy import Engine

from registrum.api.app import create_app
from registrum.api.context import ApiContext, BuildInfo
from registrum.api.lanes import Lanes
from registrum.core.ports import IdentityProvider
from registrum.identity.dns import DnsLogin
from registrum.identity.github import GitHubLogin
from registrum.identity.github_oidc import GitHubOidcLogin
from registrum.identity.http import HttpLogin
from registrum.identity.none import AnonymousLogin
from registrum.identity.oidc import OidcLogin
from registrum.server.policy_file import PolicyFile
from registrum.server.settings import Settings, load
from registrum.services.auth import TokenExchange
from registrum.services.importing import ImportService
from registrum.services.mirror import MirrorService
from registrum.services.moderation import ModerationService
from registrum.services.ownership import OwnershipChecker
from registrum.services.publish import PublishService
from registrum.services.query import QueryService
from registrum.services.renames import RenameService
from registrum.services.search import SearchService
from registrum.services.tokens import TokenService
from registrum.storage import engine as storage_engine
from registrum.storage.store import SqlServerStore
from registrum.upstream.readers import reader_for
from registrum.verifiers import catalog
from registrum.verifiers.fetching import Fetcher

log = logging.getLogger("registrum")


@dataclass(frozen=True)
class Registry:
    settings: Settings
    engine: Engine
    store: SqlServerStore
    context: ApiContext
    fetcher: Fetcher | None = None

    def close(self) -> None:
        if self.fetcher is not None:
            self.fetcher.close()
        if self.context.read_pool is not None:
            self.context.read_pool.shutdown(wait=True)
        self.context.lanes.close()
        self.store.close()
        self.engine.dispose()

    def describe_verification(self) -> list[str]:
        """What package checks this registry runs, for the start-up log."""
        if not self.settings.enable_registry_validation:
            return [
                "package ownership checks are OFF (MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION="
                "false): packages are stored without asking their registries"
            ]
        lines = []
        for registry_type, (_, ups) in sorted(
            catalog.package_sources(self.settings.verification()).items()
        ):
            if ups.entries:
                where = ", ".join(
                    e.named
                    if e.fetch in (e.named, f"https://{e.named}")
                    else f"{e.named} via {e.fetch}"
                    for e in ups.entries
                )
                lines.append(f"package checks: {registry_type} against {where}")
            else:
                lines.append(
                    f"package checks: {registry_type} not configured ({ups.setting}): "
                    f"{registry_type} packages are refused"
                )
        return lines


def login_methods(settings: Settings) -> list[IdentityProvider]:
    """The login methods this deployment enables, each built from its settings."""
    methods: list[IdentityProvider] = []
    if settings.anonymous_auth:
        methods.append(AnonymousLogin())
    if settings.enable_github_auth:
        # Served whether or not a client id is set: a personal access token needs none
        # (`login github --token`), as the official registry serves it.
        methods.append(GitHubLogin(settings.github_api_url))
    if settings.github_oidc_audience:
        methods.append(
            GitHubOidcLogin(
                settings.github_oidc_audience,
                issuer=settings.github_oidc_issuer,
                jwks_url=settings.github_oidc_jwks_url,
            )
        )
    if settings.oidc_enabled:
        methods.append(
            OidcLogin(
                settings.oidc_issuer,
                settings.oidc_client_id,
                extra_claims=settings.oidc_extra_claims,
                publish_permissions=settings.oidc_publish_permissions,
                edit_permissions=settings.oidc_edit_permissions,
            )
        )
    if settings.enable_dns_auth:
        methods.append(DnsLogin(settings.dns_resolver))
    if settings.enable_http_auth:
        methods.append(
            HttpLogin(
                url_template=settings.http_auth_url_template,
                allow_private=settings.http_auth_allow_private,
                ca_bundle=settings.http_auth_ca_bundle,
            )
        )
    return methods


def build(settings: Settings, *, migrate: bool = True) -> Registry:
    engine = storage_engine.create(settings.database)
    if migrate:
        storage_engine.migrate(engine)
    store = SqlServerStore(engine)
    tokens = TokenService(settings.jwt_seed())
    ownership: OwnershipChecker | None = None
    fetcher: Fetcher | None = None
    if settings.enable_registry_validation:
        verifiers, fetcher = catalog.build(settings.verification())
        ownership = OwnershipChecker(verifiers)
    policy = PolicyFile(settings.policy_file).current if settings.policy_file else None
    readers = partial(reader_for, limits=settings.mirror_limits())
    mirror = MirrorService(store, readers, policy=policy)
    context = ApiContext(
        query=QueryService(store),
        publish=PublishService(
            store,
            ownership=ownership,
            may_publish=lambda name: mirror.policy.may_publish(name),
        ),
        moderation=ModerationService(store, ownership=ownership),
        tokens=tokens,
        importer=ImportService(store),
        auth=TokenExchange(tokens, login_methods(settings), settings.blocked_namespace_list),
        mirror=mirror,
        search=SearchService(store),
        renames=RenameService(
            store,
            cool_off=timedelta(seconds=settings.rename_cool_off),
            offer_ttl=timedelta(seconds=settings.transfer_offer_ttl),
        ),
        github_client_id=settings.github_client_id,
        build=BuildInfo(settings.version, settings.git_commit, settings.build_time),
        max_body_bytes=settings.max_body_bytes,
        response_cache_bytes=settings.response_cache_bytes,
        cache_max_age=settings.cache_max_age,
        cors_origins=settings.cors_origins,
        rate_limits=settings.rate_limits,
        anonymous_by_default=settings.anonymous_auth and settings.enable_anonymous_auth is None,
        read_pool=None
        if store.dialect.local_reads
        else ThreadPoolExecutor(settings.read_threads, thread_name_prefix="registrum-read"),
        metrics_enabled=settings.metrics_enabled,
        metrics_token=settings.metrics_token,
        log_requests=settings.log_format == "json",
        readiness=functools.partial(storage_engine.readiness_problems, engine),
        lanes=Lanes.build(
            settings.outbound_threads, settings.outbound_per_client, settings.write_threads
        ),
    )
    return Registry(settings, engine, store, context, fetcher)


def app_from_env() -> FastAPI:
    """The uvicorn factory: each worker builds its own registry from the environment.
    Migrations already ran in the parent ``registrum serve`` process."""
    registry = build(load(), migrate=False)
    return create_app(registry.context)
