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

from test_fuzz import _paths

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


# ---- `påkrevd når` as conditionals, in lists too, and the schema ⇔ library on generated søknader ----

NASJONAL = (shipped_policies_dir() / "nasjonal.pol").read_text(encoding="utf-8")
LISTEBY = '''regelverk listeby bygger på nasjonal {
    navn: "Startlån i Listeby"
    kommune: "Listeby kommune"
    vedtatt: 2026-01-01
    kilde: "Testregelverk for søknadsskjemaet"
    klageinstans: "Listeby kommunes klagenemnd"
}

søknad {
    ## Lån husstanden har fra før. kategori: økonomi
    eksisterende_lån: liste av {
        långiver: tekst
        restgjeld: kr eller ingen = ingen påkrevd når formål = "refinansiering"
        pant_i_boligen: sannhet eller ingen = ingen påkrevd når ordning != "startlån" og husstand.særlige_behov
        løpetid_år: heltall år fra 1 til 50 eller ingen = ingen påkrevd når ønsket_nedbetalingstid_år > 30 år
    } = []
    tilknytning: {
        ## Kommunen søkeren bodde i før. kategori: tilknytning
        tidligere_kommune: tekst eller ingen = ingen påkrevd når tilknytning.botid_måneder < 24 måneder
    }
    ## Merknad fra banken ved store lån. kategori: økonomi
    bankens_merknad: tekst eller ingen = ingen påkrevd når lånebehov > 4000000 kr
}
'''


def listeby():
    from boligregler import load_policy_text
    return load_policy_text(LISTEBY, name="listeby.pol", resolver=lambda i: NASJONAL if i == "nasjonal" else None)


@pytest.fixture(scope="module")
def listeby_validator():
    policy = listeby()
    schema = soknad_schema(policy.model, policy.sha256)
    jsonschema.Draft202012Validator.check_schema(schema)
    return policy, jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def accepted(policy, soknad) -> bool:
    try:
        policy.validate(load_json(json.dumps(soknad, ensure_ascii=False)))
    except SoknadError:
        return False
    return True


def test_conditions_inside_lists_and_on_defaults_are_schema_conditionals(listeby_validator):
    policy, validator = listeby_validator
    schema = validator.schema
    items = schema["properties"]["eksisterende_lån"]["items"]["properties"]
    assert items["restgjeld"]["x-påkrevd-når"] == 'formål = "refinansiering"'
    thens = [c["then"] for c in schema["allOf"]]
    assert {"properties": {"eksisterende_lån": {"items": {"required": ["restgjeld"],
            "properties": {"restgjeld": {"not": {"type": "null"}}}}}}, "required": ["eksisterende_lån"]} in thens
    base = json.loads(json.dumps(plain(FAMILY)))
    base["tilknytning"]["tidligere_kommune"] = "Lier"
    loan = {"långiver": "Banken", "restgjeld": 100000, "løpetid_år": 20}
    cases = [
        ({"eksisterende_lån": [loan]}, True),
        ({"formål": "refinansiering", "bolig": {**base["bolig"], "kjøpesum": None, "kostnad": 900000},
          "eksisterende_lån": [loan, {"långiver": "Annen bank"}]}, False),  # the second loan lacks restgjeld
        ({"eksisterende_lån": [{"långiver": "Banken"}]}, True),  # not refinancing: no restgjeld needed
        ({"ønsket_nedbetalingstid_år": 40, "eksisterende_lån": [{"långiver": "Banken"}]}, False),  # > 30 år
        ({"ordning": "eie_først", "husstand": {**base["husstand"], "særlige_behov": True},
          "eksisterende_lån": [{"långiver": "Banken"}]}, False),  # pant_i_boligen is required
        ({"husstand": {**base["husstand"], "særlige_behov": True}, "eksisterende_lån": [{"långiver": "Banken"}]},
         True),  # ordning absent is «startlån», its default
    ]
    for change, valid in cases:
        soknad = {**base, **change}
        assert accepted(policy, soknad) is valid, change
        assert validator.is_valid(soknad) is valid, (change, [e.message for e in validator.iter_errors(soknad)])
    # botid_måneder absent is 0 måneder, its default, which is < 24: the previous kommune is required
    no_botid = copy.deepcopy(base)
    del no_botid["tilknytning"]["botid_måneder"], no_botid["tilknytning"]["tidligere_kommune"]
    assert not accepted(policy, no_botid) and not validator.is_valid(no_botid)
    no_botid["tilknytning"]["botid_måneder"] = 24
    assert accepted(policy, no_botid) and validator.is_valid(no_botid)
    no_group = copy.deepcopy(base)
    del no_group["tilknytning"]  # the whole group absent: its defaults, botid 0
    assert not accepted(policy, no_group) and not validator.is_valid(no_group)


