"""`boligregler vurder POLICY SØKNAD.json`: assess one søknad and print the decision.

With a `.jsonl` or `.csv` file it screens many søknader: one decision JSON per line,
a progress bar on a terminal, a summary of outcomes at the end, and every bad record
reported with its line number while the rest still run (docs/kommunale-regler.md).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from boligregler.api import Policy, add_allow_option
from boligregler.commands import live_terminal, load_policy_argument
from boligregler.diagnostics import BoligreglerError, UsageError, file_problem, utf8_position
from boligregler.evaluation.decision import OUTCOME_NAMES
from boligregler.money import load_json

BATCH_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
                  ".xlsx": "xlsx"}
TABLE_OUTPUTS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def register(sub) -> None:
    p = sub.add_parser("vurder", help="vurder en søknad eller mange", description=(
        "Vurderer en søknad (JSON som i soknad.md) etter et regelverk og skriver vedtaket. "
        "POLICY er en .pol-fil eller navnet på et medfølgende regelverk (f.eks. drammen). "
        "Med en .jsonl-fil (én søknad per linje) eller en .csv-fil (én søknad per rad) vurderes alle "
        "søknadene: hvert vedtak skrives som én JSON-linje, og en oppsummering skrives til slutt."))
    p.add_argument("policy", metavar="POLICY", help="navnet på et medfølgende regelverk (drammen), en sti "
                   "(./drammen.pol) eller - for standard inn")
    p.add_argument("soknad", metavar="SØKNAD", nargs="?",
                   help="søknad som JSON-fil, mange søknader som .jsonl eller .csv, eller - for standard inn")
    p.add_argument("-e", "--eksempel", metavar="NAVN", help="vurder søknaden i regelverkets eksempel NAVN")
    p.add_argument("--format", choices=["tekst", "json"], default="tekst",
                   help="utdataformat for én søknad (standard: tekst); mange søknader gir alltid JSON-linjer")
    p.add_argument("--inndata", choices=["json", "jsonl", "csv", "parquet", "xlsx"],
                   help="formatet til SØKNAD (standard: etter filendelsen; json for standard inn)")
    p.add_argument("--utdata", choices=["vedtak", "tabell"],
                   help="vedtak: ett fullstendig vedtak (JSON) per linje, som standard for .jsonl og .csv; "
                        "tabell: én rad per søknad med utfall, beløp, vilkår som ikke er oppfylt og manglende "
                        "opplysninger, vurdert kolonnevis; standard for .parquet og .xlsx, og når --ut er en "
                        ".parquet- eller .csv-fil (formatet følger filendelsen til --ut, ellers JSON-linjer)")
    add_allow_option(p)
    p.add_argument("-o", "--ut", metavar="FIL", help="skriv til FIL i stedet for standard ut (- er standard ut)")
    p.add_argument("--dask", metavar="ADRESSE",
                   help="vurder en partisjonert Parquet-mappe på en Dask-klynge (tcp://vert:8786, eller «lokal» for "
                        "en klynge på denne maskinen); resultatet skrives som partisjonert Parquet til mappen --ut")
    p.add_argument("--begrunnelse", action="store_true",
                   help="ta med vedtaksbrevet (begrunnelse) på hver linje når mange søknader vurderes; "
                        "det er utelatt som standard fordi det tar langt mer tid enn selve vurderingen")
    p.add_argument("--logg", action="store_true",
                   help="logg hvert vedtak i beslutningsloggen (se «boligregler logg») før det skrives")
    p.add_argument("--database", metavar="URL", help="beslutningsloggen for --logg: postgresql://…, sqlite:///sti.db "
                                                     "eller en filsti (standard: logg.sqlite i datamappen)")
    p.set_defaults(handler=run)


def read_soknad(path: str):
    text = read_text(path)
    try:
        return load_json(text)
    except json.JSONDecodeError as e:
        raise BoligreglerError(f"{path}:{e.lineno}:{e.colno}: ugyldig JSON: {e.msg}", code="ugyldig_json",
                               params={"fil": str(path), "linje": e.lineno, "kolonne": e.colno}) from None


def soknad_of(policy: Policy, args) -> Any:
    """The søknad named on the command line: a file (or -), or `--eksempel NAVN` of the policy."""
    if (args.soknad is None) == (args.eksempel is None):
        raise UsageError("oppgi enten en SØKNAD (en fil, eller - for standard inn) eller --eksempel NAVN",
                         code="søknad_eller_eksempel")
    if args.eksempel is not None:
        from boligregler.testing import find_example  # only here: a batch run never needs it
        return find_example(policy, args.eksempel).input or {}
    return read_soknad(args.soknad)


def run(args) -> int:
    if args.policy == "-" and args.soknad == "-":
        raise BoligreglerError("bare én av POLICY og SØKNAD kan leses fra standard inn (-)")
    args.ut = None if args.ut == "-" else args.ut
    policy = load_policy_argument(args.policy, args)
    if args.eksempel is not None or args.soknad is None:
        soknad = soknad_of(policy, args)
        with decision_log(args) as logged:
            decision = policy.evaluate(soknad)
            logged(policy, soknad, decision)
    else:
        kind = args.inndata or BATCH_SUFFIXES.get(Path(args.soknad).suffix.lower(),
                                                  "parquet" if Path(args.soknad).is_dir() else "json")
        if args.dask:
            return screen_on_dask(policy, args)
        out_table = TABLE_OUTPUTS.get(Path(args.ut).suffix.lower()) if args.ut else None
        utdata = args.utdata or ("tabell" if kind in ("parquet", "xlsx") or out_table in ("parquet", "csv") else "vedtak")
        if utdata == "tabell":
            if args.logg:
                raise BoligreglerError("--logg logger vedtak og kan bare brukes med --utdata vedtak")
            return screen_table(policy, args, kind, out_table or "jsonl")
        if kind in ("parquet", "xlsx"):
            raise BoligreglerError(f"--utdata vedtak kan ikke brukes med {kind}; bruk --utdata tabell")
        with decision_log(args) as logged:
            if kind != "json":
                return screen(policy, args.soknad, kind, args.ut, letters=args.begrunnelse, logged=logged)
            soknad = read_soknad(args.soknad)
            decision = policy.evaluate(soknad)
            logged(policy, soknad, decision)
    with output(args.ut) as out:
        if args.format == "json":
            print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2), file=out)
        else:
            from boligregler.rendering.text import render_decision  # only for one decision as text
            print(render_decision(decision, str(policy.model.header.get("målform", "bokmål"))), file=out)
    return 0


def screen_table(policy: Policy, args, kind: str, out_kind: str) -> int:
    """Many søknader decided as columns, one result row each (boligregler.screening)."""
    if kind == "json":
        raise BoligreglerError("--utdata tabell gjelder mange søknader: bruk en .jsonl-, .csv-, .parquet- eller .xlsx-fil")
    if args.begrunnelse:
        raise BoligreglerError("--begrunnelse gir vedtaksbrevet i hvert vedtak og kan bare brukes med --utdata vedtak")
    try:
        from boligregler.screening import skip_pandas_probe
        skip_pandas_probe()
        from boligregler.screening.run import screen_file
    except ImportError:
        raise BoligreglerError("tabeller krever tilleggspakkene: pip install 'boligregler[screening]'") from None
    tally = screen_file(policy, args.soknad, kind, args.ut, out_kind)
    print(tally.summary(policy.navn, "linje" if kind == "jsonl" else "rad"), file=sys.stderr)
    return 1 if tally.bad_rows else 0


def screen_on_dask(policy: Policy, args) -> int:
    """The tabular screening on a Dask cluster (docs/screening.md): partitions in, partitions out."""
    if not args.ut:
        raise BoligreglerError("--dask skriver resultatet som partisjonert Parquet: oppgi en mappe med --ut")
    try:
        from distributed import Client, LocalCluster
        from boligregler.screening.cluster import screen_parquet
    except ImportError:
        raise BoligreglerError("--dask krever tilleggspakkene: pip install 'boligregler[screening]'") from None
    cluster = LocalCluster(dashboard_address=None) if args.dask == "lokal" else None
    try:
        with Client(cluster if cluster is not None else args.dask):
            frame = screen_parquet(policy, args.soknad)
            frame.to_parquet(args.ut, write_index=False)
    except OSError as e:
        raise BoligreglerError(f"Dask-klyngen {args.dask}: {e}") from None
    finally:
        if cluster is not None:
            cluster.close()
    print(f"Vurderte {args.soknad} etter «{policy.navn}» på Dask; resultatet er skrevet til {args.ut}.", file=sys.stderr)
    return 0


@contextlib.contextmanager
def decision_log(args):
    """A function (policy, søknad, decision, with the letter?) that appends the decision's record to the log
    `--logg` asks for (and does nothing without it)."""
    if not getattr(args, "logg", False):
        yield _NOT_LOGGED
        return
    from boligregler.server.log import open_log
    log = open_log(args.database)

    def logged(policy, soknad, decision, letter=True):
        record = decision.to_dict(letter=letter)
        log.append(regelverk=policy.id, regelverk_sha256=policy.sha256, soknad=soknad,
                   soknad_sha256=record["sporbarhet"]["søknad_sha256"], vedtak=record)
    try:
        yield logged
    finally:
        log.close()


@contextlib.contextmanager
def output(path: str | None):
    """Standard out, or the file `--ut` names (`-`: standard out)."""
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        f = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as e:
        raise file_problem(path, "skrive", e) from None
    with f:
        yield f


# ---- screening many søknader -----------------------------------------------------------------


def _not_logged(policy, soknad, decision, letter=True) -> None:
    """What `decision_log` gives without `--logg`."""


_NOT_LOGGED = _not_logged


def _columns():
    """`boligregler.screening.vedtak`, or None without the screening extras (numpy, pyarrow)."""
    try:
        from boligregler.screening import skip_pandas_probe
        skip_pandas_probe()
        from boligregler.screening import vedtak
    except ImportError:
        return None
    return vedtak


def screen_columns(vedtak, policy: Policy, path: str, out_path: str | None, progress: "Progress | None") -> int:
    """JSON Lines to vedtak lines, read, decided and built as columns (`screening.vedtak.screen_jsonl`)."""

    def report(text: str) -> None:
        if progress:
            progress.clear()
        print(text, file=sys.stderr)

    with output(out_path) as out:
        done = vedtak.screen_jsonl(policy, path, out, report, progress.show if progress else lambda line: None)
    if progress:
        progress.clear()
    bad = sorted(done.bad)
    print(summary(policy, Counter(done.outcomes), len(bad), bad[:20])
          + f" Vedtakslinjene: {done.built} bygget kolonnevis, {done.per_line} vurdert linje for linje.",
          file=sys.stderr)
    return 1 if bad else 0


def screen(policy: Policy, path: str, kind: str, out_path: str | None, letters: bool = False,
           logged=_NOT_LOGGED) -> int:
    """Assess every søknad in a JSON Lines or CSV file, streamed; every record is decided or reported
    on standard error as `FIL:N: …`. Exit code 1 if any record was bad."""
    from boligregler.records import REFERENCE, count_lines, json_line, open_input, read_records
    progress = Progress(count_lines(path)) if live_terminal(sys.stderr) else None
    if kind == "jsonl" and not letters and logged is _NOT_LOGGED:
        columns = _columns()
        if columns is not None:
            return screen_columns(columns, policy, path, out_path, progress)
    counts: Counter[str] = Counter()
    bad = 0
    first_bad: list[int] = []  # the first 20 bad lines, for the summary; memory stays constant
    with open_input(path) as stream, output(out_path) as out:
        for record in read_records(path, kind, stream, policy.model.schema):
            problem = record.problem
            if problem is None:
                try:
                    decision = policy.evaluate(record.soknad)
                    head = {"linje": record.line} | ({REFERENCE: record.reference} if record.reference else {})
                    line = json_line(decision.to_json(letter=letters, head=head))
                except BoligreglerError as e:
                    problem = str(e)
                except Exception as e:  # noqa: BLE001 - a defect must not lose the rest of the batch
                    problem = f"intern feil under vurderingen ({type(e).__name__}); meld fra om feilen"
                else:
                    counts[decision.utfall] += 1
                    logged(policy, record.soknad, decision, letters)
                    print(line, file=out)
            if problem is not None:
                bad += 1
                if len(first_bad) < 20:
                    first_bad.append(record.line)
                if progress:
                    progress.clear()
                print(f"{path}:{record.line}: {problem}", file=sys.stderr)
            if progress:
                progress.show(record.line)
    if progress:
        progress.clear()
    print(summary(policy, counts, bad, first_bad), file=sys.stderr)
    return 1 if bad else 0


def summary(policy: Policy, counts: Counter, bad: int, first_bad: list[int]) -> str:
    """How many søknader were decided, by outcome, and how many could not be (with their first lines)."""
    assessed = sum(counts.values())
    outcomes = ", ".join(f"{counts[k]} {label}" for k, label in OUTCOME_NAMES.items())
    text = f"Vurderte {assessed} søknad{'er' if assessed != 1 else ''} etter «{policy.navn}»: {outcomes}."
    if bad:
        lines = ", ".join(str(n) for n in first_bad) + (" …" if bad > len(first_bad) else "")
        text += f" {bad} søknad{'er' if bad != 1 else ''} kunne ikke vurderes (linje {lines})."
    return text


class Progress:
    """A one-line progress bar over the input's lines on standard error, redrawn at most ten times a second;
    without a total (standard input) it counts lines."""

    WIDTH = 30

    def __init__(self, total: int | None, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.drawn = 0.0

    def show(self, done: int) -> None:
        now = time.monotonic()
        if (self.total is None or done < self.total) and now - self.drawn < 0.1:
            return
        self.drawn = now
        if self.total is None:
            self.stream.write(f"\rlinje {done}")
        else:
            filled = self.WIDTH * min(done, self.total) // self.total if self.total else self.WIDTH
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            self.stream.write(f"\r{bar} {done}/{self.total} linjer")
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def decoded(path: str, data: bytes) -> str:
    """The text of a file's bytes (a byte order mark dropped); bytes that are not UTF-8 are located."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, column, message = utf8_position(data, e)
        raise BoligreglerError(f"{path}:{line}:{column}: {message}; lagre filen som UTF-8", code="ikke_utf8",
                               params={"fil": str(path), "linje": line, "kolonne": column}) from None


def read_text(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        return decoded(path, Path(path).read_bytes())
    except OSError as e:
        raise file_problem(path, "lese", e) from None
    except UnicodeDecodeError:
        raise BoligreglerError(f"{path}: filen er ikke UTF-8-tekst", code="ikke_utf8", params={"fil": str(path)}) from None
