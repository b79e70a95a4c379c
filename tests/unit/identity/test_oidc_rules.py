"""OIDC_EXTRA_CLAIMS: parsing, and the official registry's rules for matching claims."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.identity.oidc import claim_problem, parse_claim_rules, parse_patterns


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("", []),
        ("  ", []),
        ("[]", []),
        ('[{"hd": "example.com"}]', [{"hd": "example.com"}]),
        ('[{"a": 1}, {"b": [1, 2]}]', [{"a": 1}, {"b": [1, 2]}]),
    ],
)
def test_valid_rules(text, rules):
    assert parse_claim_rules(text) == rules


@pytest.mark.parametrize(
    "text", ['{"hd": "example.com"}', "[1]", '["hd"]', "null", "[{]", "hd=example.com"]
)
def test_invalid_rules_say_what_is_expected(text):
    with pytest.raises(ValueError, match="JSON array of objects"):
        parse_claim_rules(text)


def test_patterns_are_trimmed_and_empties_skipped():
    assert parse_patterns(" a/* ,, b.* ,") == ["a/*", "b.*"]
    assert parse_patterns("") == []


def ok(rules: list[dict[str, Any]], claims: dict[str, Any]) -> bool:
    return claim_problem(rules, claims) is None


def test_scalars():
    assert ok([{"hd": "x"}], {"hd": "x"})
    assert not ok([{"hd": "x"}], {"hd": "y"})
    assert not ok([{"hd": "x"}], {})
    assert ok([{"n": 2}], {"n": 2.0})
    assert not ok([{"n": 1}], {"n": True})
    assert not ok([{"b": True}], {"b": 1})
    assert not ok([{"n": "1"}], {"n": 1})
    assert ok([{"o": {"a": [1]}}], {"o": {"a": [1]}})
    assert not ok([{"o": {"a": [1]}}], {"o": {"a": [True]}})


def test_array_claims():
    assert ok([{"g": "a"}], {"g": ["b", "a"]})
    assert not ok([{"g": "a"}], {"g": ["b", "c"]})
    assert ok([{"g": "a"}], {"g": ["a"]})
    assert not ok([{"g": "a"}], {"g": []})
    assert ok([{"g": ["x", "a"]}], {"g": ["a", "b"]})
    assert not ok([{"g": ["x", "y"]}], {"g": ["a", "b"]})
    assert not ok([{"g": ["a"]}], {"g": "a"})  # an array rule never matches a scalar claim


def test_every_key_of_every_object():
    rules = [{"hd": "x", "v": True}, {"g": "a"}]
    assert ok(rules, {"hd": "x", "v": True, "g": ["a"]})
    assert not ok(rules, {"hd": "x", "v": True})
    assert not ok(rules, {"hd": "x", "g": "a"})


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"])
def test_standard_claims_are_never_extra_claims(claim):
    problem = claim_problem([{claim: "v"}], {claim: "v"})
    assert problem == f"claim '{claim}' is required by this registry but the token has none"


def test_the_problem_names_the_claim_and_both_values():
    assert claim_problem([{"hd": "x.com"}], {"hd": "y.com"}) == (
        'claim \'hd\': expected "x.com", got "y.com"'
    )
