"""The søknad JSON Schema agrees with the policy's own validation (every accepted søknad is schema-valid)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boligregler import SoknadError, load_policy
from boligregler.model.loader import shipped_policies_dir
from boligregler.money import load_json
from boligregler.rendering.json_schema import soknad_schema

ROOT = Path(__file__).resolve().parents[1]
FAMILY = load_json((ROOT / "examples" / "familie.json").read_text(encoding="utf-8"))
POLICIES = sorted(p.stem for p in shipped_policies_dir().glob("*.pol"))


def plain(value):
    """A søknad as a case system would send it: integral Decimals as JSON integers, others as text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


@pytest.fixture(scope="module", params=POLICIES)
def policy_and_validator(request):
    policy = load_policy(request.param)
    schema = soknad_schema(policy.model, policy.sha256)
    jsonschema.Draft202012Validator.check_schema(schema)
    return policy, jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_every_example_the_policy_accepts_is_schema_valid(policy_and_validator):
    policy, validator = policy_and_validator
    for example in policy.model.examples:
        if example.input is None:
            continue
        soknad = plain(example.input)
        try:
            policy.validate(copy.deepcopy(example.input))
        except SoknadError:
            continue
        errors = [e.message for e in validator.iter_errors(soknad)]
        assert not errors, (example.name, errors)


MUTATIONS = st.sampled_from([
    ("egenkapital", -5), ("egenkapital", "12,5"), ("egenkapital", 1.005), ("egenkapital", 0.29), ("egenkapital", "1234.50"), ("formål", "kjøpe"),
    ("ønsket_nedbetalingstid_år", 0), ("ønsket_nedbetalingstid_år", 30.5), ("ukjent", 1), ("husstand", []),
    ("søknadsdato", "1. mars 2026"), ("ordning", None),
])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(MUTATIONS, max_size=3), st.integers(0, 6_000_000), st.integers(18, 120))
def test_schema_accepts_whatever_the_policy_accepts(policy_and_validator, mutations, price, age):
    policy, validator = policy_and_validator
    soknad = json.loads(json.dumps(plain(FAMILY)))
    soknad["bolig"]["kjøpesum"] = price
    soknad["husstand"]["voksne"][0]["alder"] = age
    for key, value in mutations:
        soknad[key] = value
    try:
        policy.validate(load_json(json.dumps(soknad)))
    except SoknadError:
        return  # the schema may or may not reject what the policy rejects; it must accept what it accepts
    assert validator.is_valid(soknad), [e.message for e in validator.iter_errors(soknad)]
