"""«Hva kan vi låne?»: the calculator on every kommune page, and the bundle it runs in the browser.

The form is generated from the policy's søknad schema, with the wording of `estimate.QUESTIONS`.
The answer is computed in the visitor's browser by this library itself, running in Pyodide
(vendored from npm, see `site.vendor`), on the same policy files: `bundle` packs the package, the
policies, their pre-parsed syntax trees (so the browser never imports Lark) and the pure-Python
dependencies into one zip beside the Pyodide runtime, and `snapshot` makes, in Node, a memory
snapshot of Pyodide with that bundle imported and the policies loaded, which the browser restores
instead of starting Python (`assets/kalkulator-worker.js`). Nothing typed leaves the browser.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata as metadata
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from boligregler.diagnostics import BoligreglerError
from boligregler.explain.frame import målform
from boligregler.model import types as T
from boligregler.site import estimate as E
from boligregler.site.words import say
from boligregler.syntax.cache import cached_parse, private_dir, prune, touch, user_cache_dir
from boligregler.syntax.grammar import grammar_path

ASSETS = Path(__file__).parent / "assets"
ASSET_FILES = ("kalkulator.js", "kalkulator-start.js", "kalkulator-worker.js", "kalkulator-motor.mjs", "kalkulator.css",
               "nettsted.js", "nettsted.css", "sok.js")
DEST = "assets/boligregler"  # inside the built site
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
BROWSER_ROOT = "/app"  # where the bundle is unpacked in Pyodide's file system (APP in kalkulator-motor.mjs)
SNAPSHOT = "boligregler-minne.bin"  # the memory snapshot, beside the bundle
SNAPSHOT_SCRIPT = Path(__file__).parent / "minnebilde.mjs"
DEPENDENCIES = ("attrs", "lark")  # pure Python, taken from their installed wheels
PACKAGE = Path(__file__).resolve().parents[1]

e = html.escape


# ---- the form -------------------------------------------------------------------------


def form_html(policy: Any) -> str:
    """The calculator section of a kommune page: the form, the place for the answer, the assumptions."""
    model = policy.model
    form = _Form(policy)
    t = form.t
    body = form.record(model.schema, (), ())
    assess = "".join(form.assessed)
    fixed = "".join(f"<li>{e(t(text))}</li>" for text in form.fixed)
    intro = t(INTRO).format(place=_place(model))
    return (
        f'<section class="kalkulator" aria-labelledby="kalk-tittel">\n'
        f'<h2 id="kalk-tittel">{t("Hva kan vi låne?")}</h2>\n'
        f'<p>{e(intro)}</p>\n'
        f'<form class="kalk-skjema" id="kalkulator" data-policy="{e(model.id)}" data-malform="{e(form.form)}" novalidate>\n'
        f'{body}'
        + (f'<fieldset class="kalk-gruppe kalk-vurderinger"><legend>{t("Det kommunen vurderer")}</legend>\n'
           f'<p class="kalk-hjelp">{t(ASSESSED)}</p>\n{assess}</fieldset>\n'
           if assess else "")
        + f'<p class="kalk-knapper"><button type="submit" class="md-button md-button--primary">{t("Regn ut")}</button> '
        f'<button type="reset" class="md-button">{t("Tøm skjemaet")}</button></p>\n'
        f'<p class="kalk-status" role="status" aria-live="polite">{t(NEEDS_JS)}</p>\n'
        '</form>\n'
        + (f'<details class="kalk-antakelser"><summary>{t("Slik regner kalkulatoren")}</summary><ul>{fixed}</ul></details>\n'
           if fixed else "")
        + '<div class="kalk-resultat" id="kalk-svar" aria-live="polite"></div>\n'
        '</section>\n')


INTRO = ("Fyll inn opplysningene om husstanden og boligen dere ser på, så regner kalkulatoren ut svaret etter {place}s "
         "egne regler: om dere ser ut til å kunne få startlån, hvor mye, høyeste boligpris, hva det koster i måneden og "
         "hva som kunne endret svaret. Det du skriver blir i nettleseren din og sendes ikke noe sted. Svaret er et "
         "anslag, ikke et vedtak.")
ASSESSED = ("Noen vilkår vurderer saksbehandleren i kommunen. Kalkulatoren har gjort antakelsene som står under hvert "
            "spørsmål. Endre svaret hvis det ikke stemmer for dere.")
NEEDS_JS = "Kalkulatoren krever JavaScript. Den lastes når siden er åpnet."


def _place(model) -> str:
    return str(model.header.get("kommune") or model.header.get("navn") or model.id)


class _Form:
    def __init__(self, policy: Any):
        self.policy = policy
        self.form = målform(policy.model)
        self.assessed: list[str] = []
        self.fixed: list[str] = []

    def t(self, text: str) -> str:
        return say(text, self.form)

    def record(self, record: T.Record, prefix: tuple, keys: tuple[str, ...]) -> str:
        out = []
        for name, spec in record.fields.items():
            path, qkeys = prefix + (name,), keys + (name,)
            q = E.question(qkeys)
            if q.role == E.FIXED:
                if q.assumption:
                    self.fixed.append(q.assumption)
                continue
            if name == "ordning" and not prefix and len(self.policy.model.schemes) < 2:
                continue
            if isinstance(spec.type, T.Record):
                inner = self.record(spec.type, path, qkeys)
                if inner:
                    legend = E.GROUPS.get(name, q.label)
                    out.append(f'<fieldset class="kalk-gruppe"><legend>{e(self.t(legend))}</legend>\n{inner}</fieldset>\n')
            elif isinstance(spec.type, T.ListOf):
                out.append(self.listing(spec, path, qkeys, q))
            elif q.role == E.ASSESS:
                self.assessed.append(self.field(spec, path, qkeys, q))
            else:
                out.append(self.field(spec, path, qkeys, q))
        return "".join(out)

    def listing(self, spec: T.FieldSpec, path: tuple, keys: tuple[str, ...], q: E.Question) -> str:
        element = spec.type.element
        name = _path_name(path)
        rows = max(spec.type.min_items, 1 if keys in (("inntekter",),) else 0)
        template = self.row(element, path, keys, "__i__")
        existing = "".join(self.row(element, path, keys, str(i)) for i in range(rows))
        help_ = f'<p class="kalk-hjelp">{e(self.t(q.help))}</p>' if q.help else ""
        return (f'<fieldset class="kalk-liste" id="{E._field_id(name)}" data-liste="{e(name)}" '
                f'data-min="{spec.type.min_items}">'
                f'<legend>{e(self.t(q.label))}</legend>{help_}\n<div class="kalk-rader">{existing}</div>\n'
                f'<template>{template}</template>\n'
                f'<button type="button" class="md-button kalk-legg-til">{e(self.t(q.add or "Legg til"))}</button>\n'
                f'</fieldset>\n')

    def row(self, element: T.Type, path: tuple, keys: tuple[str, ...], index: str) -> str:
        label = self.t(E.question(keys).label)
        number = "__n__" if index == "__i__" else str(int(index) + 1)
        if isinstance(element, T.Record):
            cells = "".join(self.field(s, path + (index,) + (n,), keys + (n,), E.question(keys + (n,)), row=True)
                            for n, s in element.fields.items())
        else:
            cells = self.field(T.FieldSpec(element), path + (index,), keys, E.question(keys), row=True)
        return (f'<div class="kalk-rad" data-indeks="{index}">{cells}'
                f'<button type="button" class="kalk-fjern" aria-label="{e(self.t("Fjern linje {n} i «{list}»").format(n=number, list=label))}">{self.t("Fjern")}</button>'
                f'</div>')

    def field(self, spec: T.FieldSpec, path: tuple, keys: tuple[str, ...], q: E.Question, row: bool = False) -> str:
        name = _path_name(path)
        fid = E._field_id(name)
        t = spec.type
        help_id = f"{fid}-hjelp"
        helps = [self.t(q.help)] if q.help else []
        if q.role == E.ASSESS and q.assumption:
            helps.append(self.t(q.assumption))
        if spec.doc and ".".join(keys) not in E.QUESTIONS:
            helps.append(spec.doc)
        help_html = f'<span class="kalk-hjelp" id="{help_id}">{e(" ".join(helps))}</span>' if helps else ""
        described = f' aria-describedby="{help_id} {fid}-feil"' if helps else f' aria-describedby="{fid}-feil"'
        error = f'<span class="kalk-feilmelding" id="{fid}-feil"></span>'
        show = ""
        if q.show_when is not None:
            show = f' data-vis-felt="{e(q.show_when[0])}" data-vis-verdier="{e(" ".join(q.show_when[1]))}"'
        default = spec.default if spec.has_default else None
        if isinstance(t, T.Bool):
            assumed = q.assume if q.role == E.ASSESS else default
            options = [(E.YES, self.t("Ja")), (E.NO, self.t("Nei"))]
            if q.role == E.ASSESS and _may_be_unassessed(spec):
                options.append((E.UNKNOWN, self.t("Vet ikke: la kommunen vurdere")))
            radios = "".join(
                f'<label class="kalk-valg"><input type="radio" name="{e(name)}" value="{v}"'
                f'{" checked" if (assumed is True and v == E.YES) or (assumed is False and v == E.NO) else ""}> {w}</label>'
                for v, w in options)
            return (f'<fieldset class="kalk-felt kalk-janei" id="{fid}"{described}{show}><legend>{e(self.t(q.label))}</legend>'
                    f'{help_html}<div class="kalk-valgene">{radios}</div>{error}</fieldset>\n')
        label = f'<label for="{fid}">{e(self.t(q.label))}</label>'
        if isinstance(t, T.Enum):
            first = ""
            if default is None and spec.nullable:
                first = f'<option value="" selected>{self.t("Velg")}</option>'
            elif default is None:
                default = t.values[0]
            options = first + "".join(
                f'<option value="{e(v)}"{" selected" if v == default else ""}>{e(self.choice(keys, v))}</option>'
                for v in t.values)
            control = f'<select id="{fid}" name="{e(name)}"{described}>{options}</select>'
        elif isinstance(t, T.Num):
            value = "" if default is None or isinstance(default, bool) else _plain_number(default)
            control = (f'<input type="text" inputmode="{"numeric" if t.integer else "decimal"}" autocomplete="off" '
                       f'id="{fid}" name="{e(name)}" value="{e(value)}"{described}{" required" if not spec.has_default else ""}>')
        else:
            control = f'<input type="text" id="{fid}" name="{e(name)}"{described}>'
        return f'<div class="kalk-felt"{show}>{label}{help_html}{control}{error}</div>\n'

    def choice(self, keys: tuple[str, ...], value: str) -> str:
        if keys == ("ordning",):
            scheme = self.policy.model.schemes.get(value)
            return scheme.title if scheme is not None else self.t(E.choice_word(value))
        return self.t(E.choice_word(value))


def _may_be_unassessed(spec: T.FieldSpec) -> bool:
    """A fact the schema lets the søknad leave out without assuming an answer: the case worker has not assessed it."""
    return not spec.has_default or spec.nullable


def _path_name(path: tuple) -> str:
    """A field's name: its JSON path as problems report it (`inntekter[0].type`), `[__i__]` in a row template."""
    out = ""
    for p in path:
        index = isinstance(p, int) or p == "__i__" or p.isdigit()
        out += f"[{p}]" if index else (f".{p}" if out else p)
    return out


