"""A number not yet given is tried with the values that decide every use of it (model.domains).

A number the policy only compares with constants matters only through where it lies among them,
so one value per interval decides every completion; any other use (arithmetic, a comparison
with another fact) leaves it without a domain, and what reads it waits for it.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from boligregler import load_policy, load_policy_text
from boligregler.model import types as T
from boligregler.model.domains import representatives

POLICY = '''regelverk tellested bygger på nasjonal {
    navn: "Tellested"
    kommune: "Tellested kommune"
    vedtatt: 2024-01-01
    kilde: "Tellested kommunes retningslinjer"
    klageinstans: "Tellested kommune"
}

søknad {
    skjønn: {
        ## Antall måneder søkeren har stått i kommunens boligkø, etter kommunens register
        måneder_i_kø: antall oppgis av dokumentasjon
        ## Antall påminnelser om husleie siste år, etter utleiers oversikt
        purringer: antall oppgis av dokumentasjon
    }
}

## Måneder i boligkøen som kreves.
parameter krav_kø: antall {
    6 fra 2024-01-01 kilde "Tellested kommune"
    12 fra 2025-01-01 kilde "Tellested kommune"
}

## Påminnelser per måned.
beregn purringer_per_måned: tall = skjønn.purringer / 12

vilkår kø {
    tittel: "Søkeren har stått i boligkøen"
    art: hovedregel
    hjemmel: "Tellested kommunes retningslinjer"
    oppfylt når skjønn.måneder_i_kø >= krav_kø
}

vilkår purringer {
    tittel: "Få påminnelser om husleie"
    art: hovedregel
    hjemmel: "Tellested kommunes retningslinjer"
    oppfylt når purringer_per_måned < 1
}
'''

THRESHOLDS = st.sets(st.integers(min_value=-5, max_value=60).map(Decimal), max_size=5)
OPS = (lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a == b, lambda a, b: a >= b, lambda a, b: a > b)


@settings(max_examples=60, deadline=None)
@given(THRESHOLDS, st.integers(min_value=0, max_value=80), st.booleans())
def test_every_value_answers_every_comparison_as_one_representative_does(thresholds, value, integer):
    spec = T.FieldSpec(T.Num("antall", integer=True) if integer else T.Num("kr"), high=Decimal(70) if integer else None)
    values = representatives(thresholds, spec)
    x = Decimal(value) if integer else Decimal(value) / 3
    if spec.high is not None and x > spec.high:
        return
    answers = lambda v: tuple(op(v, t) for t in sorted(thresholds) for op in OPS)  # noqa: E731
    assert any(answers(r) == answers(x) for r in values)
    assert all(r >= 0 for r in values) and (spec.high is None or all(r <= spec.high for r in values))


def test_a_count_compared_with_a_dated_parameter_is_tried_with_its_intervals_and_arithmetic_is_not():
    policy = load_policy_text(POLICY, "tellested.pol")
    skjønn = policy.model.schema.fields["skjønn"].type.fields
    assert skjønn["måneder_i_kø"].domain == tuple(Decimal(v) for v in (0, 5, 6, 7, 11, 12, 13))
    assert skjønn["purringer"].domain is None, "divided before it is compared: no domain"
    assert skjønn["avslag_fra_banker"].domain == (Decimal(0), Decimal(1), Decimal(2))


def test_a_missing_count_is_decided_when_every_value_agrees_and_waits_otherwise():
    policy = load_policy("nasjonal")
    example = next(e for e in policy.model.examples if e.name == "barnefamilie_kjøper_selveier")
    s = copy.deepcopy(example.input)
    del s["skjønn"]["avslag_fra_banker"]
    waiting = policy.evaluate(copy.deepcopy(s), explain=False)
    assert waiting.utfall == "ikke_avgjort" and waiting.criterion("bankfinansiering").resultat == "ikke_vurdert"
    assert [m.opplysning for m in waiting.mangler] == ["skjønn.avslag_fra_banker"]
    s["skjønn"]["boligen_egnet_og_nøktern"] = False  # refused whatever the banks said
    refused = policy.evaluate(copy.deepcopy(s), explain=False)
    assert refused.utfall == "avslag" and refused.mangler == ()
    for banks in range(4):
        assert policy.evaluate({**s, "skjønn": {**s["skjønn"], "avslag_fra_banker": banks}},
                               explain=False).utfall == "avslag"


def test_a_number_without_a_domain_keeps_its_criterion_waiting():
    policy = load_policy_text(POLICY, "tellested.pol")
    example = next(e for e in load_policy("nasjonal").model.examples if e.name == "barnefamilie_kjøper_selveier")
    s = copy.deepcopy(example.input)
    s["skjønn"]["måneder_i_kø"] = 3
    d = policy.evaluate(copy.deepcopy(s), explain=False)
    assert d.criterion("purringer").resultat == "ikke_vurdert" and d.criterion("purringer").venter_på == (
        "skjønn.purringer",)
    assert d.criterion("kø").resultat == "ikke_oppfylt"
    del s["skjønn"]["måneder_i_kø"]
    s["skjønn"]["purringer"] = 0
    d = policy.evaluate(copy.deepcopy(s), explain=False)
    assert d.criterion("kø").resultat == "ikke_vurdert" and d.utfall == "ikke_avgjort"
    assert [m.opplysning for m in d.mangler] == ["skjønn.måneder_i_kø"]
