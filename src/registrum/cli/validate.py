"""``registrum validate [--online] FILE``: every problem of a server.json, with how to fix it.

``--online`` also runs the package ownership checks a registry runs at publish time, with
the same verifiers and the same fan-out (core/package_checks.py), from the publisher's
machine: each package's registry is asked whether the package exists and names this server.
The package registries come from the same ``MCP_REGISTRY_<TYPE>_REGISTRY_URLS`` settings a
registry reads, from ``--package-registry``, or from the document itself (its
``registryBaseUrl``, image host or download URL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.markup import escape

from registrum.core.errors import InvalidInputError, UnavailableError
from registrum.core.package_checks import check_packages
from registrum.core.server_json import Package, ServerDetail
from registrum.core.validation import parse_json, validate_server_json
from registrum.verifiers import catalog
from registrum.verifiers.package_sources import registry_urls_from_env

out = Console(highlight=False, soft_wrap=True)  # fixes stay copyable: no hard wraps

# sysexits' EX_TEMPFAIL: a package registry was down or rate limiting; try again later.
EXIT_RETRY: Final = 75


def _package_registries(options: list[str]) -> dict[str, str]:
    urls = registry_urls_from_env()
    given: dict[str, list[str]] = {}
    for option in options:
        registry_type, sep, entry = option.partition("=")
        if not sep or not registry_type.strip() or not entry.strip():
            out.print(
                f"[red]✗[/red] --package-registry {escape(option)!r}: expected TYPE=URL, for "
                "example npm=https://npm.example.com"
            )
            raise typer.Exit(2)
        given.setdefault(registry_type.strip().lower(), []).append(entry.strip())
    urls.update({t: ",".join(entries) for t, entries in given.items()})
    return urls


def _describe(index: int, package: Package) -> str:
    version = f" {package.version}" if package.version else ""
    return f"packages[{index}] {package.registry_type} {package.identifier}{version}"


def check_online(document: ServerDetail, package_registries: list[str]) -> int:
    """Run the ownership check of every package; print one line each; the exit code."""
    packages = list(document.packages or ())
    if not packages:
        out.print("no packages to check online (remotes are not checked)")
        return 0
    raw_timeout = os.environ.get("MCP_REGISTRY_VERIFY_TIMEOUT", "10")
    try:
        timeout = float(raw_timeout)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        out.print(
            f"[red]✗[/red] MCP_REGISTRY_VERIFY_TIMEOUT={escape(raw_timeout)!r}: expected seconds "
            "between 0 and 600"
        )
        return 2
    config = catalog.VerificationConfig(
        registry_urls=_package_registries(package_registries),
        timeout=timeout,
        ca_bundle=os.environ.get("MCP_REGISTRY_VERIFY_CA_BUNDLE", ""),
        trust_documents=True,
    )
    try:
        verifiers, fetcher = catalog.build(config)
    except catalog.ConfigurationError as exc:
        out.print(f"[red]✗[/red] {escape(str(exc))}")
        return 2

    try:
        outcomes = check_packages(verifiers, document.name, packages)
    finally:
        fetcher.close()
    refused = retry = 0
    for index, (package, error) in enumerate(zip(packages, outcomes, strict=True)):
        label = escape(_describe(index, package))
        if error is None:
            out.print(f"[green]✓[/green] {label}: belongs to {escape(document.name)}")
        elif isinstance(error, UnavailableError):
            retry += 1
            out.print(f"[yellow]![/yellow] {label}: could not be checked: {escape(error.detail)}")
        else:
            refused += 1
            out.print(f"[red]✗[/red] {label}: {escape(error.detail)}")
    if refused:
        out.print(f"{refused} package{'s' if refused != 1 else ''} would be refused")
        return 1
    if retry:
        out.print("some packages could not be checked; try again later")
        return EXIT_RETRY
    return 0


def validate(
    file: Annotated[Path, typer.Argument(help="the server.json to check")] = Path("server.json"),
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="also ask each package's registry whether the package names this server, "
            "as a registry does at publish time",
        ),
    ] = False,
    package_registry: Annotated[
        list[str] | None,
        typer.Option(
            "--package-registry",
            metavar="TYPE=URL",
            help="where to check packages of TYPE (repeatable; default: "
            "MCP_REGISTRY_<TYPE>_REGISTRY_URLS, then the document's registryBaseUrl)",
        ),
    ] = None,
) -> None:
    """Check a server.json against the schema and the registry's rules; print every problem."""
    if not file.is_file():
        out.print(f"[red]✗[/red] {file}: no such file")
        raise typer.Exit(2)
    try:
        raw = parse_json(file.read_bytes())
    except InvalidInputError as exc:
        out.print(f"[red]✗[/red] {file}: {exc.detail}")
        raise typer.Exit(1) from None
    report = validate_server_json(raw)
    for p in report.errors:
        out.print(f"[red]✗[/red] {p.path or '(document)'}: {p.message}")
    for p in report.warnings:
        out.print(f"[yellow]![/yellow] {p.path or '(document)'}: {p.message}")
    doc = report.document
    if report.errors or doc is None:
        n = len(report.errors)
        out.print(f"{file}: {n} problem{'s' if n != 1 else ''} to fix")
        raise typer.Exit(1)
    out.print(f"[green]✓[/green] {file} is valid: {doc.name} {doc.version}")
    if online:
        code = check_online(doc, package_registry or [])
        if code:
            raise typer.Exit(code)
