"""The official registry's own "is semver" test, version ordering and the isLatest rules."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registrum.core.versioning import (
    RESERVED_VERSION,
    Candidate,
    compare_semver,
    compare_versions,
    is_semver,
    is_version_range,
    parse_semver,
    pick_latest,
    takes_latest,
    version_problems,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- is semver ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "version",
    [
        "1.0.0",
        "0.0.0",
        "10.20.30",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-RC1",
        "2021.03.05",  # leading zeros are accepted, as Go's strconv.Atoi accepts them
        "01.02.03",
        "+1.0.0",  # strconv.Atoi accepts a leading '+'
    ],
)
def test_is_semver_accepts(version: str) -> None:
    assert is_semver(version)
    assert parse_semver(version) is not None


@pytest.mark.parametrize(
    "version",
    [
        "",
        "v1.0.0",  # a 'v' prefix is not a number
        "1.0",  # too few core parts
        "1",
        "1.0.0.0",  # too many core parts
        "1.0.0+build",  # build metadata lands in the core and is not a number
        "1.0.0-alpha+build",  # '+' is not allowed in the pre-release
        "1.0.0-",  # empty pre-release
        "1.0.0-pre-release",  # more than one '-'
        "1.0.0-alpha-beta",
        "1.0.0-alpha_beta",  # '_' is not allowed in the pre-release
        "1.0.0-alpha beta",
        "1..0",
        "1.0.",
        "a.b.c",
        "1.0.x",
        " 1.0.0",
        "1.0.0 ",
        "1.0.0\n",  # Go's Atoi rejects the newline; a regex '$' would not
        "1.0.0-alpha\n",
        "1.0.0-\u0661",  # non-ASCII digit in the pre-release
        "\u0661.0.0",  # non-ASCII digit in the core
        "1_000.0.0",
        "latest",
        "2024-01-01",  # two '-' → not semver
        "99999999999999999999.0.0",  # out of Go's int range: strconv.Atoi fails
    ],
)
def test_is_semver_rejects(version: str) -> None:
    assert not is_semver(version)
    assert parse_semver(version) is None


def test_parse_semver_parts() -> None:
    parsed = parse_semver("2021.03.05-rc.1")
    assert parsed is not None
    assert (parsed.major, parsed.minor, parsed.patch) == (2021, 3, 5)
    assert parsed.prerelease == ("rc", "1")
    release = parse_semver("1.2.3")
    assert release is not None
    assert release.prerelease == ()


def test_largest_go_int_is_still_semver() -> None:
    assert is_semver(f"{2**63 - 1}.0.0")
    assert not is_semver(f"{2**63}.0.0")


# --- semver comparison ----------------------------------------------------------------------

# Each entry is strictly less than the next (the SemVer 2.0 example chain, plus core order).
ASCENDING = [
    "0.9.9",
    "1.0.0-0",
    "1.0.0-1",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.2",
    "1.0.0-alpha.10",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
    "10.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ASCENDING)))
def test_compare_semver_orders_neighbours(lower: str, higher: str) -> None:
    assert compare_semver(lower, higher) == -1
    assert compare_semver(higher, lower) == 1


def test_compare_semver_whole_chain_sorts() -> None:
    shuffled = list(reversed(ASCENDING))
    assert sorted(shuffled, key=functools.cmp_to_key(compare_semver)) == ASCENDING


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0.0-alpha.10", "1.0.0-alpha.2", 1),  # numeric identifiers compare as integers
        ("1.0.0-1", "1.0.0-alpha", -1),  # numeric < alphanumeric
        ("1.0.0-alpha", "1.0.0-alpha.1", -1),  # a longer list wins when the prefix is equal
        ("1.0.0", "1.0.0-rc.1", 1),  # a release beats its pre-releases
        ("1.0.0-rc.1", "1.0.0", -1),
        ("1.0.0-Beta", "1.0.0-alpha", -1),  # alphanumerics by byte order: 'B' < 'a'
        ("1.0.0", "1.0.0", 0),
        ("1.0.0-alpha.1", "1.0.0-alpha.1", 0),
        ("01.02.03", "1.2.3", 0),  # leading zeros are numerically equal
        ("1.2.3", "1.2.10", -1),  # numbers, not strings
        ("2.0.0-alpha", "1.9.9", 1),  # core first, pre-release second
    ],
)
def test_compare_semver_cases(a: str, b: str, expected: int) -> None:
    assert compare_semver(a, b) == expected


@pytest.mark.parametrize(("a", "b"), [("1.0", "1.0.0"), ("1.0.0", "v1.0.0"), ("x", "y")])
def test_compare_semver_refuses_non_semver(a: str, b: str) -> None:
    with pytest.raises(ValueError, match="semver"):
        compare_semver(a, b)


_numbers = st.integers(min_value=0, max_value=1000)
_identifier = st.one_of(
    st.integers(min_value=0, max_value=50).map(str),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4
    ),
)
semvers = st.builds(
    lambda major, minor, patch, pre: (
        f"{major}.{minor}.{patch}" + (f"-{'.'.join(pre)}" if pre else "")
    ),
    _numbers,
    _numbers,
    _numbers,
    st.lists(_identifier, max_size=3),
)


@given(semvers)
def test_generated_versions_are_semver(version: str) -> None:
    assert is_semver(version)


@given(semvers, semvers)
def test_compare_semver_is_antisymmetric(a: str, b: str) -> None:
    assert compare_semver(a, b) == -compare_semver(b, a)
    assert compare_semver(a, a) == 0


@given(semvers, semvers, semvers)
def test_compare_semver_is_transitive(a: str, b: str, c: str) -> None:
    if compare_semver(a, b) <= 0 and compare_semver(b, c) <= 0:
        assert compare_semver(a, c) <= 0


@given(semvers)
def test_release_beats_its_prereleases(version: str) -> None:
    core = version.split("-")[0]
    if core != version:
        assert compare_semver(core, version) == 1


# --- compare_versions -----------------------------------------------------------------------


def test_compare_versions_both_semver_ignores_publish_time() -> None:
    # 2.0.0 was published earlier but is the greater semver.
    assert compare_versions("2.0.0", "1.0.0", at(0), at(10)) == 1
    assert compare_versions("1.0.0", "2.0.0", at(10), at(0)) == -1
    assert compare_versions("1.0.0", "1.0.0", at(0), at(10)) == 0


def test_compare_versions_neither_semver_uses_publish_time() -> None:
    assert compare_versions("v2", "v1", at(0), at(1)) == -1
    assert compare_versions("v1", "v2", at(1), at(0)) == 1
    assert compare_versions("beta", "alpha", at(5), at(5)) == 0


def test_compare_versions_publish_time_compares_instants_across_zones() -> None:
    plus_two = datetime(2025, 1, 1, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    # 02:00:30+02:00 is 00:00:30Z, later than 00:00:00Z.
    assert compare_versions("snapshot-b", "snapshot-a", plus_two, at(0)) == 1


@pytest.mark.parametrize("non_semver", ["v3.0.0", "1.0", "2024-01-01", "nightly"])
def test_compare_versions_semver_always_beats_non_semver(non_semver: str) -> None:
    # Even when the non-semver one is newer and "looks" greater.
    assert compare_versions("0.0.1", non_semver, at(0), at(100)) == 1
    assert compare_versions(non_semver, "0.0.1", at(100), at(0)) == -1


# --- takes_latest ---------------------------------------------------------------------------


def test_first_version_takes_latest() -> None:
    assert takes_latest(Candidate("1.0.0", at(0), deleted=False), None)
    assert takes_latest(Candidate("nightly", at(0), deleted=False), None)


def test_greater_semver_takes_latest() -> None:
    current = Candidate("1.0.0", at(0), deleted=False)
    assert takes_latest(Candidate("1.0.1", at(1), deleted=False), current)


def test_backport_does_not_steal_latest() -> None:
    current = Candidate("2.0.0", at(0), deleted=False)
    assert not takes_latest(Candidate("1.5.3", at(10), deleted=False), current)


def test_prerelease_of_current_does_not_take_latest() -> None:
    current = Candidate("2.0.0", at(0), deleted=False)
    assert not takes_latest(Candidate("2.0.0-rc.1", at(10), deleted=False), current)


def test_tie_does_not_take_latest() -> None:
    # Equal semver (leading zeros) and equal publish times among non-semver: both ties.
    assert not takes_latest(
        Candidate("01.0.0", at(5), deleted=False), Candidate("1.0.0", at(0), deleted=False)
    )
    assert not takes_latest(
        Candidate("build-b", at(0), deleted=False), Candidate("build-a", at(0), deleted=False)
    )


def test_newer_non_semver_takes_latest_from_non_semver() -> None:
    current = Candidate("snapshot", at(0), deleted=False)
    assert takes_latest(Candidate("another", at(1), deleted=False), current)


def test_non_semver_never_displaces_semver_and_semver_always_displaces_non_semver() -> None:
    semver = Candidate("0.1.0", at(0), deleted=False)
    other = Candidate("v9", at(1), deleted=False)
    assert not takes_latest(other, semver)
    assert takes_latest(Candidate("0.0.1", at(2), deleted=False), other)


# --- pick_latest ----------------------------------------------------------------------------


def _pick(candidates: list[Candidate]) -> str | None:
    best = pick_latest(candidates, lambda c: c)
    return best.version if best else None


def test_pick_latest_of_nothing_is_none() -> None:
    assert pick_latest([], lambda c: c) is None


def test_pick_latest_greatest_non_deleted() -> None:
    candidates = [
        Candidate("1.0.0", at(0), deleted=False),
        Candidate("3.0.0", at(1), deleted=True),
        Candidate("2.0.0", at(2), deleted=False),
        Candidate("1.5.0", at(3), deleted=False),
    ]
    assert _pick(candidates) == "2.0.0"


def test_pick_latest_all_deleted_keeps_greatest_deleted() -> None:
    candidates = [
        Candidate("1.0.0", at(0), deleted=True),
        Candidate("3.0.0", at(1), deleted=True),
        Candidate("2.0.0", at(2), deleted=True),
    ]
    assert _pick(candidates) == "3.0.0"


def test_pick_latest_deprecated_is_eligible() -> None:
    # Deprecation is not deletion: the key only reports deleted, so a deprecated 2.0.0 wins.
    rows = [("1.0.0", "active"), ("2.0.0", "deprecated"), ("3.0.0", "deleted")]
    best = pick_latest(rows, lambda r: Candidate(r[0], at(0), deleted=r[1] == "deleted"))
    assert best == ("2.0.0", "deprecated")


def test_pick_latest_semver_beats_newer_non_semver() -> None:
    candidates = [
        Candidate("nightly", at(9), deleted=False),
        Candidate("0.1.0", at(0), deleted=False),
        Candidate("v2", at(10), deleted=False),
    ]
    assert _pick(candidates) == "0.1.0"


def test_pick_latest_non_semver_newest_publish_wins() -> None:
    candidates = [
        Candidate("b", at(1), deleted=False),
        Candidate("c", at(5), deleted=False),
        Candidate("a", at(3), deleted=False),
    ]
    assert _pick(candidates) == "c"


def test_pick_latest_ties_keep_the_first() -> None:
    candidates = [Candidate("1.0.0", at(0), deleted=False), Candidate("01.0.0", at(1), False)]
    assert _pick(candidates) == "1.0.0"
    assert _pick(list(reversed(candidates))) == "01.0.0"


def test_pick_latest_returns_the_item_not_the_key() -> None:
    rows = [{"v": "1.0.0"}, {"v": "1.2.0"}]
    best = pick_latest(rows, lambda r: Candidate(r["v"], at(0), deleted=False))
    assert best is rows[1]


_candidates = st.lists(
    st.builds(
        Candidate,
        version=st.one_of(semvers, st.sampled_from(["v1", "nightly", "1.0", "2024-01-01"])),
        published_at=st.integers(min_value=0, max_value=1000).map(at),
        deleted=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


@given(_candidates)
def test_pick_latest_never_picks_deleted_when_a_live_version_exists(
    candidates: list[Candidate],
) -> None:
    best = pick_latest(candidates, lambda c: c)
    assert best is not None
    if any(not c.deleted for c in candidates):
        assert not best.deleted
    else:
        assert best.deleted


@given(_candidates)
def test_pick_latest_is_not_less_than_any_eligible_candidate(
    candidates: list[Candidate],
) -> None:
    best = pick_latest(candidates, lambda c: c)
    assert best is not None
    pool = [c for c in candidates if not c.deleted] or candidates
    for c in pool:
        assert compare_versions(best.version, c.version, best.published_at, c.published_at) >= 0


# --- version ranges and reserved versions ---------------------------------------------------


@pytest.mark.parametrize(
    "version",
    [
        "^1.2.3",
        "~1.2.3",
        "~1.2",
        ">=1.0.0",
        "<=1.0.0",
        ">1.0.0",
        "<1.0.0",
        "=1.0.0",
        "^v1.0.0",
        ">= 1.0.0",
        "  ^1.0.0",
        ">=1.0.0 <2.0.0",
        "1.2.3 - 2.0.0",
        "1 - 2",
        "1.2 || 1.3",
        "1.2.3||2.0.0",
        "1.x",
        "1.X",
        "1.2.x",
        "1.2.*",
        "*",
        "x",
        "X",
        "v1.x",
    ],
)
def test_is_version_range(version: str) -> None:
    assert is_version_range(version)
    problems = version_problems(version, "packages[0].version")
    assert len(problems) == 1
    assert problems[0].path == "packages[0].version"
    assert "range" in problems[0].message
    assert problems[0].value == version


@pytest.mark.parametrize(
    "version",
    [
        "1.0.0",
        "1.0.0-beta",
        "1.0.0-x.7",
        "1.0.0-rc.1",
        "2024.01.01",
        "2024-01-01",
        "v2",
        "v1.0.0",
        "1.0",
        "1.0.0-pre-release",
        "1.0.0+build.5",
        "1.0.0.x86",
        "next",
        "20250101-1",
        "abc",
        "",
    ],
)
def test_ordinary_versions_are_not_ranges(version: str) -> None:
    assert not is_version_range(version)
    assert version_problems(version, "version") == []


def test_latest_is_reserved() -> None:
    assert RESERVED_VERSION == "latest"
    problems = version_problems("latest", "version")
    assert len(problems) == 1
    assert problems[0].path == "version"
    assert "reserved" in problems[0].message
    assert "1.0.0" in problems[0].message  # the fix-it gives an example


@pytest.mark.parametrize("near", ["Latest", "LATEST", "latest-1", "1.0.0-latest"])
def test_only_exact_latest_is_reserved(near: str) -> None:
    assert version_problems(near, "version") == []
