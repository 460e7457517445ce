"""`boligregler konsekvens A B befolkning`: outcome changes, totals and witnesses, checked against Decimal."""

from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq

from boligregler import load_policy
from boligregler.cli import main
from boligregler.model.loader import shipped_policies_dir
from boligregler.screening import files, konsekvens, population, tabular


def test_a_higher_calculation_rate_checked_household_by_household(tmp_path, capsys):
    source = (shipped_policies_dir() / "drammen.pol").read_text(encoding="utf-8")
    a, b = tmp_path / "drammen.pol", tmp_path / "drammen_6.pol"
    a.write_text(source, encoding="utf-8")
    b.write_text(source.replace("5 % fra 2015-01-01", "6 % fra 2015-01-01"), encoding="utf-8")
    table = population.households(300, seed=21)
    pq.write_table(table, tmp_path / "p.parquet")
    assert main(["konsekvens", str(a), str(b), str(tmp_path / "p.parquet"), "--html", str(tmp_path / "k.html")]) == 0
    out = capsys.readouterr().out
    pa_, pb = load_policy(a), load_policy(b)
    decided = [(pa_.evaluate(tabular.row_soknad(table, i), explain=False),
                pb.evaluate(tabular.row_soknad(table, i), explain=False)) for i in range(300)]
    changes = Counter((x.utfall, y.utfall) for x, y in decided if x.utfall != y.utfall)
    assert changes and all(konsekvens.direction(x, y) == "verre" for x, y in changes)
    assert f"300 husstander: {sum(changes.values())} får et annet utfall (0 bedre, {sum(changes.values())} verre)" in out

    impact = konsekvens.impact_of(pa_, pb, files.table_chunks(pa_, str(tmp_path / "p.parquet"), "parquet"),
                                  files.table_chunks(pb, str(tmp_path / "p.parquet"), "parquet"))
    assert {k: v for k, v in impact.transitions.items() if k[0] != k[1]} == changes
    for key in ("startlån", "tilskudd"):
        assert impact.totals_a[key] == sum(int(x.beløp[key] * 100) for x, _ in decided if x.utfall == "innvilget")
        assert impact.totals_b[key] == sum(int(y.beløp[key] * 100) for _, y in decided if y.utfall == "innvilget")
    assert 0 < impact.totals_b["startlån"] < impact.totals_a["startlån"]  # fewer and smaller loans at 6 %
    for pair, witnesses in impact.witnesses.items():
        assert 1 <= len(witnesses) <= konsekvens.WITNESSES
        for w in witnesses:
            x, y = decided[w.row - 1]
            assert (x.utfall, y.utfall) == pair
            assert w.reference == table.column("referanse")[w.row - 1].as_py()
            assert w.criteria == [(c.id, c.resultat, y.criterion(c.id).resultat) for c in x.vilkår
                                  if c.resultat != y.criterion(c.id).resultat]
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    (a0, b0), _ = changes.most_common(1)[0]
    label = f"{konsekvens.OUTCOME_LABELS[a0]} → {konsekvens.OUTCOME_LABELS[b0]}"
    assert html.count("<svg") == 2 and label in html and "drammen_6.pol" in html
    changed = {cid for ws in impact.witnesses.values() for w in ws for cid, _, _ in w.criteria}
    assert changed and "ikke_oppfylt" not in html and not any(cid in html for cid in changed)
    assert all(f"{impact.titles[cid]}: " in html for cid in changed)


def test_identical_policies_change_nothing(tmp_path, capsys):
    pq.write_table(population.households(50, seed=2), tmp_path / "p.parquet")
    assert main(["konsekvens", "skien", "skien", str(tmp_path / "p.parquet")]) == 0
    assert "50 husstander: 0 får et annet utfall" in capsys.readouterr().out


def test_chart_axes_have_round_ticks_and_room_for_their_labels():
    import re
    from boligregler.screening.report import bar_chart, nice_step
    assert [nice_step(r) for r in (0.25, 3, 87.25, 101, 448e6)] == [1, 5, 100, 200, 500_000_000]
    svg = bar_chart("Sum innvilget (kr)", ["startlån"], {"A": [1_718_352_486], "B": [1_793_382_870]})
    ticks = re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="10" text-anchor="end">([^<]+)</text>', svg)
    assert [t for _, t in ticks] == ["0", "500\u00a0000\u00a0000", "1\u00a0000\u00a0000\u00a0000",
                                     "1\u00a0500\u00a0000\u00a0000", "2\u00a0000\u00a0000\u00a0000"]
    assert all(float(x) >= 6 * len(t) for x, t in ticks)  # a label right-aligned at x fits left of it
