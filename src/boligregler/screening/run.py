"""Screen a whole table of søknader with the columnar backend, streaming chunk by chunk."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Callable, Iterator

import attrs
import numpy as np

from boligregler.evaluation import columnar as C
from boligregler.evaluation.decision import OUTCOME_NAMES
from boligregler.screening import files
from boligregler.screening.tabular import Chunk


@attrs.define
class Tally:
    """What a screening run decided: outcomes, bad rows, and how the rows were decided."""

    outcomes: Counter = attrs.field(factory=Counter)
    bad_rows: list = attrs.field(factory=list)
    rows: int = 0
    fallback: int = 0
    rechecked: int = 0
    unsupported: dict = attrs.field(factory=dict)

    def add(self, chunk: Chunk, result: C.BatchResult) -> None:
        self.rows += result.n
        self.fallback += int(result.fallback.sum())
        self.rechecked += int(result.rechecked.sum())
        self.unsupported.update(result.unsupported)
        codes = np.asarray(result.utfall)
        for code, count in zip(*np.unique(codes[codes >= 0], return_counts=True)):
            self.outcomes[result.outcomes[int(code)]] += int(count)
        self.bad_rows.extend(int(r) for r in chunk.bad_rows)
        self.bad_rows.extend(int(chunk.rows[i]) for i in result.errors)

    def summary(self, navn: str, unit: str = "rad") -> str:
        assessed = sum(self.outcomes.values())
        names = dict(OUTCOME_NAMES)
        for k in self.outcomes:
            names.setdefault(k, k.replace("_", " "))
        outcomes = ", ".join(f"{self.outcomes[k]} {label}" for k, label in names.items())
        text = f"Vurderte {assessed} søknad{'er' if assessed != 1 else ''} etter «{navn}»: {outcomes}."
        if self.bad_rows:
            rows = sorted(self.bad_rows)
            listed = ", ".join(str(n) for n in rows[:20]) + (" …" if len(rows) > 20 else "")
            text += f" {len(rows)} søknad{'er' if len(rows) != 1 else ''} kunne ikke vurderes ({unit} {listed})."
        text += (f" Kolonnevis vurdering: {self.fallback} av {self.rows} vurdert med Decimal-motoren"
                 f", {self.rechecked} avrundinger kontrollert på nytt.")
        if self.unsupported:
            text += " Ikke kolonnevis: " + "; ".join(f"{k or 'grunnlag'}: {v}" for k, v in self.unsupported.items()) + "."
        return text


def decide_chunks(policy, chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, C.BatchResult]]:
    for chunk in chunks:
        yield chunk, policy.evaluate_batch(chunk.batch)


def screen_file(policy, path: str, kind: str, out_path: str | None, out_kind: str,
                report: Callable[[str], None] | None = None, criteria: bool = True) -> Tally:
    """Decide every row of `path` and write the result table; every bad row is reported on the way."""
    report = report or (lambda text: print(text, file=sys.stderr))
    unit = "linje" if kind == "jsonl" else "rad"
    tally = Tally()
    writer = files.TableWriter(out_path, out_kind)
    try:
        for chunk, result in decide_chunks(policy, files.table_chunks(policy, path, kind)):
            for p in chunk.problems:
                where = f"{path}:{p.row}" if kind == "jsonl" else f"{path}:rad {p.row}, kolonne «{p.column}»"
                report(f"{where}: {p.message}")
            for i, message in sorted(result.errors.items()):
                report(f"{path}:{unit} {int(chunk.rows[i])}: {message}" if kind != "jsonl"
                       else f"{path}:{int(chunk.rows[i])}: {message}")
            tally.add(chunk, result)
            if result.n:
                writer.write(files.result_table(result, chunk, criteria=criteria))
    except BrokenPipeError:  # the reader of standard out stopped (e.g. `| head`): stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        writer.close()
    return tally
