"""A seeded synthetic population of tenant households, for tests, benchmarks and reports.

SYNTETISKE DATA: no row describes a real person. The households imitate the tenants of
municipal rental housing that the seed programmes screen (Drammen's and Skien's «Leie til
eie», Sandnes' regular review, Bærum's low-income families): mostly one adult, often children,
incomes from work, uføretrygd, AAP, pensions and social assistance, little equity, and a home
priced like a municipal flat. The same seed always gives the same rows.

The distribution (per household; `docs/screening.md` has the table):

- household: 42 % enslig, 26 % enslig forsørger, 12 % par uten barn, 17 % par med barn,
  3 % tre voksne; 1–4 children aged 0–17;
- main income: lønn 44 %, uføretrygd 24 %, arbeidsavklaringspenger 10 %, alderspensjon 8 %,
  sosialhjelp 8 %, introduksjonsstønad 6 %, net per month log-normal around 15 000–29 000 kr;
  a second adult has an income of their own; barnetrygd 1 766 kr per child; bostøtte for a
  quarter; leieinntekt for 1 %;
- price of the home: 1.2–4.0 mill. kr (log-normal around 2.2 mill.), selveier 55 %,
  borettslag 40 % (with fellesgjeld), aksjeleilighet 5 %; boutgifter 2 500–7 500 kr;
- equity: none for 60 %, otherwise up to about 250 000 kr; a consumer or student loan for 30 %;
- the case worker's assessments (`skjønn`) are filled in as a screening would assume them
  (refused by 0–3 banks, long-term problems for most, ...) unless `assessed=False`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from boligregler.screening import HOUSEHOLD_LABELS

SYNTHETIC_NOTE = "Syntetiske husstander laget av boligregler.screening.population (ingen ekte personer)."

HOUSEHOLDS = tuple(HOUSEHOLD_LABELS)
HOUSEHOLD_SHARES = (0.42, 0.26, 0.12, 0.17, 0.03)
MAIN_INCOMES = ("lønn", "uføretrygd", "arbeidsavklaringspenger", "alderspensjon", "sosialhjelp", "introduksjonsstønad")
MAIN_SHARES = (0.44, 0.24, 0.10, 0.08, 0.08, 0.06)
MAIN_MEDIAN = (29_000, 22_500, 18_500, 21_000, 15_000, 16_000)
BARNETRYGD = 1766


def _lists(lengths: np.ndarray, fields: dict[str, pa.Array]) -> pa.Array:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.StructArray.from_arrays(list(fields.values()), list(fields)))


def households(n: int, seed: int = 2026, *, soknadsdato: dt.date = dt.date(2026, 3, 1),
               assessed: bool = True) -> pa.Table:
    """`n` synthetic households as a table in the søknad column mapping (docs/screening.md)."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(len(HOUSEHOLDS), size=n, p=HOUSEHOLD_SHARES)
    adults = np.where(kind >= 4, 3, np.where(kind >= 2, 2, 1))
    has_children = (kind == 1) | (kind == 3)
    children = np.where(has_children, rng.choice([1, 2, 3, 4], size=n, p=[0.45, 0.35, 0.15, 0.05]), 0)

    adult_age = rng.integers(20, 80, size=int(adults.sum()))
    child_age = rng.integers(0, 18, size=int(children.sum()))

    # incomes: the main income of the first adult, one of a second adult, barnetrygd, bostøtte, rent
    main = rng.choice(len(MAIN_INCOMES), size=n, p=MAIN_SHARES)
    median = np.array(MAIN_MEDIAN)[main]
    main_amount = np.round(median * rng.lognormal(0, 0.25, size=n) / 10) * 10
    second = adults >= 2
    second_amount = np.round(21_000 * rng.lognormal(0, 0.35, size=n) / 10) * 10
    bostotte = rng.random(n) < 0.25
    bostotte_amount = np.round(rng.uniform(800, 4200, size=n))
    rent = rng.random(n) < 0.01
    rent_amount = np.round(rng.uniform(3000, 9000, size=n) / 100) * 100
    has = np.stack([np.ones(n, bool), second, children > 0, bostotte, rent], axis=1)
    types = np.stack([np.array(MAIN_INCOMES, dtype=object)[main],
                      np.where(rng.random(n) < 0.8, "lønn", "uføretrygd").astype(object),
                      np.full(n, "barnetrygd", dtype=object), np.full(n, "bostøtte", dtype=object),
                      np.full(n, "leieinntekt", dtype=object)], axis=1)
    amounts = np.stack([main_amount, second_amount, children * BARNETRYGD, bostotte_amount, rent_amount], axis=1)
    income_lengths = has.sum(axis=1)

    loan = rng.random(n) < 0.30
    loan_type = np.where(rng.random(n) < 0.5, "forbrukslån", "studielån").astype(object)
    loan_amount = np.round(rng.uniform(300, 4000, size=n) / 10) * 10

    price = np.clip(np.round(2_200_000 * rng.lognormal(0, 0.28, size=n) / 10_000) * 10_000, 1_200_000, 4_000_000)
    form = rng.choice(["selveier", "borettslag", "aksjeleilighet"], size=n, p=[0.55, 0.40, 0.05])
    shared_debt = np.where(form == "borettslag", np.round(rng.uniform(50_000, 800_000, size=n) / 1000) * 1000, 0)
    housing_costs = np.round(rng.uniform(2500, 7500, size=n) / 10) * 10
    equity = np.where(rng.random(n) < 0.6, 0, np.round(rng.exponential(60_000, size=n) / 1000) * 1000)
    equity = np.minimum(equity, 250_000)
    term = rng.choice([30, 25, 40, 50], size=n, p=[0.8, 0.05, 0.05, 0.1])

    columns: dict[str, pa.Array] = {
        "referanse": pa.array([f"SYNT-{seed}-{i + 1:07d}" for i in range(n)]),
        "søknadsdato": pa.array(np.full(n, soknadsdato, dtype="datetime64[D]")),
        "formål": pa.array(np.full(n, "kjøp", dtype=object)),
        "husstand.voksne": _lists(adults, {"alder": pa.array(adult_age)}),
        "husstand.barn": _lists(children, {"alder": pa.array(child_age)}),
        "husstand.særlige_behov": pa.array(rng.random(n) < 0.08),
        "inntekter": _lists(income_lengths, {"type": pa.array(types[has]),
                                             "netto_per_måned": pa.array(amounts[has].astype(np.int64))}),
        "faste_utgifter": _lists(loan.astype(np.int64), {"type": pa.array(loan_type[loan]),
                                                         "per_måned": pa.array(loan_amount[loan].astype(np.int64))}),
        "bolig.kjøpesum": pa.array(price.astype(np.int64)),
        "bolig.eierform": pa.array(form),
        "bolig.fellesgjeld": pa.array(shared_debt.astype(np.int64)),
        "bolig.boutgifter_per_måned": pa.array(housing_costs.astype(np.int64)),
        "bolig.kommunal_utleiebolig": pa.array(rng.random(n) < 0.5),
        "egenkapital": pa.array(equity.astype(np.int64)),
        "ønsket_nedbetalingstid_år": pa.array(term.astype(np.int64)),
        "tilknytning.leietaker_i_kommunal_bolig": pa.array(np.ones(n, dtype=bool)),
        "tilknytning.botid_måneder": pa.array(rng.integers(0, 240, size=n)),
        "tilknytning.mottar_sosialhjelp": pa.array(main == MAIN_INCOMES.index("sosialhjelp")),
    }
    if assessed:
        columns |= {
            "skjønn.avslag_fra_banker": pa.array(rng.choice([0, 1, 2, 3], size=n, p=[0.1, 0.2, 0.55, 0.15])),
            "skjønn.langvarige_finansieringsproblemer": pa.array(rng.random(n) < 0.7),
            "skjønn.spareevne_utnyttet": pa.array(rng.random(n) < 0.6),
            "skjønn.stabil_bosituasjon_haster": pa.array(has_children & (rng.random(n) < 0.6)),
            "skjønn.varig_lav_inntekt": pa.array(np.isin(main, [1, 3]) & (rng.random(n) < 0.5)),
            "skjønn.boligen_egnet_og_nøktern": pa.array(rng.random(n) < 0.95),
            "skjønn.frigjør_kommunal_bolig": pa.array(rng.random(n) < 0.5),
            "skjønn.fare_for_tvangssalg": pa.array(np.zeros(n, dtype=bool)),
            "skjønn.hindrer_arbeid": pa.array(rng.random(n) < 0.05),
        }
    return pa.table(columns, metadata={"boligregler": SYNTHETIC_NOTE, "seed": str(seed)})


def household_type(adults: np.ndarray, children: np.ndarray) -> np.ndarray:
    """The household type reports group by, from the number of adults and children."""
    return np.where(adults >= 3, "bofellesskap",
                    np.where(adults == 2, np.where(children > 0, "par_med_barn", "par_uten_barn"),
                             np.where(children > 0, "enslig_forsørger", "enslig")))
