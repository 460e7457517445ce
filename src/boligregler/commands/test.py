"""`boligregler test [POLICY...]`: run the examples written in policies, and what they cover."""

from __future__ import annotations

import fnmatch
import json
import sys
import xml.etree.ElementTree as ET

from boligregler.api import add_allow_option, load_for_command
from boligregler.diagnostics import BoligreglerError, PolicyError, to_json
from boligregler.model.loader import shipped_policies_dir
from boligregler.testing import run_example
from boligregler.watch import follow


def register(sub) -> None:
    p = sub.add_parser("test", help="kjør eksemplene i regelverk", description=(
        "Vurderer hver eksempelsøknad i regelverkene og sammenligner med det forventede utfallet. "
        "Uten argumenter kjøres alle medfølgende regelverk. Avslutningskoden er 1 hvis et eksempel "
        "feiler, et regelverk har feil, eller ingen eksempler ble kjørt."))
    p.add_argument("filer", nargs="*", metavar="POLICY")
    p.add_argument("-v", "--detaljert", action="store_true", help="vis også eksempler som består")
    add_allow_option(p)
    p.add_argument("-e", "--eksempel", action="append", default=[], metavar="NAVN",
                   help="kjør bare eksempler med dette navnet; * og ? er jokertegn (kan gjentas)")
    p.add_argument("--format", choices=["tekst", "json", "junit"], default="tekst",
                   help="utdataformat: tekst (standard), json eller junit (XML for CI-systemer)")
    p.add_argument("--dekning", action="store_true",
                   help="vis hvilke vilkårsresultater, utfall, hvis-grener og tabellrader eksemplene dekker")
    p.add_argument("--min-dekning", type=float, metavar="N",
                   help="feil (avslutningskode 1) hvis dekningen av et regelverk er under N prosent; gir --dekning")
    p.add_argument("--følg", action="store_true", help="kjør på nytt hver gang et regelverk endres")
    p.set_defaults(handler=run)


def selected(examples, patterns: list[str]):
    """The examples whose name matches one of `patterns` (all when there are none)."""
    if not patterns:
        return list(examples)
    return [ex for ex in examples if any(fnmatch.fnmatchcase(ex.name, p) for p in patterns)]


def run(args) -> int:
    if args.følg:
        return follow(lambda: _run_once(args))
    return _run_once(args)[0]


def _run_once(args) -> tuple[int, list[str]]:
    paths = args.filer or sorted(str(p) for p in shipped_policies_dir().glob("*.pol"))
    want_coverage = args.dekning or args.min_dekning is not None
    reports, files = [], list(paths)
    for path in paths:
        report = {"regelverk": path, "eksempler": [], "feil": None, "dekning": None}
        reports.append(report)
        try:
            policy = load_for_command(path, args)
        except PolicyError as e:
            report["feil"] = e
            files += list(e.sources)
            continue
        except BoligreglerError as e:
            report["feil"] = e
            continue
        files += list(policy.model.sources)
        report["regelverk"] = policy.id
        chosen = selected(policy.model.examples, args.eksempel)
        report["eksempler"] = [run_example(policy, ex) for ex in chosen]
        if want_coverage and chosen:
            from boligregler.coverage import coverage
            report["dekning"] = coverage(policy, chosen)
    passed = sum(r.passed for rep in reports for r in rep["eksempler"])
    failed = sum(not r.passed for rep in reports for r in rep["eksempler"])
    broken = sum(rep["feil"] is not None for rep in reports)
    low = [rep for rep in reports if args.min_dekning is not None and rep["dekning"] is not None
           and rep["dekning"].percent < args.min_dekning]
    {"tekst": _text, "json": _json, "junit": _junit}[args.format](reports, args)
    if passed + failed == 0:
        what = f" som passer {', '.join(args.eksempel)}" if args.eksempel else ""
        print(f"feil: ingen eksempler{what} ble kjørt", file=sys.stderr)
    for rep in low:
        print(f"feil: dekningen av {rep['regelverk']} er {rep['dekning'].percent:.1f} %, under kravet på "
              f"{args.min_dekning:g} %".replace(".", ","), file=sys.stderr)
    ok = not failed and not broken and not low and passed > 0
    return (0 if ok else 1), files


def _text(reports, args) -> None:
    for rep in reports:
        if rep["feil"] is not None:
            print(f"✗ {rep['regelverk']}: regelverket har feil\n{rep['feil']}", file=sys.stderr)
            continue
        for r in rep["eksempler"]:
            if r.passed:
                if args.detaljert:
                    print(f"✓ {r.policy}: {r.example.name}")
            else:
                print(f"✗ {r.policy}: {r.example.name} «{r.example.title}» ({r.location})")
                for m in r.mismatches:
                    print(f"    {m}")
    passed = sum(r.passed for rep in reports for r in rep["eksempler"])
    failed = sum(not r.passed for rep in reports for r in rep["eksempler"]) + sum(
        rep["feil"] is not None for rep in reports)
    print(f"{passed} bestått, {failed} feilet")
    for rep in reports:
        if rep["dekning"] is not None:
            print()
            print(rep["dekning"].to_text(details=True))


def _json(reports, args) -> None:
    out = []
    for rep in reports:
        error = rep["feil"]
        out.append({
            "regelverk": rep["regelverk"],
            "feil": None if error is None else (
                to_json(error.diagnostics) if isinstance(error, PolicyError) else [{"melding": str(error)}]),
            "eksempler": [{"navn": r.example.name, "tittel": r.example.title, "sted": r.location,
                           "bestått": r.passed, "avvik": list(r.mismatches)} for r in rep["eksempler"]],
            "dekning": rep["dekning"].to_dict() if rep["dekning"] is not None else None,
        })
    passed = sum(r.passed for rep in reports for r in rep["eksempler"])
    failed = sum(not r.passed for rep in reports for r in rep["eksempler"])
    print(json.dumps({"bestått": passed, "feilet": failed, "regelverk": out}, ensure_ascii=False, indent=2))


def _junit(reports, args) -> None:
    suites = ET.Element("testsuites", name="boligregler test")
    for rep in reports:
        cases = rep["eksempler"]
        failures = sum(not r.passed for r in cases)
        suite = ET.SubElement(suites, "testsuite", name=str(rep["regelverk"]), tests=str(len(cases) or 1),
                              failures=str(failures), errors=str(int(rep["feil"] is not None)))
        if rep["feil"] is not None:
            case = ET.SubElement(suite, "testcase", classname=str(rep["regelverk"]), name="regelverket")
            ET.SubElement(case, "error", message="regelverket har feil").text = str(rep["feil"])
        for r in cases:
            file, _, line = r.location.partition(":")
            attrs = {"classname": r.policy, "name": r.example.name, "file": file}
            if line:
                attrs["line"] = line
            case = ET.SubElement(suite, "testcase", **attrs)
            if not r.passed:
                ET.SubElement(case, "failure", message=r.mismatches[0]).text = "\n".join(r.mismatches)
    ET.indent(suites)
    sys.stdout.write(ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