def _plain_number(value: Any) -> str:
    text = f"{value:f}" if hasattr(value, "is_finite") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- the bundle -----------------------------------------------------------------------


def write_assets(site_dir: Path, library: Path, pyodide: Path, snapshot_of: Sequence[str] | None) -> None:
    """Put the calculator's runtime into a built site: Pyodide, the library bundle (`bundle`), and
    (unless `snapshot_of` is None) the memory snapshot of Pyodide with the library imported and the
    calculators' policies (the ids `snapshot_of`) loaded."""
    dest = Path(site_dir) / DEST
    (dest / "pyodide").mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        _link_or_copy(pyodide / name, dest / "pyodide" / name)
    _link_or_copy(library, dest / "boligregler.zip")
    (dest / SNAPSHOT).unlink(missing_ok=True)
    if snapshot_of is not None:
        _link_or_copy(snapshot(library, snapshot_of, pyodide), dest / SNAPSHOT)


class SnapshotError(BoligreglerError):
    """Node could not make the calculator's memory snapshot."""

    code = "kalkulator_minnebilde"


def snapshot(library: Path, policy_ids: Sequence[str], pyodide: Path) -> Path:
    """The memory snapshot of Pyodide (made in Node by `minnebilde.mjs`: its size, then the image
    gzip-compressed) after the bundle's calculator entry points are imported and `policy_ids` loaded
    and run once; built once per content, kept beside the bundle. The browser restores it instead of
    starting Python, importing the library and checking the policy (see docs/ytelse.md)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise SnapshotError("node mangler: installer Node.js (apt-get install nodejs) for å bygge kalkulatoren")
    target = library.parent / f"minnebilde-{snapshot_key(library, policy_ids, pyodide)}.bin"
    if target.is_file():
        touch(target)
        return target
    done = subprocess.run([node, str(SNAPSHOT_SCRIPT), str(pyodide), str(library), str(target), *policy_ids],
                          capture_output=True, text=True)
    if done.returncode != 0 or not target.is_file():
        raise SnapshotError(f"kunne ikke lage minnebildet av kalkulatoren:\n{(done.stderr or done.stdout).strip()[-2000:]}")
    prune(target.parent, "minnebilde-")
    return target


def snapshot_key(library: Path, policy_ids: Sequence[str], pyodide: Path) -> str:
    """What the snapshot is made from, as a digest: the bundle, Pyodide's version, the policies, the scripts."""
    h = hashlib.sha256(b"minnebilde-1")
    for part in (library.name, (pyodide / "package.json").read_text(encoding="utf-8"), *sorted(policy_ids),
                 SNAPSHOT_SCRIPT.read_text(encoding="utf-8"), (ASSETS / "kalkulator-motor.mjs").read_text(encoding="utf-8")):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:24]


