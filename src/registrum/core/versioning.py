"""Version strings and the official ``isLatest`` rules.

The registry's notion of "semver" is deliberately its own simplified test, not full SemVer 2.0:
``1.0.0-pre-release`` (two hyphens) and anything with ``+build`` metadata are *not* semver here,
and leading zeros are accepted. Matching it exactly keeps ``isLatest`` identical to the official
registry's for the same publish history.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from registrum.core.errors import Problem

VERSION_MAX: Final = 255
RESERVED_VERSION: Final = "latest"

_GO_ATOI_RE: Final = re.compile(r"[+-]?[0-9]+")
_PRERELEASE_RE: Final = re.compile(r"[A-Za-z0-9.-]+")
_GO_INT_MIN: Final = -(2**63)
_GO_INT_MAX: Final = 2**63 - 1
_COMPARATOR_RE: Final = re.compile(r"^\s*(\^|~|>=|<=|>|<|=)\s*v?\d")
_HYPHEN_RANGE_RE: Final = re.compile(r"\s+-\s+")
_WILDCARD_PART_RE: Final = re.compile(r"(^|\.)(x|X|\*)(\.|$)")


def _atoi(part: str) -> int | None:
    # Go's strconv.Atoi: optional sign, ASCII digits only, within a 64-bit int. fullmatch, not
    # '$', which would also accept a trailing newline.
    if not _GO_ATOI_RE.fullmatch(part):
        return None
    n = int(part)
    return n if _GO_INT_MIN <= n <= _GO_INT_MAX else None


@dataclass(frozen=True, slots=True, order=False)
class _Semver:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]


# Cached: deciding isLatest compares the same version strings again and again (a mirror's
# merge parses each version of a server once per comparison).
@functools.lru_cache(maxsize=8192)
def parse_semver(version: str) -> _Semver | None:
    """Parse with the registry's own rules; ``None`` when the string is not "semver" there."""
    parts = version.split("-")
    if len(parts) > 2:
        return None
    core = parts[0].split(".")
    if len(core) != 3:
        return None
    numbers = [_atoi(p) for p in core]
    if any(n is None for n in numbers):
        return None
    prerelease: tuple[str, ...] = ()
    if len(parts) == 2:
        if not _PRERELEASE_RE.fullmatch(parts[1]):
            return None
        prerelease = tuple(parts[1].split("."))
    major, minor, patch = (n for n in numbers if n is not None)
    return _Semver(major, minor, patch, prerelease)


def is_semver(version: str) -> bool:
    return parse_semver(version) is not None


def _cmp(a: float | str, b: float | str) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def _compare_prerelease(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    if not a and not b:
        return 0
    if not a:
        return 1  # a release beats any pre-release of the same core
    if not b:
        return -1
    for x, y in zip(a, b, strict=False):
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            c = _cmp(int(x), int(y))
        elif xn:
            c = -1  # numeric identifiers sort before alphanumeric ones
        elif yn:
            c = 1
        else:
            c = _cmp(x, y)
        if c:
            return c
    return _cmp(len(a), len(b))


def compare_semver(a: str, b: str) -> int:
    sa, sb = parse_semver(a), parse_semver(b)
    if sa is None or sb is None:
        raise ValueError("compare_semver needs two semver strings")
    for x, y in ((sa.major, sb.major), (sa.minor, sb.minor), (sa.patch, sb.patch)):
        if x != y:
            return _cmp(x, y)
    return _compare_prerelease(sa.prerelease, sb.prerelease)


def compare_versions(a: str, b: str, published_a: datetime, published_b: datetime) -> int:
    """The official CompareVersions: semver order; else publish time; semver beats non-semver."""
    a_semver, b_semver = is_semver(a), is_semver(b)
    if a_semver and b_semver:
        return compare_semver(a, b)
    if not a_semver and not b_semver:
        return _cmp(published_a.timestamp(), published_b.timestamp())
    return 1 if a_semver else -1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A version competing for ``isLatest``."""

    version: str
    published_at: datetime
    deleted: bool


T = TypeVar("T")


def takes_latest(new: Candidate, current: Candidate | None) -> bool:
    """On publish: the new version becomes latest iff it is strictly greater (ties do not)."""
    if current is None:
        return True
    return (
        compare_versions(new.version, current.version, new.published_at, current.published_at) > 0
    )


def pick_latest(items: Sequence[T], key: Callable[[T], Candidate]) -> T | None:
    """After a status change: the greatest non-deleted version; if all are deleted, the greatest."""
    pool = [i for i in items if not key(i).deleted] or list(items)
    best: T | None = None
    for item in pool:
        c = key(item)
        if best is None:
            best = item
            continue
        b = key(best)
        if compare_versions(c.version, b.version, c.published_at, b.published_at) > 0:
            best = item
    return best


def is_version_range(version: str) -> bool:
    v = version.strip()
    if _COMPARATOR_RE.match(v):
        return True
    if _HYPHEN_RANGE_RE.search(v):
        return True
    if "||" in v:
        return True
    return bool(_WILDCARD_PART_RE.search(v))


def version_problems(version: str, path: str) -> list[Problem]:
    """The official version rules: not ``latest``, not a range, at most 255 characters."""
    if version == RESERVED_VERSION:
        return [
            Problem(
                path,
                "'latest' is a reserved version string: give the exact version being published, "
                "for example '1.0.0'",
                version,
                rule="version-latest-reserved",
            )
        ]
    if is_version_range(version):
        return [
            Problem(
                path,
                f"'{version}' looks like a version range; give one exact version, "
                "for example '1.2.3' instead of '^1.2.3' or '1.x'",
                version,
                rule="version-range",
            )
        ]
    return []
