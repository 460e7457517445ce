"""`boligregler vurder POLICY SØKNAD.json`: assess one søknad and print the decision.

With a `.jsonl` or `.csv` file it screens many søknader: one decision JSON per line,
a progress bar on a terminal, a summary of outcomes at the end, and every bad record
reported with its line number while the rest still run (docs/kommunale-regler.md).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

import attrs

from boligregler.api import Policy, load_policy
from boligregler.diagnostics import BoligreglerError, file_problem, suggest
from boligregler.evaluation.decision import OUTCOME_NAMES
from boligregler.model import types as T
from boligregler.money import load_json
from boligregler.rendering.text import render_decision

BATCH_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
                  ".xlsx": "xlsx"}
TABLE_OUTPUTS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
REFERENCE = "referanse"  # an optional key or column copied to the output line, never part of the søknad


def register(sub) -> None:
    p = sub.add_parser("vurder", help="vurder en søknad eller mange", description=(
        "Vurderer en søknad (JSON som i soknad.md) etter et regelverk og skriver vedtaket. "
        "POLICY er en .pol-fil eller navnet på et medfølgende regelverk (f.eks. drammen). "
        "Med en .jsonl-fil (én søknad per linje) eller en .csv-fil (én søknad per rad) vurderes alle "
        "søknadene: hvert vedtak skrives som én JSON-linje, og en oppsummering skrives til slutt."))
    p.add_argument("policy", metavar="POLICY")
    p.add_argument("soknad", metavar="SØKNAD",
                   help="søknad som JSON-fil, mange søknader som .jsonl eller .csv, eller - for standard inn")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="utdataformat for én søknad (standard: tekst); mange søknader gir alltid JSON-linjer")
    p.add_argument("--inndata", choices=["json", "jsonl", "csv", "parquet", "xlsx"],
                   help="formatet til SØKNAD (standard: etter filendelsen; json for standard inn)")
    p.add_argument("--utdata", choices=["vedtak", "tabell"],
                   help="vedtak: ett fullstendig vedtak (JSON) per linje, som standard for .jsonl og .csv; "
                        "tabell: én rad per søknad med utfall, beløp, vilkår som ikke er oppfylt og manglende "
                        "opplysninger, vurdert kolonnevis; standard for .parquet og .xlsx, og når --ut er en "
                        ".parquet- eller .csv-fil (formatet følger filendelsen til --ut, ellers JSON-linjer)")
    p.add_argument("--ut", metavar="FIL", help="skriv til FIL i stedet for standard ut")
    p.add_argument("--begrunnelse", action="store_true",
                   help="ta med vedtaksbrevet (begrunnelse) på hver linje når mange søknader vurderes; "
                        "det er utelatt som standard fordi det tar langt mer tid enn selve vurderingen")
    p.set_defaults(handler=run)


def read_soknad(path: str):
    text = read_text(path)
    try:
        return load_json(text)
    except json.JSONDecodeError as e:
        raise BoligreglerError(f"{path}:{e.lineno}:{e.colno}: ugyldig JSON: {e.msg}") from None


def run(args) -> int:
    policy = load_policy(args.policy)
    kind = args.inndata or BATCH_SUFFIXES.get(Path(args.soknad).suffix.lower(), "json")
    out_table = TABLE_OUTPUTS.get(Path(args.ut).suffix.lower()) if args.ut else None
    utdata = args.utdata or ("tabell" if kind in ("parquet", "xlsx") or out_table in ("parquet", "csv") else "vedtak")
    if utdata == "tabell":
        return screen_table(policy, args, kind, out_table or "jsonl")
    if kind in ("parquet", "xlsx"):
        raise BoligreglerError(f"--utdata vedtak kan ikke brukes med {kind}; bruk --utdata tabell")
    if kind != "json":
        return screen(policy, args.soknad, kind, args.ut, letters=args.begrunnelse)
    decision = policy.evaluate(read_soknad(args.soknad))
    with output(args.ut) as out:
        if args.format == "json":
            print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2), file=out)
        else:
            print(render_decision(decision), file=out)
    return 0


def screen_table(policy: Policy, args, kind: str, out_kind: str) -> int:
    """Many søknader decided as columns, one result row each (boligregler.screening)."""
    if kind == "json":
        raise BoligreglerError("--utdata tabell gjelder mange søknader: bruk en .jsonl-, .csv-, .parquet- eller .xlsx-fil")
    if args.begrunnelse:
        raise BoligreglerError("--begrunnelse gir vedtaksbrevet i hvert vedtak og kan bare brukes med --utdata vedtak")
    try:
        from boligregler.screening.run import screen_file
    except ImportError:
        raise BoligreglerError("tabeller krever tilleggspakkene: pip install 'boligregler[screening]'") from None
    tally = screen_file(policy, args.soknad, kind, args.ut, out_kind)
    print(tally.summary(policy.navn, "linje" if kind == "jsonl" else "rad"), file=sys.stderr)
    return 1 if tally.bad_rows else 0


@contextlib.contextmanager
def output(path: str | None):
    """Standard out, or the file `--ut` names."""
    if path is None:
        yield sys.stdout
        return
    try:
        f = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as e:
        raise file_problem(path, "skrive", e) from None
    with f:
        yield f


# ---- screening many søknader -----------------------------------------------------------------


@attrs.frozen
class Record:
    """One søknad of a batch: where it starts, the søknad, its optional reference, or why it cannot be read."""

    line: int
    soknad: Any = None
    reference: str | None = None
    problem: str | None = None


def screen(policy: Policy, path: str, kind: str, out_path: str | None, letters: bool = False) -> int:
    """Assess every søknad in a JSON Lines or CSV file; exit code 1 if any record was bad."""
    text = read_text(path)
    records = read_jsonl(text) if kind == "jsonl" else read_csv(text, policy.model.schema, path)
    counts: Counter[str] = Counter()
    bad: list[int] = []
    progress = Progress(len(records)) if sys.stderr.isatty() else None
    with output(out_path) as out:
        for done, record in enumerate(records, 1):
            problem = record.problem
            if problem is None:
                try:
                    decision = policy.evaluate(record.soknad)
                except BoligreglerError as e:
                    problem = str(e)
                else:
                    counts[decision.utfall] += 1
                    head = {"linje": record.line} | ({REFERENCE: record.reference} if record.reference else {})
                    print(json.dumps(head | decision.to_dict(letter=letters), ensure_ascii=False), file=out)
            if problem is not None:
                bad.append(record.line)
                if progress:
                    progress.clear()
                print(f"{path}:{record.line}: {problem}", file=sys.stderr)
            if progress:
                progress.show(done)
    if progress:
        progress.clear()
    print(summary(policy, counts, bad), file=sys.stderr)
    return 1 if bad else 0


def summary(policy: Policy, counts: Counter, bad: list[int]) -> str:
    assessed = sum(counts.values())
    outcomes = ", ".join(f"{counts[k]} {label}" for k, label in OUTCOME_NAMES.items())
    text = f"Vurderte {assessed} søknad{'er' if assessed != 1 else ''} etter «{policy.navn}»: {outcomes}."
    if bad:
        lines = ", ".join(str(n) for n in bad[:20]) + (" …" if len(bad) > 20 else "")
        text += f" {len(bad)} søknad{'er' if len(bad) != 1 else ''} kunne ikke vurderes (linje {lines})."
    return text


class Progress:
    """A one-line progress bar on standard error, redrawn at most ten times a second."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.drawn = 0.0

    def show(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.drawn < 0.1:
            return
        self.drawn = now
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        self.stream.write(f"\r{bar} {done}/{self.total} søknader")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise file_problem(path, "lese", e) from None
    except UnicodeDecodeError:
        raise BoligreglerError(f"{path}: filen er ikke UTF-8-tekst") from None


def read_jsonl(text: str) -> list[Record]:
    """JSON Lines: one søknad object per line; blank lines are skipped."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            soknad = load_json(line)
        except json.JSONDecodeError as e:
            records.append(Record(number, problem=f"ugyldig JSON i kolonne {e.colno}: {e.msg}"))
            continue
        reference = soknad.pop(REFERENCE, None) if isinstance(soknad, dict) else None
        records.append(Record(number, soknad, None if reference is None else str(reference)))
    return records


# A CSV column names one søknad field by its JSON path: `bolig.kjøpesum`, `husstand.voksne[0].alder`.
COLUMN_STEP = re.compile(r"([^\W\d]\w*)(?:\[(\d+)\])?")
TRUE_WORDS = {"sann", "ja", "true", "1"}
FALSE_WORDS = {"usann", "nei", "false", "0"}


class _Indexed(dict):
    """List elements by their column index while a row is assembled."""


def read_csv(text: str, schema: T.Record, path: str) -> list[Record]:
    """CSV with a header row of JSON paths; comma, semicolon or tab separated, detected from the header."""
    lines = text.splitlines()
    if not lines:
        return []
    header_line = lines[0]
    delimiter = max([",", ";", "\t"], key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, [])
    columns, problems = [], []
    for number, name in enumerate(header, 1):
        name = name.strip()
        column = (name, None, None) if name == REFERENCE else (name, *_column(schema, name))
        if column[2] is not None:
            problems.append(f"  kolonne {number} «{name}»: {column[2]}")
        elif name in [c[0] for c in columns]:
            problems.append(f"  kolonne {number} «{name}»: står to ganger")
        columns.append(column)
    if problems:
        raise BoligreglerError(f"{path}:1: overskriftsraden har ugyldige kolonner:\n" + "\n".join(problems))
    records, end = [], reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            records.append(Record(start, problem=f"raden har {len(row)} felt, men overskriften har {len(columns)}"))
            continue
        soknad: dict = {}
        reference = None
        for (name, steps, _), cell in zip(columns, row):
            cell = cell.strip()
            if not cell:
                continue
            if steps is None:
                reference = cell
            else:
                _assign(soknad, steps, _cell_value(cell, steps[-1][2]))
        records.append(Record(start, _lists(soknad), reference))
    return records


def _column(schema: T.Record, name: str):
    """(steps, None) for a column naming a søknad field, or (None, problem)."""
    steps, record, done = [], schema, ""
    parts = name.split(".")
    for i, part in enumerate(parts):
        m = COLUMN_STEP.fullmatch(part)
        if m is None:
            return None, "skriv feltets sti, f.eks. bolig.kjøpesum eller husstand.voksne[0].alder"
        field, index = m.group(1), m.group(2)
        if not isinstance(record, T.Record):
            return None, f"«{done}» har ingen underfelt"
        spec = record.fields.get(field)
        if spec is None:
            guess = suggest(field, record.fields)
            return None, f"ukjent felt «{field}»" + (f"; mente du «{guess}»?" if guess else "")
        t = spec.type
        if index is not None:
            if not isinstance(t, T.ListOf):
                return None, f"«{field}» er ikke en liste"
            t = t.element
        elif isinstance(t, T.ListOf):
            return None, f"«{field}» er en liste; skriv {field}[0], {field}[1] …"
        done = ".".join(parts[:i + 1])
        steps.append((field, None if index is None else int(index), t))
        record = t
    if isinstance(record, (T.Record, T.ListOf)):
        return None, "kolonnen må peke på et enkeltfelt, ikke en gruppe av felt"
    return steps, None


def _cell_value(cell: str, t: T.Type):
    """CSV text as the søknad value: ja/nei for sannheter, tall med mellomrom og desimalkomma."""
    if isinstance(t, T.Bool):
        word = cell.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else cell
    if isinstance(t, T.Num):
        return re.sub(r"[ \u00a0\u202f]", "", cell).replace(",", ".")
    return cell


def _assign(target: dict, steps, value) -> None:
    node: dict = target
    for i, (field, index, _) in enumerate(steps):
        last = i == len(steps) - 1
        if index is None:
            if last:
                node[field] = value
            else:
                node = node.setdefault(field, {})
            continue
        elements = node.setdefault(field, _Indexed())
        if last:
            elements[index] = value
        else:
            node = elements.setdefault(index, {})


def _lists(value):
    """Turn the indexed list elements of an assembled row into lists, in index order."""
    if isinstance(value, _Indexed):
        return [_lists(v) for _, v in sorted(value.items())]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value