def engine_version(library: Path, snapshot_of: Sequence[str] | None, pyodide: Path) -> str:
    """The version of the engine files a build writes (`write_assets`): the page asks for the bundle and the
    snapshot with it (`?v=`), so a browser never answers with a copy cached from an earlier build."""
    return snapshot_key(library, snapshot_of, pyodide) if snapshot_of is not None else library.stem.rsplit("-", 1)[-1]


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# The parts of the package a browser never runs: the command line, the HTTP service, the language
# server, mass screening and the documentation tools (they need uvicorn, pygls, numpy, Sphinx and the like,
# which Pyodide does not have). Left out of the bundle, they cost the visitor nothing to download and unpack.
NOT_IN_BROWSER = ("commands", "server", "lsp", "screening", "cli.py", "__main__.py", "sphinx_ext.py",
                  "pygments_lexer.py", "watch.py")


def _package_files() -> list[tuple[Path, str]]:
    files = [(p, f"boligregler/{p.relative_to(PACKAGE).as_posix()}") for p in sorted(PACKAGE.rglob("*.py"))
             if p.relative_to(PACKAGE).parts[0] not in NOT_IN_BROWSER]
    files.append((grammar_path(), "boligregler/_grammar/boligregler.lark"))
    for dist in DEPENDENCIES:
        d = metadata.distribution(dist)
        for f in d.files or ():
            if f.suffix in (".py", ".lark") and ".dist-info" not in f.as_posix() and not f.as_posix().startswith(".."):
                files.append((Path(str(d.locate_file(f))), f.as_posix()))
    return files


