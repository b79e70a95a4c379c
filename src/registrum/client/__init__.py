"""A client for any registry that speaks the official MCP Registry API.

::

    from registrum.client import RegistryClient

    with RegistryClient("http://127.0.0.1:8080") as registry:
        registry.login_none()
        registry.publish(document)
        for item in registry.search("weather"):
            print(item.name, item.version, item.status)

Registrum's own endpoints (the change feed, look-ups by stable id, renames and transfers) are
methods too; ``cache=MemoryCache()`` or ``cache=DirectoryCache(folder)`` keeps GET answers and
revalidates them with their ETag (:mod:`registrum.client.cache`). :func:`install_configs` turns a
fetched server into ready configurations for VS Code, Claude Desktop, Claude Code, Cursor or
any client (:mod:`registrum.client.install`).

:class:`AsyncRegistryClient` has the same methods, awaited. Errors form one tree under
:class:`RegistryError` (see :mod:`registrum.client.errors`); keys for the ``dns`` and ``http``
logins are in :mod:`registrum.client.signing`, GitHub's device flow and Actions tokens in
:mod:`registrum.client.github`.
"""

from registrum.client._async import AsyncRegistryClient
from registrum.client._calls import DEFAULT_REGISTRY, LOGIN_METHODS, STATUSES, api_root, segment
from registrum.client._sync import RegistryClient
from registrum.client.cache import CachedResponse, DirectoryCache, MemoryCache, ResponseCache
from registrum.client.errors import (
    ConflictError,
    ErrorDetail,
    ForbiddenError,
    GoneError,
    InvalidRequestError,
    LoginError,
    NotFoundError,
    RegistryError,
    ResponseError,
    ServerError,
    SigningKeyError,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
)
from registrum.client.install import install_configs
from registrum.client.models import (
    Change,
    ChangePage,
    Health,
    OfficialMeta,
    Permission,
    RawServerPage,
    RegistryMeta,
    ServerItem,
    ServerPage,
    StatusResult,
    Token,
    TransferOffer,
    ValidationIssue,
    ValidationResult,
    token_claims,
)
from registrum.client.reader import iter_server_items
from registrum.client.signing import ALGORITHMS, SigningKey, dns_txt_record, well_known_url

__all__ = [
    "ALGORITHMS",
    "DEFAULT_REGISTRY",
    "LOGIN_METHODS",
    "STATUSES",
    "AsyncRegistryClient",
    "CachedResponse",
    "Change",
    "ChangePage",
    "ConflictError",
    "DirectoryCache",
    "ErrorDetail",
    "ForbiddenError",
    "GoneError",
    "Health",
    "InvalidRequestError",
    "LoginError",
    "MemoryCache",
    "NotFoundError",
    "OfficialMeta",
    "Permission",
    "RawServerPage",
    "RegistryClient",
    "RegistryError",
    "RegistryMeta",
    "ResponseCache",
    "ResponseError",
    "ServerError",
    "ServerItem",
    "ServerPage",
    "SigningKey",
    "SigningKeyError",
    "StatusResult",
    "Token",
    "TransferOffer",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "ValidationIssue",
    "ValidationResult",
    "api_root",
    "dns_txt_record",
    "install_configs",
    "iter_server_items",
    "segment",
    "token_claims",
    "well_known_url",
]
