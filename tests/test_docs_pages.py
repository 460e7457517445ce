"""The docs pages a policy officer computes from: the søknad format (generated) and the method."""

from __future__ import annotations

from decimal import Decimal, localcontext
from pathlib import Path

from boligregler.api import check_policy
from boligregler.evaluation import runtime
from boligregler.money import CONTEXT, RoundingMode, round_to
from boligregler.rendering.soknad_markdown import soknad_page

ROOT = Path(__file__).resolve().parents[1]


def test_the_soknad_page_is_generated_from_the_national_schema():
    page = (ROOT / "docs" / "soknad.md").read_text(encoding="utf-8")
    assert page == soknad_page(check_policy("nasjonal")), \
        "run: python -m boligregler.rendering.soknad_markdown > docs/soknad.md"
    assert "| `husstand.barn[].alder` | år, fra 0 til 17 | påkrevd |" in page


def test_the_worked_factor_and_examples_on_the_method_page_are_what_the_library_computes():
    page = (ROOT / "docs" / "beregning.md").read_text(encoding="utf-8")
    with localcontext(CONTEXT):
        factor = runtime.present_value(Decimal(1), Decimal("0.065"), Decimal(30))
        assert round_to(factor, Decimal("0.01"), RoundingMode.HALV_OPP) == Decimal("158.21")
        loan = runtime.present_value(Decimal(10000), Decimal("0.065"), Decimal(30))
        assert round_to(loan, Decimal(1), RoundingMode.HALV_OPP) == 1582108
        assert round_to(loan, Decimal(1000), RoundingMode.NED) == 1582000
        payment = runtime.annuity(Decimal(1000000), Decimal("0.065"), Decimal(30))
        assert round_to(payment, Decimal(1), RoundingMode.HALV_OPP) == 6321
    for shown in ("**158,21**", "1 582 108 kr", "1 582 000 kr", "6 321 kr"):
        assert shown in page
