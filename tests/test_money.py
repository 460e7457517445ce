from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boligregler.money import (
    RoundingMode,
    format_kr,
    format_number,
    format_percent,
    load_json,
    money_json,
    parse_money,
    round_to,
)

D = Decimal
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "half_up", "half_even"),
    [("2.5", "3", "2"), ("3.5", "4", "4"), ("-2.5", "-3", "-2"), ("2.49", "2", "2")],
)
def test_ties(value, half_up, half_even):
    assert round_to(D(value), D(1), RoundingMode.HALV_OPP) == D(half_up)
    assert round_to(D(value), D(1), RoundingMode.HALV_JEVN) == D(half_even)


@pytest.mark.parametrize(
    ("value", "floor", "ceiling"),
    [
        ("1234.5", "1000", "2000"),
        ("2000", "2000", "2000"),
        ("-1234.5", "-2000", "-1000"),
        ("-0.5", "-1000", "0"),
    ],
)
def test_floor_and_ceiling_to_thousand(value, floor, ceiling):
    down = round_to(D(value), D(1000), RoundingMode.NED)
    up = round_to(D(value), D(1000), RoundingMode.OPP)
    assert (str(down), str(up)) == (floor, ceiling)


def test_round_to_cents_keeps_exponent():
    assert str(round_to(D("10.005"), D("0.01"), RoundingMode.HALV_OPP)) == "10.01"
    assert str(round_to(D("-0.4"), D(1), RoundingMode.HALV_OPP)) == "0"


def test_round_to_rejects_non_positive_unit():
    with pytest.raises(ValueError, match="positiv"):
        round_to(D(5), D(0), RoundingMode.NED)


def test_rounding_mode_values():
    assert RoundingMode("halv_jevn") is RoundingMode.HALV_JEVN
    assert RoundingMode.NED.decimal_mode == "ROUND_FLOOR"


amounts = st.decimals(
    min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False
)


@given(amounts, st.sampled_from([D(1), D(1000)]))
def test_round_to_bounds(x, unit):
    down = round_to(x, unit, RoundingMode.NED)
    assert down <= x < down + unit
    assert round_to(x, unit, RoundingMode.OPP) >= x


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3200000, D(3200000)), ("3200000.50", D("3200000.50")), ("-120", D(-120)), (D("3532.5"), D("3532.5"))],
)
def test_parse_money(value, expected):
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (3532.5, "flyttall"),
        (True, "sannhetsverdi"),
        ("1.005", "høyst to desimaler"),
        ("1e5", "høyst to desimaler"),
        (" 12", "høyst to desimaler"),
        (D("1.005"), "høyst to desimaler"),
        (D("NaN"), "endelig"),
        (None, "må være et beløp i kroner"),
        (D("1e50"), "høyst 1\u00a0000\u00a0000\u00a0000\u00a0000 kr"),
        (10 ** 400, "er for stort"),
        ("1" + "0" * 40, "er for stort"),
    ],
)
def test_parse_money_rejects(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_money(value)


def test_load_json_gives_decimals():
    data = load_json('{"inntekt": 3532.5, "antall": 2}')
    assert data == {"inntekt": D("3532.5"), "antall": 2}
    assert parse_money(data["inntekt"]) == D("3532.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("2973590"), "2973590"),
        (D("2973590.00"), "2973590"),
        (D("1E+3"), "1000"),
        (D("23932.5"), "23932.50"),
        (D("23932.495"), "23932.50"),
        (D("-120"), "-120"),
        (D("-0.001"), "0"),
    ],
)
def test_money_json(value, expected):
    assert money_json(value) == expected


def test_format_kr():
    assert format_kr(D("2973590")) == f"2{NBSP}973{NBSP}590 kr"
    assert format_kr(D("23932.5")) == f"23{NBSP}932,50 kr"
    assert format_kr(D("-1200")) == f"\u22121{NBSP}200 kr"
    assert format_kr(D("999")) == "999 kr"
    assert format_kr(D("1500"), unit_suffix="kr/mnd") == f"1{NBSP}500 kr/mnd"
    assert format_kr(D("1500"), unit_suffix="") == f"1{NBSP}500"
    with pytest.raises(TypeError):
        format_kr(1.5)


def test_format_number_and_percent():
    assert format_number(D("1234567.890")) == f"1{NBSP}234{NBSP}567,89"
    assert format_number(D("2.00")) == "2"
    assert format_number(D("1234.5"), decimals=2) == f"1{NBSP}234,50"
    assert format_number(D("-0.004"), decimals=2) == "0,00"
    assert format_percent(D("0.05")) == f"5,00{NBSP}%"
    assert format_percent(D("0.03125")) == f"3,13{NBSP}%"


def test_json_nested_too_deeply_is_a_decode_error():
    import json

    with pytest.raises(json.JSONDecodeError, match="for dypt nestet"):
        load_json("[" * 100_000)
