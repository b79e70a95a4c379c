"""The README marker rule: ``mcp-name: <server name>``, counted only where the name ends
(the official registry's ``mcpname.go`` boundary rule, for PyPI, NuGet and Cargo READMEs)."""

from __future__ import annotations

import pytest

from registrum.core.ownership import Marker, MarkerMatch, find_readme_marker, readme_marker

NAME = "io.github.alice/weather"


def test_the_line_to_add() -> None:
    assert readme_marker(NAME) == "mcp-name: io.github.alice/weather"


@pytest.mark.parametrize(
    "text",
    [
        f"mcp-name: {NAME}",  # end of text
        f"# Weather\n\nmcp-name: {NAME}\nMore text",  # newline
        f"mcp-name: {NAME}\r\n",  # Windows line end
        f"mcp-name: {NAME} (the server)",  # space
        f"mcp-name: {NAME}\tfor MCP",  # tab
        f"<p>mcp-name: {NAME}</p>",  # '<' of a closing tag
        f"<!-- mcp-name: {NAME}-->",  # comment closed right after the name
        f"<!-- mcp-name: {NAME}--!>",  # the other way HTML lets a comment close
        f"<!-- mcp-name: {NAME} -->",
        f"mcp-name: {NAME}, by Alice",  # ',' cannot be in a name
        f"(mcp-name: {NAME})",
        f"`mcp-name: {NAME}`",
    ],
)
def test_found_where_the_name_ends(text: str) -> None:
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.FOUND)


@pytest.mark.parametrize(
    ("text", "longer"),
    [
        (f"mcp-name: {NAME}-extra", f"{NAME}-extra"),
        (f"mcp-name: {NAME}.v2\n", f"{NAME}.v2"),
        (f"mcp-name: {NAME}_beta rest", f"{NAME}_beta"),
        (f"mcp-name: {NAME}/more", f"{NAME}/more"),
        (f"mcp-name: {NAME}2", f"{NAME}2"),
        (f"See mcp-name: {NAME}.", f"{NAME}."),  # a full stop reads as part of the name
        (f"mcp-name: {NAME}--x", f"{NAME}--x"),  # '--' not closing a comment
        (f"<p>mcp-name: {NAME}-extra</p>", f"{NAME}-extra"),
    ],
)
def test_glued_to_a_longer_name(text: str, longer: str) -> None:
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.GLUED, longer)


def test_a_glued_occurrence_then_a_correct_one_is_found() -> None:
    text = f"Not this: mcp-name: {NAME}-extra\n\nThis one: mcp-name: {NAME}\n"
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.FOUND)


def test_the_first_glued_occurrence_is_reported() -> None:
    text = f"mcp-name: {NAME}-one and mcp-name: {NAME}-two"
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.GLUED, f"{NAME}-one")


def test_glued_is_reported_before_another_name() -> None:
    text = f"mcp-name: io.github.mallory/weather\nmcp-name: {NAME}-extra\n"
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.GLUED, f"{NAME}-extra")


@pytest.mark.parametrize(
    ("text", "other"),
    [
        ("mcp-name: io.github.mallory/weather\n", "io.github.mallory/weather"),
        ("<p>mcp-name: io.github.alice/forecast</p>", "io.github.alice/forecast"),
        # A prefix of the name is another (shorter) name, not the name.
        ("mcp-name: io.github.alice/weath\n", "io.github.alice/weath"),
        # Not exactly one space after the colon: the name is there, but not as the marker.
        (f"mcp-name:{NAME}\n", NAME),
        (f"mcp-name:  {NAME}\n", NAME),
    ],
)
def test_a_marker_for_another_name(text: str, other: str) -> None:
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.OTHER, other)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# Weather\n\nForecasts for MCP clients.\n",
        f"Server: {NAME}",  # the name without the marker
        "mcp-name: ",  # the marker without a name
        f"MCP-NAME: {NAME}",  # the marker is case-sensitive
        f"mcp_name: {NAME}",
    ],
)
def test_absent(text: str) -> None:
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.ABSENT)


def test_the_name_is_case_sensitive() -> None:
    text = "mcp-name: IO.GitHub.Alice/Weather\n"
    assert find_readme_marker(text, NAME) == MarkerMatch(Marker.OTHER, "IO.GitHub.Alice/Weather")
    assert find_readme_marker(text, "IO.GitHub.Alice/Weather") == MarkerMatch(Marker.FOUND)
