"""The registry the browser tests look at: about forty made-up but realistic servers, stored
through ``registrum import`` (which keeps each document, its status and timestamps as given).

Every kind of thing a page shows is here: several namespaces; npm, pypi, oci and nuget
packages; remotes with headers and URL variables; secret environment variables; a server
with several install options; a deprecated server with a message and a deleted one; long
descriptions and a very long name; titles and icons. ``EXACT_HIT`` is the one server whose
name's last part is exactly ``SEARCH``: ranked search puts it first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from registrum.core import wire

ICON = "https://example.com/icon.png"  # answered by the tests' route, never fetched

SEARCH = "weather"
EXACT_HIT = "io.github.alice/weather"
DEPRECATED = "com.example/legacy-search"
DEPRECATION_MESSAGE = "Replaced by com.example/search: it speaks the 2025 protocol."
DELETED = "com.example/removed-tool"
MULTI = "com.example/database"  # npm, pypi, oci and a remote: every install option
REMOTE = "io.github.alice/notes"
NAMESPACE = "io.github.alice"
LONG_NAME = (
    "io.github.an-organisation-with-a-remarkably-long-name/"
    "an-mcp-server-whose-name-goes-on-and-on-without-a-break"
)
LONG_DESCRIPTION = (
    "Reads and writes spreadsheets in every common format (xlsx, ods, csv, tsv), keeps "
    "formulas, named ranges and cell styles intact, and lets a model query a sheet as if it "
    "were a small SQL table, with joins across sheets and workbooks, pivot summaries and "
    "charts rendered as images for clients that can show them."
)

_NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _npm(identifier: str, version: str, **more: Any) -> dict[str, Any]:
    return {
        "registryType": "npm",
        "identifier": identifier,
        "version": version,
        "transport": {"type": "stdio"},
        "runtimeHint": "npx",
        **more,
    }


def _pypi(identifier: str, version: str, **more: Any) -> dict[str, Any]:
    return {
        "registryType": "pypi",
        "identifier": identifier,
        "version": version,
        "transport": {"type": "stdio"},
        "runtimeHint": "uvx",
        **more,
    }


def _oci(identifier: str, **more: Any) -> dict[str, Any]:
    return {"registryType": "oci", "identifier": identifier, "transport": {"type": "stdio"}, **more}


def _nuget(identifier: str, version: str, **more: Any) -> dict[str, Any]:
    return {
        "registryType": "nuget",
        "identifier": identifier,
        "version": version,
        "transport": {"type": "stdio"},
        "runtimeHint": "dnx",
        **more,
    }


def _secret(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "isRequired": True, "isSecret": True}


def _env(name: str, description: str, default: str | None = None) -> dict[str, Any]:
    var: dict[str, Any] = {"name": name, "description": description, "isRequired": False}
    if default is not None:
        var["default"] = default
    return var


def _doc(name: str, version: str, description: str, **members: Any) -> dict[str, Any]:
    short = name.rsplit("/", 1)[1]
    return {
        "$schema": wire.CURRENT_SCHEMA_URL,
        "name": name,
        "description": description,
        "version": version,
        "repository": {"url": f"https://github.com/example-org/{short}", "source": "github"},
        **members,
    }


def _item(
    doc: dict[str, Any],
    age_days: int,
    *,
    latest: bool = True,
    status: str = "active",
    message: str | None = None,
) -> dict[str, Any]:
    when = (_NOW - timedelta(days=age_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    official: dict[str, Any] = {
        "status": status,
        "publishedAt": when,
        "updatedAt": when,
        "statusChangedAt": when,
        "isLatest": latest,
    }
    if message:
        official["statusMessage"] = message
    return {"server": doc, "_meta": {wire.OFFICIAL_META: official}}


def _icons() -> list[dict[str, Any]]:
    return [{"src": ICON, "mimeType": "image/png", "sizes": ["48x48"]}]


def items() -> list[dict[str, Any]]:
    """The ServerResponse items to import, oldest first within each server."""
    out: list[dict[str, Any]] = []

    # The exact-name hit for "weather", with three versions (the versions table).
    for i, version in enumerate(("1.0.0", "1.1.0", "1.2.0")):
        out.append(
            _item(
                _doc(
                    EXACT_HIT,
                    version,
                    "Current conditions and 7-day forecasts for any city.",
                    title="Weather",
                    icons=_icons(),
                    websiteUrl="https://alice.example.com/weather",
                    packages=[
                        _npm(
                            "@alice/weather-mcp",
                            version,
                            environmentVariables=[
                                _secret("WEATHER_API_KEY", "Your OpenWeather API key"),
                                _env("WEATHER_UNITS", "metric or imperial", "metric"),
                            ],
                        )
                    ],
                ),
                age_days=40 - 15 * i,
                latest=version == "1.2.0",
            )
        )
    # A remote with a secret header and a URL variable.
    out.append(
        _item(
            _doc(
                REMOTE,
                "2.0.1",
                "Your notes, searchable and editable from any MCP client.",
                title="Alice's Notes",
                icons=_icons(),
                remotes=[
                    {
                        "type": "streamable-http",
                        "url": "https://{workspace}.notes.example.com/mcp",
                        "headers": [
                            {
                                "name": "Authorization",
                                "description": "Bearer token from your account settings",
                                "isSecret": True,
                                "isRequired": True,
                            }
                        ],
                        "variables": {
                            "workspace": {
                                "description": "Your workspace's subdomain",
                                "isRequired": True,
                            }
                        },
                    }
                ],
            ),
            age_days=3,
        )
    )
    out.append(
        _item(
            _doc(
                "io.github.alice/calendar",
                "0.4.2",
                "Reads and creates events in CalDAV calendars.",
                title="Calendar",
                packages=[
                    _pypi(
                        "alice-calendar-mcp",
                        "0.4.2",
                        environmentVariables=[
                            _env("CALDAV_URL", "Your CalDAV server's address"),
                            _secret("CALDAV_PASSWORD", "The app password for the calendar"),
                        ],
                    )
                ],
            ),
            age_days=12,
        )
    )
    # Every install option on one server.
    out.append(
        _item(
            _doc(
                MULTI,
                "3.1.0",
                "Query PostgreSQL, MySQL and SQLite databases with read-only SQL.",
                title="Database Explorer",
                icons=_icons(),
                websiteUrl="https://example.com/database",
                packages=[
                    _npm(
                        "@example/database-mcp",
                        "3.1.0",
                        packageArguments=[
                            {
                                "type": "named",
                                "name": "--read-only",
                                "value": "true",
                                "description": "Refuse statements that write",
                            },
                            {
                                "type": "positional",
                                "valueHint": "connection_string",
                                "description": "Where the database is",
                                "isRequired": True,
                            },
                        ],
                        environmentVariables=[_secret("DATABASE_PASSWORD", "The password")],
                    ),
                    _pypi("example-database-mcp", "3.1.0"),
                    _oci("ghcr.io/example/database-mcp:3.1.0"),
                ],
                remotes=[
                    {
                        "type": "sse",
                        "url": "https://db.example.com/sse",
                        "headers": [
                            {"name": "X-API-Key", "isSecret": True, "isRequired": True},
                        ],
                    }
                ],
            ),
            age_days=6,
        )
    )
    out.append(
        _item(
            _doc(
                "com.example/weather-alerts",
                "1.3.0",
                "Severe weather alerts pushed as MCP notifications.",
                packages=[_oci("ghcr.io/example/weather-alerts:1.3.0")],
            ),
            age_days=20,
        )
    )
    out.append(
        _item(
            _doc(
                DEPRECATED,
                "0.9.0",
                "Full-text search over documents (deprecated).",
                title="Legacy Search",
                packages=[_npm("@example/legacy-search", "0.9.0")],
            ),
            age_days=90,
            status="deprecated",
            message=DEPRECATION_MESSAGE,
        )
    )
    out.append(
        _item(
            _doc(
                DELETED,
                "0.1.0",
                "A tool that was taken down.",
                packages=[_npm("@example/removed-tool", "0.1.0")],
            ),
            age_days=120,
            status="deleted",
            message="Removed at the publisher's request.",
        )
    )
    out.append(
        _item(
            _doc(
                "io.github.bob/dotnet-tools",
                "1.0.0",
                "Builds, tests and inspects .NET solutions.",
                title=".NET Tools",
                packages=[
                    _nuget(
                        "Bob.DotnetTools.Mcp",
                        "1.0.0",
                        environmentVariables=[_env("DOTNET_ROOT", "Where the SDK lives")],
                    )
                ],
            ),
            age_days=8,
        )
    )
    out.append(
        _item(
            _doc(
                "io.github.bob/forecast-charts",
                "0.2.0",
                "Draws charts of temperature and rain from weather forecasts.",
                packages=[_pypi("forecast-charts-mcp", "0.2.0")],
            ),
            age_days=15,
        )
    )
    out.append(
        _item(
            _doc(
                "io.github.carol/spreadsheets",
                "2.2.0",
                LONG_DESCRIPTION,
                title="Spreadsheets, Workbooks and Everything Tabular",
                icons=_icons(),
                packages=[_npm("@carol/spreadsheets-mcp", "2.2.0")],
            ),
            age_days=2,
        )
    )
    out.append(
        _item(
            _doc(
                LONG_NAME,
                "1.0.0",
                "A server with a very long name, to see that pages wrap it.",
                packages=[_pypi("long-name-mcp", "1.0.0")],
            ),
            age_days=30,
        )
    )

    # The rest: a realistic spread over namespaces, package types and transports.
    plain = [
        ("io.github.alice/todo", "npm", "Manages a todo list stored in a local JSON file."),
        ("io.github.alice/rss", "pypi", "Follows RSS and Atom feeds and summarises new items."),
        ("io.github.bob/git", "npm", "Reads history, diffs and blame from local git repos."),
        ("io.github.bob/jira", "remote", "Searches and updates Jira issues in your cloud site."),
        ("io.github.carol/pdf", "pypi", "Extracts text, tables and images from PDF files."),
        ("io.github.carol/translate", "remote", "Translates text between 40 languages."),
        ("io.github.dave/kubernetes", "oci", "Inspects pods, logs and events in a cluster."),
        ("io.github.dave/terraform", "oci", "Plans and explains Terraform changes."),
        ("io.github.dave/aws-costs", "pypi", "Breaks down your AWS bill by service and tag."),
        ("com.example/search", "remote", "Full-text search over your documents and mail."),
        ("com.example/maps", "npm", "Geocoding, routes and places from OpenStreetMap data."),
        ("com.example/slack", "remote", "Reads channels and posts messages in Slack."),
        ("com.example/email", "nuget", "Sends and reads email over IMAP and SMTP."),
        ("com.example/images", "npm", "Resizes, crops and converts images."),
        ("dev.acme/crm", "remote", "Looks up customers, deals and tickets in Acme CRM."),
        ("dev.acme/billing", "nuget", "Creates invoices and reads payments."),
        ("dev.acme/analytics", "pypi", "Runs saved queries against the analytics warehouse."),
        ("dev.acme/status-page", "npm", "Reads and posts incidents on your status page."),
        ("org.opendata/census", "pypi", "Population and household statistics by region."),
        ("org.opendata/transit", "npm", "Timetables and live departures from GTFS feeds."),
        ("org.opendata/air-quality", "oci", "Air quality readings from public sensors."),
        ("net.tinyco/clock", "npm", "Time zones, world clocks and date arithmetic."),
        ("net.tinyco/dice", "pypi", "Rolls dice and draws cards, for games and tests."),
        ("net.tinyco/qr", "nuget", "Makes and reads QR codes."),
        ("io.github.erin/sqlite", "pypi", "Opens a SQLite file and answers questions about it."),
        ("io.github.erin/browser", "npm", "Drives a headless browser to read web pages."),
    ]
    for index, (name, kind, description) in enumerate(plain):
        short = name.rsplit("/", 1)[1]
        version = f"1.{index % 4}.0"
        members: dict[str, Any] = {}
        if kind == "npm":
            members["packages"] = [_npm(f"@{short}/mcp-server", version)]
        elif kind == "pypi":
            members["packages"] = [_pypi(f"{short}-mcp", version)]
        elif kind == "oci":
            members["packages"] = [_oci(f"ghcr.io/example/{short}-mcp:{version}")]
        elif kind == "nuget":
            members["packages"] = [_nuget(f"Example.{short.title()}.Mcp", version)]
        else:
            members["remotes"] = [
                {
                    "type": "streamable-http",
                    "url": f"https://mcp.{short}.example.com/mcp",
                    "headers": [
                        {"name": "Authorization", "isSecret": True, "isRequired": True},
                    ],
                }
            ]
        if index % 3 == 0:
            members["title"] = short.replace("-", " ").title()
        if index % 5 == 0:
            members["icons"] = _icons()
        out.append(_item(_doc(name, version, description, **members), age_days=5 + index * 3))
    # In the order they were published, as a registry's change log has them.
    return sorted(out, key=lambda item: item["_meta"][wire.OFFICIAL_META]["publishedAt"])


NEWEST = "io.github.carol/spreadsheets"  # the last published (2 days before _NOW)


def names() -> set[str]:
    return {item["server"]["name"] for item in items()}
