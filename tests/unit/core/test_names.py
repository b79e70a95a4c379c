"""Server names: ``namespace/server-name`` with the official per-part rules (each part starts
and ends with a letter or digit)."""

from __future__ import annotations

import pytest

from registrum.core.names import NAME_MAX, NAME_MIN, is_valid_name, name_problems, split_name


@pytest.mark.parametrize(
    "name",
    [
        "io.github.alice/weather",
        "com.example/tools",
        "io.modelcontextprotocol.anonymous/x1",
        "ab/cd",
        "com.example/my_server.v2-beta",
        "COM.Example-1/Server_1",
        "1a/2b",
    ],
)
def test_valid_names(name: str) -> None:
    assert name_problems(name) == []
    assert is_valid_name(name)


def test_name_length_bounds() -> None:
    namespace = "com.example"
    shortest = "ab/c1"
    assert is_valid_name(shortest)
    longest = namespace + "/" + "s" * (NAME_MAX - len(namespace) - 1)
    assert len(longest) == NAME_MAX
    assert is_valid_name(longest)
    too_long = longest + "s"
    problems = name_problems(too_long)
    assert len(problems) == 1
    assert f"{NAME_MIN} to {NAME_MAX}" in problems[0].message
    assert str(len(too_long)) in problems[0].message
    assert problems[0].value == too_long


@pytest.mark.parametrize("name", ["", "a", "a/"])
def test_too_short(name: str) -> None:
    problems = name_problems(name)
    assert len(problems) == 1
    assert "characters long" in problems[0].message
    assert problems[0].path == "name"


def test_no_slash() -> None:
    problems = name_problems("io.github.alice.weather")
    assert len(problems) == 1
    assert "no '/'" in problems[0].message
    assert "io.github.alice/weather" in problems[0].message  # fix-it example


@pytest.mark.parametrize(("name", "count"), [("io.github/alice/weather", 2), ("a/b/c/d", 3)])
def test_too_many_slashes(name: str, count: int) -> None:
    problems = name_problems(name)
    assert len(problems) == 1
    assert f"has {count} '/'" in problems[0].message
    assert "exactly one" in problems[0].message
    assert "namespace/server-name" in problems[0].message


@pytest.mark.parametrize(
    "namespace",
    [".example.com", "example.com.", "-example", "example-", "exa_mple", "exa mple", "é.com"],
)
def test_bad_namespace(namespace: str) -> None:
    name = f"{namespace}/weather"
    problems = name_problems(name)
    assert [p.path for p in problems] == ["name"]
    assert f"namespace '{namespace}'" in problems[0].message
    assert "start and end with a letter or digit" in problems[0].message
    assert "io.github.alice/weather" in problems[0].message


@pytest.mark.parametrize(
    "server", ["_weather", "weather_", ".weather", "weather.", "-weather", "weather-", "we ather"]
)
def test_bad_server_part(server: str) -> None:
    problems = name_problems(f"com.example/{server}")
    assert len(problems) == 1
    assert f"server name '{server}'" in problems[0].message
    assert "start and end with a letter or digit" in problems[0].message


def test_both_parts_bad_gives_two_problems() -> None:
    problems = name_problems("-bad-/_bad_", path="server.name")
    assert len(problems) == 2
    assert all(p.path == "server.name" for p in problems)
    assert "namespace" in problems[0].message
    assert "server name" in problems[1].message


@pytest.mark.parametrize("name", ["a/bc", "ab/c", "a/b"])
def test_single_character_parts_are_rejected(name: str) -> None:
    # The per-part pattern needs a first and a last alphanumeric character: two at least.
    assert not is_valid_name(name)


def test_underscore_allowed_only_in_server_part() -> None:
    assert is_valid_name("com.example/a_b")
    assert not is_valid_name("com_example/ab")


@pytest.mark.parametrize(
    "name", ["io.github.alice/weather\n", "io.github.alice\n/weather", "\nio.github.alice/weather"]
)
def test_newlines_are_not_accepted(name: str) -> None:
    assert not is_valid_name(name)


def test_split_name() -> None:
    assert split_name("io.github.alice/weather") == ("io.github.alice", "weather")
    assert split_name("noslash") == ("noslash", "")