def bundle(policy_files: Sequence[Path]) -> Path:
    """The zip the browser unpacks at `/app`, built once per content (kept in the user cache folder)."""
    files = _package_files()
    policies = [(Path(p), f"boligregler/_policies/{Path(p).name}") for p in sorted(policy_files)]
    h = hashlib.sha256(b"bundle-1")
    for source, name in files + policies:
        h.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    digest = h.hexdigest()[:24]
    cache = user_cache_dir()
    folder = cache if cache is not None and private_dir(cache) else Path(tempfile.mkdtemp(prefix="boligregler-"))
    target = folder / f"nettleser-{digest}.zip"
    if target.is_file():
        touch(target)
        return target
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for source, name in files + policies:
            z.write(source, name)
        with _trees_in(Path(tempfile.mkdtemp(prefix="boligregler-trær-"))) as trees:
            for source, name in policies:
                cached_parse(source.read_text(encoding="utf-8"), f"{BROWSER_ROOT}/{name}")
            for entry in sorted(trees.glob("tre-*.json")):
                z.write(entry, f"cache/{entry.name}")
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, target)
    prune(folder, "nettleser-")
    return target


@contextmanager
def _trees_in(folder: Path) -> Iterator[Path]:
    """The syntax-tree cache pointed at `folder` (made private), for the entries the browser reads."""
    old = os.environ.get("BOLIGREGLER_CACHE_DIR")
    folder.chmod(0o700)
    os.environ["BOLIGREGLER_CACHE_DIR"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("BOLIGREGLER_CACHE_DIR", None)
        else:
            os.environ["BOLIGREGLER_CACHE_DIR"] = old
        shutil.rmtree(folder, ignore_errors=True)
