"""Parser unit tests: each construct of the `.pol` language becomes the expected syntax tree.

Syntax-tree nodes compare without their spans, so the expected trees below are written
without positions; positions are tested separately where they matter.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lark import Lark

from boligregler.diagnostics import PolicyError, Span
from boligregler.model.loader import shipped_policies_dir
from boligregler.syntax import ast
from boligregler.syntax.parser import grammar_path, parse_expression, parse_policy
from boligregler.syntax.template import parse_template

HEADER = "regelverk prøve {\n}\n"


def definitions(source: str) -> list:
    """The definitions of a policy made of a minimal header followed by `source`."""
    return [item.definition for item in parse_policy(HEADER + source, "prøve.pol").items]


def only(source: str):
    (definition,) = definitions(source)
    return definition


def q(value, unit=None) -> ast.Quantity:
    return ast.Quantity(Decimal(value), unit)


def name(n: str) -> ast.Name:
    return ast.Name(n)


D2024 = dt.date(2024, 1, 1)


def test_grammar_is_lalr_clean_in_strict_mode():
    Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr", strict=True,
         start=["start", "expr", "fragment"])


@pytest.mark.parametrize("path", sorted(shipped_policies_dir().glob("*.pol")), ids=lambda p: p.stem)
def test_every_shipped_policy_parses(path):
    policy = parse_policy(path.read_text(encoding="utf-8"), str(path))
    assert policy.header.id == path.stem


# ---- header and doc comments -------------------------------------------------------------


def test_header_with_base_and_fields():
    policy = parse_policy(
        'regelverk drammen bygger på nasjonal {\n    navn: "Startlån"\n    vedtatt: 2015-01-01\n'
        '    kilde: "Kommunen"\n    art: absolutt\n}\n', "d.pol")
    assert policy.header == ast.Header("drammen", "nasjonal", (
        ast.Field("navn", "Startlån"), ast.Field("vedtatt", dt.date(2015, 1, 1)),
        ast.Field("kilde", "Kommunen"), ast.Field("art", ast.Word("absolutt"))))
    assert policy.header.span == Span(1, 11, 1, 18)
    assert policy.header.base_span == Span(1, 29, 1, 37)
    assert policy.items == ()


def test_doc_comments_attach_to_the_file_and_to_the_definition_below():
    policy = parse_policy(
        "## Første linje\n##Andre linje\nregelverk p {\n}\n"
        "# en vanlig kommentar forsvinner\n## Om grensen.\n## Andre linje om grensen.\n"
        'parameter grense: kr {\n    1 kr fra 2024-01-01 kilde "k"\n}\n'
        "beregn x: kr = grense\n", "p.pol")
    assert policy.doc == "Første linje\nAndre linje"
    assert [item.doc for item in policy.items] == ["Om grensen.\nAndre linje om grensen.", ""]


def test_doc_comments_on_schema_fields_and_exceptions():
    schema = only('søknad {\n    ## Datoen reglene hentes fra.\n    søknadsdato: dato\n}\n')
    assert schema.fields[0].doc == "Datoen reglene hentes fra."
    criterion = only('vilkår v {\n    oppfylt når sann\n    ## Barnefamilier.\n    unntak a {\n        når sann\n    }\n}\n')
    assert criterion.exceptions[0].doc == "Barnefamilier."


# ---- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("2 900 000 kr", "2900000"),
    ("2\u00a0900\u00a0000 kr", "2900000"),
    ("1 234.5 kr", "1234.5"),
    ("12 600 kr", "12600"),
    ("2900000 kr", "2900000"),
    ("0.025 kr", "0.025"),
])
def test_thousands_separated_numbers(text, value):
    assert parse_expression(text) == q(value, "kr")


def test_separated_numbers_next_to_other_tokens():
    assert parse_expression("a - 1 000 kr - b") == ast.Binary(
        "-", ast.Binary("-", name("a"), q(1000, "kr")), name("b"))
    example = only('eksempel e {\n    søknad: {a: [1 000, 2024-01-01, 12 345.5]}\n    forventet: {}\n}\n')
    assert example.input == {"a": [Decimal(1000), "2024-01-01", Decimal("12345.5")]}


def test_table_rows_with_separated_numbers_and_ranges():
    table = only('tabell barn: kr/mnd etter alder {\n    fra 2024-01-01 kilde "k" {\n'
                 '        0 til 5: 3 850 kr/mnd\n        6: 3 950 kr/mnd\n    }\n}\n')
    assert table == ast.Table("barn", ast.UnitType("kr/mnd"), ("alder",), (), (ast.TableVersion(D2024, "k", (
        ast.TableRow(((Decimal(0), Decimal(5)),), q(3850, "kr/mnd")),
        ast.TableRow(((Decimal(6), Decimal(6)),), q(3950, "kr/mnd")))),))


def test_table_with_text_keys():
    table = only('tabell avgift: kr etter eierform {\n    fra 2024-01-01 {\n        "selveier": 1 kr\n    }\n}\n')
    assert table.versions[0].rows == (ast.TableRow(("selveier",), q(1, "kr")),)
    assert table.versions[0].source is None


# ---- parameters --------------------------------------------------------------------------


def test_parameter_with_dated_values_and_sources():
    param = only('parameter rente: % {\n    beskrivelse: "r"\n    4.50 % fra 2023-12-15 kilde "Norges Bank"\n'
                 '    4.25 % fra 2025-06-20\n}\n')
    assert param == ast.Parameter("rente", ast.UnitType("%"), (ast.Field("beskrivelse", "r"),), (
        ast.DatedValue(q("4.50", "%"), dt.date(2023, 12, 15), "Norges Bank"),
        ast.DatedValue(q("4.25", "%"), dt.date(2025, 6, 20), None)))


@pytest.mark.parametrize(("type_text", "value_text", "type_", "value"), [
    ("andel", "10/12", ast.UnitType("andel"), ast.Ratio(Decimal(10), Decimal(12))),
    ("tall", "-5", ast.UnitType("tall"), q(-5)),
    ("kr/mnd", "- 7 550 kr/mnd", ast.UnitType("kr/mnd"), q(-7550, "kr/mnd")),
    ("tekst", '"hei"', ast.TextType(), ast.Text("hei")),
    ("sannhet", "sann", ast.BoolType(), ast.Boolean(True)),
    ("sannhet", "usann", ast.BoolType(), ast.Boolean(False)),
    ("mengde av inntektstype", '["lønn", "næring"]', ast.SetType("inntektstype"), ast.SetValue(("lønn", "næring"), False)),
    ("mengde av inntektstype", 'alle unntatt ["sosialhjelp"]', ast.SetType("inntektstype"), ast.SetValue(("sosialhjelp",), True)),
    ("mengde av inntektstype", "[]", ast.SetType("inntektstype"), ast.SetValue((), False)),
    ("antall", "2", ast.UnitType("antall"), q(2)),
    ("måneder", "2 mnd", ast.UnitType("måneder"), q(2, "mnd")),
])
def test_parameter_value_kinds(type_text, value_text, type_, value):
    param = only(f'parameter p: {type_text} {{\n    {value_text} fra 2024-01-01 kilde "k"\n}}\n')
    assert param.type == type_
    assert param.values == (ast.DatedValue(value, D2024, "k"),)


# ---- the søknad schema and named types ------------------------------------------------------


def test_type_definition():
    assert only('type eierform = valg("selveier", "borettslag")\n') == \
        ast.TypeDef("eierform", ast.EnumType(("selveier", "borettslag")))


def test_schema_fields():
    schema = only(
        'søknad {\n'
        '    år_ønsket: heltall år fra 1 til 50 = 30 år\n'
        '    kjøpesum: kr eller ingen = ingen påkrevd når formål i ["kjøp"]\n'
        '    voksne: liste av { alder: heltall år fra 18 til 120 } minst 1\n'
        '    barn: liste av { alder: heltall } = []\n'
        '    eierform: valg("selveier", "borettslag") = "selveier"\n'
        '    typer: mengde av inntektstype\n'
        '    inntekt: inntektstype\n'
        '    dato: dato\n'
        '    tekst: tekst\n'
        '    sann: sannhet = usann\n'
        '    personer: antall = 0\n'
        '}\n')
    f = {field.name: field for field in schema.fields}
    assert list(f) == ["år_ønsket", "kjøpesum", "voksne", "barn", "eierform", "typer", "inntekt", "dato",
                       "tekst", "sann", "personer"]
    assert f["år_ønsket"] == ast.SchemaField("år_ønsket", ast.IntegerType("år", Decimal(1), Decimal(50)), False,
                                             q(30, "år"), None, "")
    assert f["kjøpesum"] == ast.SchemaField(
        "kjøpesum", ast.UnitType("kr"), True, ast.NoneLiteral(),
        ast.Member(name("formål"), ast.ListLiteral((ast.Text("kjøp"),))), "")
    voksne = f["voksne"].type
    assert voksne == ast.ListType(ast.RecordType((ast.SchemaField(
        "alder", ast.IntegerType("år", Decimal(18), Decimal(120)), False, ast.MISSING, None, ""),)), Decimal(1))
    assert f["barn"].default == [] and f["barn"].type.min_items is None
    assert f["barn"].type.element.fields[0].type == ast.IntegerType(None, None, None)
    assert f["eierform"].type == ast.EnumType(("selveier", "borettslag"))
    assert f["eierform"].default == ast.Text("selveier")
    assert f["typer"].type == ast.SetType("inntektstype")
    assert f["inntekt"].type == ast.NamedType("inntektstype")
    assert (f["dato"].type, f["tekst"].type) == (ast.DateType(), ast.TextType())
    assert f["sann"].type == ast.BoolType() and f["sann"].default == ast.Boolean(False)
    assert f["personer"].type == ast.UnitType("antall")


@pytest.mark.parametrize("keyword", ["ordning", "type", "vedtak", "eksempel", "tabell", "dato", "sum", "til"])
def test_keywords_as_field_names(keyword):
    schema = only(f"søknad {{\n    {keyword}: tekst\n}}\n")
    assert schema.fields[0].name == keyword
    example = only(f'eksempel e {{\n    søknad: {{{keyword}: "x"}}\n    forventet: {{}}\n}}\n')
    assert example.input == {keyword: "x"}


def test_keyword_as_record_field_in_a_list():
    schema = only("søknad {\n    inntekter: liste av { type: inntektstype  netto_per_måned: kr/mnd } = []\n}\n")
    assert [f.name for f in schema.fields[0].type.element.fields] == ["type", "netto_per_måned"]


# ---- computations and criteria -----------------------------------------------------------------


def test_computation():
    assert only("beregn margin: kr/mnd = disponibelt - terminbeløp\n") == ast.Compute(
        "margin", ast.UnitType("kr/mnd"), ast.Binary("-", name("disponibelt"), name("terminbeløp")))


def test_criterion_with_exceptions_and_explanations():
    criterion = only(
        'vilkår behovsprøving {\n'
        '    tittel: "Behov"\n'
        '    art: absolutt\n'
        '    hjemmel: "§ 5-4"\n'
        '    relevant når formål != "refinansiering"\n'
        '    oppfylt når skjønn.langvarige_finansieringsproblemer\n'
        '    unntak a "Barnefamilier" {\n'
        '        hjemmel: "§ 5-4 annet ledd bokstav a"\n'
        '        når antall_barn > 0\n'
        '        forklaring: "Har barn."\n'
        '    }\n'
        '    unntak b {\n        når sann\n    }\n'
        '    forklaring {\n        oppfylt: "Ja {x}."\n        ikke_oppfylt: "Nei."\n    }\n'
        '}\n')
    assert criterion == ast.Criterion(
        "behovsprøving",
        (ast.Field("tittel", "Behov"), ast.Field("art", ast.Word("absolutt")), ast.Field("hjemmel", "§ 5-4")),
        ast.Attribute(name("skjønn"), "langvarige_finansieringsproblemer"),
        ast.Compare("!=", name("formål"), ast.Text("refinansiering")),
        (ast.ExceptionRule("a", "Barnefamilier", (ast.Field("hjemmel", "§ 5-4 annet ledd bokstav a"),
                                                   ast.Field("forklaring", "Har barn.")),
                           ast.Compare(">", name("antall_barn"), q(0)), ""),
         ast.ExceptionRule("b", None, (), ast.Boolean(True), "")),
        (ast.Field("oppfylt", "Ja {x}."), ast.Field("ikke_oppfylt", "Nei.")))


def test_outcome_rules():
    assert only("utfall {\n    avslag når et absolutt vilkår ikke er oppfylt\n"
                "    manuell_vurdering når en hovedregel ikke er oppfylt\n    ellers innvilget\n}\n") == ast.Outcome(
        (ast.OutcomeRule("avslag", "absolutt"), ast.OutcomeRule("manuell_vurdering", "hovedregel")), "innvilget")


def test_scheme_with_own_definitions():
    scheme = only('ordning eie_først {\n    tittel: "Eie først"\n    ## Egen rente.\n    beregn r: % = 5 %\n'
                  '    overstyr beregn maks_lån: kr = 0 kr\n    fjern vilkår nedbetalingstid\n'
                  '    betingelse tilbakekjøp: "Kommunen kan kjøpe boligen tilbake."\n}\n')
    assert scheme == ast.Scheme("eie_først", (ast.Field("tittel", "Eie først"),), (
        ast.Item("Egen rente.", ast.Compute("r", ast.UnitType("%"), q(5, "%"))),
        ast.Item("", ast.Override(ast.Compute("maks_lån", ast.UnitType("kr"), q(0, "kr")))),
        ast.Item("", ast.Removal("vilkår", "nedbetalingstid")),
        ast.Item("", ast.ConditionText("tilbakekjøp", "Kommunen kan kjøpe boligen tilbake."))))


def test_decision_map_and_condition_text():
    assert only('vedtak {\n    startlån: hvis utfall = "avslag" så 0 kr ellers startlån\n}\n') == ast.DecisionMap((
        ast.DecisionEntry("startlån", ast.If(ast.Compare("=", name("utfall"), ast.Text("avslag")), q(0, "kr"),
                                             name("startlån"))),))
    assert only('betingelse forkjøpsrett: "Kommunen har forkjøpsrett."\n') == \
        ast.ConditionText("forkjøpsrett", "Kommunen har forkjøpsrett.")


@pytest.mark.parametrize(("text", "definition"), [
    ('overstyr parameter p: kr {\n    1 kr fra 2024-01-01 kilde "k"\n}\n',
     ast.Parameter("p", ast.UnitType("kr"), (), (ast.DatedValue(q(1, "kr"), D2024, "k"),))),
    ("overstyr beregn rente: % = kalkulasjonsrente\n", ast.Compute("rente", ast.UnitType("%"), name("kalkulasjonsrente"))),
    ('overstyr betingelse b: "t"\n', ast.ConditionText("b", "t")),
])
def test_override(text, definition):
    assert only(text) == ast.Override(definition)


@pytest.mark.parametrize("kind", ["parameter", "tabell", "beregn", "vilkår", "betingelse"])
def test_removal(kind):
    assert only(f"fjern {kind} noe\n") == ast.Removal(kind, "noe")


def test_example_literals():
    example = only(
        'eksempel familie "En familie" {\n'
        '    søknad: {\n'
        '        søknadsdato: 2026-03-01\n'
        '        husstand: {voksne: [{alder: 38}, {alder: 35},], særlige_behov: usann}\n'
        '        "livsopphold_per_måned": ingen, egenkapital: 2 900 000.50\n'
        '        gjeld: -5\n'
        '    }\n'
        '    forventet: {utfall: "innvilget", "vilkår": {behovsprøving: "unntak a"}, rente: "5.00", sann_verdi: sann}\n'
        '}\n')
    assert example.name == "familie" and example.title == "En familie"
    assert example.input == {
        "søknadsdato": "2026-03-01",
        "husstand": {"voksne": [{"alder": Decimal(38)}, {"alder": Decimal(35)}], "særlige_behov": False},
        "livsopphold_per_måned": None, "egenkapital": Decimal("2900000.50"), "gjeld": Decimal(-5),
    }
    assert example.expected == {"utfall": "innvilget", "vilkår": {"behovsprøving": "unntak a"}, "rente": "5.00",
                                "sann_verdi": True}


# ---- expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "tree"), [
    ("a + b * 2 kr", ast.Binary("+", name("a"), ast.Binary("*", name("b"), q(2, "kr")))),
    ("(a + b) × c", ast.Binary("*", ast.Binary("+", name("a"), name("b")), name("c"))),
    ("a - b - c", ast.Binary("-", ast.Binary("-", name("a"), name("b")), name("c"))),
    ("a / b", ast.Binary("/", name("a"), name("b"))),
    ("-a", ast.Unary("-", name("a"))),
    ("a ≤ b", ast.Compare("<=", name("a"), name("b"))),
    ("a ≥ b", ast.Compare(">=", name("a"), name("b"))),
    ("a ≠ b", ast.Compare("!=", name("a"), name("b"))),
    ("a = b", ast.Compare("=", name("a"), name("b"))),
    ("a < b", ast.Compare("<", name("a"), name("b"))),
    ("a og b eller c", ast.Logical("eller", ast.Logical("og", name("a"), name("b")), name("c"))),
    ("a eller b og c", ast.Logical("eller", name("a"), ast.Logical("og", name("b"), name("c")))),
    ("ikke a og b", ast.Logical("og", ast.Unary("ikke", name("a")), name("b"))),
    ("hvis a så 1 ellers 2", ast.If(name("a"), q(1), q(2))),
    ('formål i ["kjøp", "oppføring"]', ast.Member(name("formål"), ast.ListLiteral((ast.Text("kjøp"), ast.Text("oppføring"))))),
    ("type i tellende", ast.Member(name("type"), name("tellende"))),
    ("husstand.barn", ast.Attribute(name("husstand"), "barn")),
    ("livsopphold_barn[b.alder]", ast.Lookup(name("livsopphold_barn"), (ast.Attribute(name("b"), "alder"),))),
    ("norm[antall_voksne, 2]", ast.Lookup(name("norm"), (name("antall_voksne"), q(2)))),
    ("maks(0 kr, a, b)", ast.Call("maks", (q(0, "kr"), name("a"), name("b")))),
    ("oppgitt(x)", ast.Call("oppgitt", (name("x"),))),
    ("avrund(x, 1000 kr, ned)", ast.Call("avrund", (name("x"), q(1000, "kr"), name("ned")))),
    ("sum(u.per_måned for hver u i faste_utgifter)",
     ast.Aggregate("sum", "u", name("faste_utgifter"), None, ast.Attribute(name("u"), "per_måned"))),
    ("sum(i.x for hver i2 i l der i2.y > 0)", ast.Aggregate(
        "sum", "i2", name("l"), ast.Compare(">", ast.Attribute(name("i2"), "y"), q(0)), ast.Attribute(name("i"), "x"))),
    ("antall(husstand.voksne)", ast.Aggregate("antall", None, ast.Attribute(name("husstand"), "voksne"), None, None)),
    ("antall(hver b i barn der b.alder < 6)", ast.Aggregate(
        "antall", "b", name("barn"), ast.Compare("<", ast.Attribute(name("b"), "alder"), q(6)), None)),
    ("finnes(hver b i barn der sann)", ast.Aggregate("finnes", "b", name("barn"), ast.Boolean(True), None)),
    ("alle(hver b i barn der usann)", ast.Aggregate("alle", "b", name("barn"), ast.Boolean(False), None)),
    ("2024-01-01", ast.DateLiteral(D2024)),
    ('"tekst med \\" i"', ast.Text('tekst med " i')),
    ("ingen", ast.NoneLiteral()),
    ("30 år", q(30, "år")),
    ("12 måneder", q(12, "måneder")),
    ("2.5 prosentpoeng", q("2.5", "prosentpoeng")),
])
def test_expression(text, tree):
    assert parse_expression(text) == tree


def test_expression_positions_are_in_the_file():
    source = '\n\n    oppfylt: "x\\n\\"y\\" {a + bb}"\n'
    template = parse_template('x\n"y" {a + bb}', Span(3, 14, 3, 33), "f.pol", source=source)
    expr = template.parts[1]
    assert source.split("\n")[2][expr.span.column - 1:expr.span.end_column - 1] == "a + bb"
    assert expr.span == Span(3, 25, 3, 31)
    assert expr.right.span == Span(3, 29, 3, 31)


def test_template_holes_and_literal_braces():
    tpl = parse_template("Lån {maks_lån} av {{maks}} over {nedbetalingstid}.", Span(4, 17, 4, 70), "f.pol")
    assert tpl.parts == ("Lån ", name("maks_lån"), " av {maks} over ", name("nedbetalingstid"), ".")
    # the hole starts after the opening quote (column 17) and «Lån {»
    assert tpl.parts[1].span == Span(4, 23, 4, 31)


def test_template_with_a_broken_hole_reports_its_position():
    with pytest.raises(PolicyError) as err:
        parse_template("Lån {maks +}", Span(2, 5, 2, 19), "f.pol")
    (diag,) = err.value.diagnostics
    assert diag.file == "f.pol" and diag.span.line == 2


def test_definitions_carry_spans():
    policy = parse_policy(HEADER + "beregn x: kr = 1 kr\n\n## dok\nparameter p: kr {\n    1 kr fra 2024-01-01\n}\n", "s.pol")
    compute, parameter = (item.definition for item in policy.items)
    assert compute.span == Span(3, 8, 3, 9)
    assert parameter.span == Span(6, 11, 6, 12)
    assert parameter.values[0].span == Span(7, 5, 7, 24)