def test_the_documented_differences_are_as_documented(listeby_validator):
    """docs/integrasjon.md lists where the schema and the library differ; each is as it says."""
    policy, validator = listeby_validator
    base = json.loads(json.dumps(plain(FAMILY)))
    base["tilknytning"]["tidligere_kommune"] = "Lier"
    as_text = {**base, "ønsket_nedbetalingstid_år": "30"}  # an integer as text: the library takes it (CSV)
    assert accepted(policy, as_text) and not validator.is_valid(as_text)
    three_decimals = json.loads(json.dumps(base))
    three_decimals["egenkapital"] = 1.005  # a JSON number with three decimals: the schema cannot refuse it
    assert not accepted(policy, three_decimals) and validator.is_valid(three_decimals)
    # a condition on a computation is text only; the library enforces it
    assert validator.schema["properties"]["bankens_merknad"]["x-påkrevd-når"] == "lånebehov > 4000000 kr"
    assert not any("bankens_merknad" in json.dumps(c["then"]) for c in validator.schema["allOf"])
    big = {**base, "bolig": {**base["bolig"], "kjøpesum": 6000000}}
    assert not accepted(policy, big) and validator.is_valid(big)


def _type_at(record, path):
    """The schema type of the field at `path` (list indexes step into the element type)."""
    from boligregler.model import types as T
    t = record
    for step in path:
        if isinstance(step, int):
            t = t.element
        else:
            t = t.fields[step].type if isinstance(t, T.Record) and step in t.fields else None
        if t is None:
            return None
    return t


def _values_for(t) -> list:
    """Values near the edges for a field of type `t`: valid ones, edges, wrong types (never a documented case)."""
    from boligregler.model import types as T
    wrong = [None, True, "x", [], {}]
    match t:
        case T.Num(_, integer=True):
            return [0, 1, 17, 18, 24, 30, 31, 50, 51, 120, 121, -1, 10 ** 9, 10 ** 9 + 1, 17.0, *wrong]
        case T.Num():
            return [0, 1234, "1234.50", "12,5", -5, "-0", 2.5, 10 ** 12, 10 ** 12 + 1, "1000000000000.01",
                    "1000000000000.00", "0001.5", *wrong]
        case T.Enum(_, values):
            return [*values, "kjøpe", "", 1, None]
        case T.Bool():
            return [True, False, "ja", 0, None]
        case T.Text():
            return ["Lier", "", 5, None]
        case T.Date():
            return ["2026-03-01", "2025-07-01", "2026-02-30", "20260301", "2026-3-1", None]
        case T.ListOf():
            return [[], "x", None]
        case T.Record():
            return [{}, [], None]
    return wrong


GENERATED_FROM = [(name, plain(e.input)) for name in POLICIES for e in load_policy(name).model.examples
                  if e.input is not None][::3]


@st.composite
def near_valid(draw):
    """A shipped example (or Listeby's family) with one to three changes of the kinds a case system makes."""
    name, soknad = draw(st.sampled_from([*GENERATED_FROM, ("listeby", None)]))
    if soknad is None:
        soknad = json.loads(json.dumps(plain(FAMILY)))
        soknad["eksisterende_lån"] = [{"långiver": "Banken", "restgjeld": 100000}]
    soknad = copy.deepcopy(soknad)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(soknad) if p]
        path = draw(st.sampled_from(paths))
        parent = soknad
        for step in path[:-1]:
            parent = parent[step]
        kind = draw(st.sampled_from(["value", "value", "value", "remove", "unknown", "reason", "element"]))
        if kind == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif kind == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["ukjent", "begrunnelse", "Formål"]))] = 1
        elif kind == "reason" and isinstance(parent, dict):
            parent["begrunnelse"] = {draw(st.sampled_from([str(path[-1]), "spareevne_utnyttet"])):
                                     draw(st.sampled_from(["Har spart.", "   ", "", 5, "x" * 2001]))}
        elif kind == "element" and isinstance(parent[path[-1]], list):
            parent[path[-1]].append(copy.deepcopy(parent[path[-1]][0]) if parent[path[-1]] else {})
        else:
            t = _type_at(POLICY_SCHEMAS[name], path)
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(_values_for(t))))
    return name, soknad


POLICY_OBJECTS = {**{name: load_policy(name) for name in POLICIES}, "listeby": listeby()}
POLICY_SCHEMAS = {name: p.model.schema for name, p in POLICY_OBJECTS.items()}
VALIDATORS = {name: jsonschema.Draft202012Validator(soknad_schema(p.model, p.sha256),
                                                    format_checker=jsonschema.FormatChecker())
              for name, p in POLICY_OBJECTS.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid())
def test_schema_valid_exactly_when_the_library_accepts(case):
    name, soknad = case
    library = accepted(POLICY_OBJECTS[name], soknad)
    errors = [f"{e.json_path}: {e.message}" for e in VALIDATORS[name].iter_errors(soknad)]
    assert library == (not errors), (name, errors[:3] if errors else "the schema accepts what the library refuses")
